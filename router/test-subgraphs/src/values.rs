//! Subgraphs for input and output values: enums (one @inaccessible), an input object with
//! a default, custom scalars (`DateTime`, object-valued `JSON`), a field with arguments that
//! another subgraph `@requires`, and fields that fail.

use async_graphql::{
    EmptyMutation, EmptySubscription, Enum, ID, InputObject, Json, Object, Result, Schema,
};
use chrono::{DateTime, TimeZone, Utc};

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
pub enum Role {
    Admin,
    Customer,
    Secret,
}

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
pub enum WeightUnit {
    Kg,
    Lb,
}

#[derive(InputObject)]
pub struct UserFilter {
    role: Option<Role>,
    name_contains: Option<String>,
    #[graphql(default = 10)]
    limit: i32,
}

#[derive(Clone)]
pub struct User {
    id: u32,
    name: &'static str,
    role: Role,
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }
    async fn name(&self) -> &str {
        self.name
    }
    async fn role(&self) -> Role {
        self.role
    }
    async fn created_at(&self) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, self.id, 12, 0, 0)
            .single()
            .unwrap_or_default()
    }
    async fn flaky(&self) -> Result<String> {
        if self.id == 2 {
            Err("flaky failed".into())
        } else {
            Ok("fine".into())
        }
    }
    async fn ssn(&self) -> &str {
        "000-00-0000"
    }
    async fn weight(&self, #[graphql(default_with = "WeightUnit::Kg")] unit: WeightUnit) -> f64 {
        let kg = 10.0 * f64::from(self.id);
        match unit {
            WeightUnit::Kg => kg,
            WeightUnit::Lb => kg * 2.2,
        }
    }
}

fn users() -> Vec<User> {
    vec![
        User {
            id: 1,
            name: "Ada",
            role: Role::Admin,
        },
        User {
            id: 2,
            name: "Grace",
            role: Role::Customer,
        },
    ]
}

pub struct ShopQuery;

#[Object]
impl ShopQuery {
    async fn users(&self, filter: Option<UserFilter>) -> Vec<User> {
        let mut all = users();
        if let Some(filter) = filter {
            all.retain(|u| filter.role.is_none_or(|r| r == u.role));
            if let Some(part) = &filter.name_contains {
                all.retain(|u| u.name.contains(part.as_str()));
            }
            all.truncate(usize::try_from(filter.limit).unwrap_or(0));
        }
        all
    }
    async fn maybe_users(&self) -> Vec<Option<User>> {
        users().into_iter().map(Some).collect()
    }
    async fn echo(
        &self,
        value: Option<Json<serde_json::Value>>,
    ) -> Option<Json<serde_json::Value>> {
        value
    }
    async fn internal_users(&self) -> Vec<User> {
        users()
    }
    /// Includes a value that is `@inaccessible` in the supergraph.
    async fn roles(&self) -> Vec<Option<Role>> {
        vec![Some(Role::Admin), Some(Role::Secret)]
    }
    async fn required_role(&self) -> Role {
        Role::Secret
    }
    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> Option<User> {
        users().into_iter().find(|u| u.id.to_string() == id.0)
    }
}

pub struct ShopMutation;

#[Object]
impl ShopMutation {
    async fn rename(&self, id: ID, name: String) -> Option<User> {
        let user = users().into_iter().find(|u| u.id.to_string() == id.0)?;
        // Leak is fine in tests: names are `&'static str` to keep the fixture simple.
        let name: &'static str = Box::leak(name.into_boxed_str());
        Some(User { name, ..user })
    }
}

pub fn shop() -> Schema<ShopQuery, ShopMutation, EmptySubscription> {
    Schema::build(ShopQuery, ShopMutation, EmptySubscription)
        .enable_federation()
        .finish()
}

pub struct ShippingUser {
    id: ID,
    weight: Option<f64>,
}

#[Object(name = "User")]
impl ShippingUser {
    async fn id(&self) -> &ID {
        &self.id
    }
    /// Who ships to this user: a field of the same entity without `@requires`.
    async fn carrier(&self) -> String {
        format!("carrier-{}", self.id.0)
    }
    /// Twice the weight in pounds; the router must send `weight(unit: LB)`. User 2 fails.
    async fn shipping_cost(&self) -> Result<f64> {
        if self.id.0 == "2" {
            return Err("no shipping to user 2".into());
        }
        match self.weight {
            Some(w) => Ok((w * 2.0 * 100.0).round() / 100.0),
            None => Err("weight is required".into()),
        }
    }
}

pub struct ShippingQuery;

#[Object]
impl ShippingQuery {
    #[graphql(entity)]
    async fn find_user_by_id(&self, #[graphql(key)] id: ID, weight: Option<f64>) -> ShippingUser {
        ShippingUser { id, weight }
    }
}

pub fn shipping() -> Schema<ShippingQuery, EmptyMutation, EmptySubscription> {
    Schema::build(ShippingQuery, EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish()
}
