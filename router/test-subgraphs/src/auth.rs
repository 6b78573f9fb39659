//! Subgraphs for the authorization directives. Every resolver of a guarded field counts its
//! calls, so tests can tell that the router never asked for a denied field.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::{EmptyMutation, EmptySubscription, ID, Object, Schema, SimpleObject};

/// Calls of guarded resolvers (`email`, `passwordHash`, `orders`).
#[derive(Default)]
pub struct GuardedCalls(AtomicUsize);

impl GuardedCalls {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
    fn hit(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Clone)]
pub struct User {
    id: u32,
    calls: Arc<GuardedCalls>,
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }
    async fn name(&self) -> String {
        format!("User {}", self.id)
    }
    async fn email(&self) -> String {
        self.calls.hit();
        format!("user{}@example.com", self.id)
    }
    async fn password_hash(&self) -> String {
        self.calls.hit();
        "hash".into()
    }
}

pub struct AccountsQuery(Arc<GuardedCalls>);

#[Object]
impl AccountsQuery {
    async fn users(&self) -> Vec<User> {
        (1..=2)
            .map(|id| User {
                id,
                calls: self.0.clone(),
            })
            .collect()
    }
    async fn me(&self) -> User {
        self.0.hit();
        User {
            id: 1,
            calls: self.0.clone(),
        }
    }
    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> User {
        User {
            id: id.parse().unwrap_or_default(),
            calls: self.0.clone(),
        }
    }
}

pub fn accounts(
    calls: Arc<GuardedCalls>,
) -> Schema<AccountsQuery, EmptyMutation, EmptySubscription> {
    Schema::build(AccountsQuery(calls), EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish()
}

#[derive(SimpleObject)]
pub struct Order {
    id: ID,
    total: i32,
}

pub struct OrdersUser {
    id: ID,
    calls: Arc<GuardedCalls>,
}

#[Object(name = "User")]
impl OrdersUser {
    async fn id(&self) -> &ID {
        &self.id
    }
    async fn orders(&self) -> Vec<Order> {
        self.calls.hit();
        vec![Order {
            id: ID(format!("{}-1", self.id.0)),
            total: 42,
        }]
    }
}

pub struct OrdersQuery(Arc<GuardedCalls>);

#[Object]
impl OrdersQuery {
    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> OrdersUser {
        OrdersUser {
            id,
            calls: self.0.clone(),
        }
    }
}

pub fn orders(calls: Arc<GuardedCalls>) -> Schema<OrdersQuery, EmptyMutation, EmptySubscription> {
    Schema::build(OrdersQuery(calls), EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish()
}
