//! The GraphQL layer: federation entities, queries, staff and checkout mutations. The only
//! module that knows async-graphql; it maps service results onto schema types.

mod access;
mod loaders;
mod mutation;
mod query;
mod results;
mod scope;
mod types;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptySubscription, SDLExportOptions, Schema, SchemaBuilder};
use commerce_kernel::ErrorCode;
use commerce_kernel::error::{client_error, internal_error};

use crate::AppState;
use crate::service::InventoryError;

pub type InventorySchema = Schema<query::Query, mutation::Mutation, EmptySubscription>;

/// Builds the schema. Entity batches and warehouses go through the per-request scope; other
/// stock lookups through a loader that keeps no cache, so nothing is stale across requests.
pub fn schema(state: AppState) -> InventorySchema {
    let inventory = state.inventory.clone();
    builder()
        .limit_depth(12)
        .limit_complexity(2_000)
        .extension(commerce_kernel::entities::RequestScope::<scope::RequestScope>::default())
        .data(DataLoader::new(
            loaders::AvailabilityLoader(inventory.clone()),
            tokio::spawn,
        ))
        .data(inventory)
        .finish()
}

/// The Federation v2 SDL this subgraph contributes to the supergraph.
pub fn sdl() -> String {
    builder()
        .finish()
        .sdl_with_options(SDLExportOptions::new().federation().compose_directive())
}

fn builder() -> SchemaBuilder<query::Query, mutation::Mutation, EmptySubscription> {
    Schema::build(query::Query, mutation::Mutation, EmptySubscription)
        .enable_federation()
        // Error members are reached through unions; the interface lists what they share.
        .register_output_type::<results::ErrorResult>()
}

/// A top-level GraphQL error: client failures keep their message and code, the rest is masked.
fn graphql_error(error: InventoryError) -> async_graphql::Error {
    match error.code() {
        ErrorCode::InternalServerError => internal_error(&error),
        code => client_error(code, error.to_string()),
    }
}

/// `?`-friendly conversion of service results.
trait ServiceResultExt<T> {
    fn or_graphql(self) -> async_graphql::Result<T>;
}

impl<T> ServiceResultExt<T> for Result<T, InventoryError> {
    fn or_graphql(self) -> async_graphql::Result<T> {
        self.map_err(graphql_error)
    }
}

/// GraphQL `Int` is 32-bit; counts are bounded far below that per row, and sums saturate.
fn int(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(if value < 0 { i32::MIN } else { i32::MAX })
}
