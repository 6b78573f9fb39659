//! The GraphQL API of the webhooks subgraph (Federation v2): staff queries and mutations
//! over endpoints, their delivery log and replays. No federated entity.

mod access;
mod loaders;
mod mutation;
mod query;
mod results;
mod types;

use std::time::Duration;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, EmptySubscription, Schema, SchemaBuilder};
use commerce_kernel::subgraph;

use crate::AppState;
use crate::service::WebhooksService;
use loaders::AttemptsLoader;
use mutation::Mutation;
use query::Query;

pub type WebhooksSchema = Schema<Query, Mutation, EmptySubscription>;

/// How long the attempts loader waits for more keys after the first (the async-graphql
/// default).
const BATCH_WINDOW: Duration = Duration::from_millis(1);

/// Builds the schema. The loader keeps no cache, so sharing it across requests only widens
/// batches; it never serves stale data.
pub fn schema(state: AppState) -> WebhooksSchema {
    let service = state.service;
    builder()
        .data(DataLoader::new(AttemptsLoader(service.clone()), tokio::spawn).delay(BATCH_WINDOW))
        .data(service)
        .finish()
}

pub fn sdl() -> String {
    subgraph::sdl(builder())
}

fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    subgraph::schema_builder(Query, Mutation).register_output_type::<results::ErrorResult>()
}

fn service_of<'a>(ctx: &Context<'a>) -> &'a WebhooksService {
    ctx.data_unchecked::<WebhooksService>()
}
