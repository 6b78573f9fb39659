//! The GraphQL layer: federation entities, queries, staff and checkout mutations. The only
//! module that knows async-graphql; it maps service results onto schema types.

mod loaders;
mod mutation;
mod query;
mod results;
mod types;

use std::time::Duration;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptySubscription, SDLExportOptions, Schema, SchemaBuilder};
use commerce_kernel::ErrorCode;
use commerce_kernel::error::{client_error, internal_error};

use crate::AppState;
use crate::service::InventoryError;

pub type InventorySchema = Schema<query::Query, mutation::Mutation, EmptySubscription>;

/// Builds the schema. Loaders batch every lookup made while a request resolves; they keep no
/// cache, so nothing is stale across requests.
pub fn schema(state: AppState) -> InventorySchema {
    let inventory = state.inventory.clone();
    builder()
        .limit_depth(12)
        .limit_complexity(2_000)
        .data(loader(loaders::AvailabilityLoader(inventory.clone())))
        .data(loader(loaders::WarehouseLoader(inventory.clone())))
        .data(inventory)
        .finish()
}

/// How long a loader waits for the rest of its batch. The default 1 ms is shorter than one
/// level of a large `_entities` batch takes to poll in a debug build or on a busy machine
/// (futures yields every 32 items), which would split the batch; 5 ms keeps one query.
const LOADER_DELAY: Duration = Duration::from_millis(5);

fn loader<T: Send + Sync + 'static>(loader: T) -> DataLoader<T> {
    DataLoader::new(loader, tokio::spawn).delay(LOADER_DELAY)
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
