//! Subgraphs for subscriptions (`router/tests/fixtures/subscriptions.graphql`): `orders`
//! owns `Subscription.orderUpdated` and `orderPlaced`, changes orders with `setStatus` (each
//! change is an event), and lets only an order's owner subscribe to it (the caller is the
//! `authorization` entry of `connection_init`, stored as [`Caller`]); `catalog` resolves
//! the `Variant` entities an order's lines point to.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::{
    Context, EmptyMutation, EmptySubscription, ErrorExtensions, ID, Object, Result, Schema,
    SimpleObject, Subscription,
};
use futures::{Stream, StreamExt};
use tokio::sync::broadcast;

/// Who opened the WebSocket: its `connection_init` payload's `authorization`, without
/// `Bearer `.
#[derive(Clone, Debug)]
pub struct Caller(pub String);

#[derive(Clone, SimpleObject)]
pub struct Order {
    id: ID,
    status: String,
    lines: Vec<Line>,
    #[graphql(skip)]
    owner: String,
}

#[derive(Clone, SimpleObject)]
pub struct Line {
    quantity: i32,
    variant: Variant,
}

/// A catalog variant, known here by key only.
#[derive(Clone, SimpleObject)]
pub struct Variant {
    id: ID,
}

/// The orders and the changes subscriptions follow.
pub struct Store {
    orders: Mutex<HashMap<String, Order>>,
    changes: broadcast::Sender<Order>,
}

impl Store {
    /// Order 1 (owner `customer-1`) with two lines, order 2 (owner `customer-2`).
    pub fn new() -> Arc<Self> {
        let order = |id: &str, owner: &str, variants: &[&str]| Order {
            id: ID(id.into()),
            status: "PLACED".into(),
            owner: owner.into(),
            lines: variants
                .iter()
                .enumerate()
                .map(|(i, variant)| Line {
                    quantity: i32::try_from(i).unwrap_or(0) + 1,
                    variant: Variant {
                        id: ID((*variant).into()),
                    },
                })
                .collect(),
        };
        let orders = [
            order("1", "customer-1", &["v1", "v2"]),
            order("2", "customer-2", &["v2"]),
        ]
        .into_iter()
        .map(|order| (order.id.to_string(), order))
        .collect();
        Arc::new(Self {
            orders: Mutex::new(orders),
            changes: broadcast::channel(1024).0,
        })
    }

    fn get(&self, id: &str) -> Option<Order> {
        self.orders.lock().expect("orders").get(id).cloned()
    }

    /// Sets an order's status and tells its subscribers.
    pub fn set_status(&self, id: &str, status: &str) -> Option<Order> {
        let order = {
            let mut orders = self.orders.lock().expect("orders");
            let order = orders.get_mut(id)?;
            order.status = status.into();
            order.clone()
        };
        let _ = self.changes.send(order.clone());
        Some(order)
    }

    /// Subscribers following the store's changes now.
    pub fn subscribers(&self) -> usize {
        self.changes.receiver_count()
    }
}

fn coded(message: &str, code: &'static str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code))
}

pub struct OrdersQuery;

#[Object]
impl OrdersQuery {
    async fn order(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Order>> {
        Ok(ctx.data::<Arc<Store>>()?.get(&id))
    }

    #[graphql(entity)]
    async fn find_order_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Order>> {
        Ok(ctx.data::<Arc<Store>>()?.get(&id))
    }
}

pub struct OrdersMutation;

#[Object]
impl OrdersMutation {
    async fn set_status(&self, ctx: &Context<'_>, id: ID, status: String) -> Result<Option<Order>> {
        Ok(ctx.data::<Arc<Store>>()?.set_status(&id, &status))
    }
}

pub struct OrdersSubscription;

#[Subscription]
impl OrdersSubscription {
    /// The order at each change: only for its owner.
    async fn order_updated(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<impl Stream<Item = Order> + use<>> {
        let store = ctx.data::<Arc<Store>>()?;
        let order = store
            .get(&id)
            .ok_or_else(|| coded("no such order", "NOT_FOUND"))?;
        let caller = ctx.data_opt::<Caller>().map(|c| c.0.as_str());
        if caller != Some(order.owner.as_str()) {
            return Err(coded("this order is not yours", "FORBIDDEN"));
        }
        let changes = tokio_stream(store.changes.subscribe());
        Ok(changes.filter(move |order| std::future::ready(order.id == id)))
    }

    /// Every changed order (guarded by `@authenticated` in the supergraph).
    async fn order_placed(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = Order> + use<>> {
        Ok(tokio_stream(ctx.data::<Arc<Store>>()?.changes.subscribe()))
    }
}

/// A broadcast receiver as a stream (lagged events skipped).
fn tokio_stream(receiver: broadcast::Receiver<Order>) -> impl Stream<Item = Order> {
    futures::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(order) => return Some((order, receiver)),
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

pub type OrdersSchema = Schema<OrdersQuery, OrdersMutation, OrdersSubscription>;

pub fn orders(store: Arc<Store>) -> OrdersSchema {
    Schema::build(OrdersQuery, OrdersMutation, OrdersSubscription)
        .enable_federation()
        .data(store)
        .finish()
}

pub struct CatalogQuery;

#[derive(SimpleObject)]
#[graphql(name = "Variant")]
pub struct CatalogVariant {
    id: ID,
    name: String,
}

#[Object]
impl CatalogQuery {
    async fn variant(&self, id: ID) -> CatalogVariant {
        CatalogVariant::named(id)
    }

    #[graphql(entity)]
    async fn find_variant_by_id(&self, id: ID) -> CatalogVariant {
        CatalogVariant::named(id)
    }
}

impl CatalogVariant {
    fn named(id: ID) -> Self {
        let name = format!("Variant {}", id.as_str());
        Self { id, name }
    }
}

pub fn catalog() -> Schema<CatalogQuery, EmptyMutation, EmptySubscription> {
    Schema::build(CatalogQuery, EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish()
}
