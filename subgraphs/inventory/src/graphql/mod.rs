//! The GraphQL layer: federation entities, queries, staff and checkout mutations,
//! subscriptions. The only
//! module that knows async-graphql; it maps service results onto schema types.

mod access;
mod entities;
mod loaders;
mod mutation;
mod query;
mod results;
mod subscription;
mod types;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Schema, SchemaBuilder};
use commerce_kernel::subgraph;

use crate::AppState;
use mutation::Mutation;
use query::Query;
use subscription::Subscription;

pub type InventorySchema = Schema<Query, Mutation, Subscription>;

/// Builds the schema. Entity batches and warehouses go through the per-request scope; other
/// stock lookups through a loader that keeps no cache, so nothing is stale across requests.
pub fn schema(state: AppState) -> InventorySchema {
    let inventory = state.inventory;
    builder()
        .data(commerce_kernel::entities::RequestScopes::default().with::<entities::RequestScope>())
        .data(DataLoader::new(
            loaders::AvailabilityLoader(inventory.clone()),
            tokio::spawn,
        ))
        .data(inventory)
        .data(state.live)
        .finish()
}

pub fn sdl() -> String {
    subgraph::sdl(builder())
}

fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    subgraph::schema_builder_with_subscription(Query, Mutation, Subscription)
        .register_output_type::<results::ErrorResult>()
}

/// GraphQL `Int` is 32-bit; counts are bounded far below that per row, and sums saturate.
fn int(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(if value < 0 { i32::MIN } else { i32::MAX })
}
