//! The GraphQL API of the payments subgraph (Federation v2): the internal mutations other
//! subgraphs call with a service token (`@inaccessible`, so the router's public schema leaves
//! them out), the staff mutations, `paymentIntent`, the `PaymentIntent` entity and the
//! `Order.payments` field this subgraph contributes.

mod access;
mod entities;
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
use crate::service::PaymentsService;
use loaders::LedgerLoader;
use mutation::Mutation;
use query::Query;

pub type PaymentsSchema = Schema<Query, Mutation, EmptySubscription>;

/// How long a DataLoader waits for more keys after the first: the async-graphql default.
const BATCH_WINDOW: Duration = Duration::from_millis(1);

/// Builds the schema. The loader keeps no cache, so sharing it across requests only widens
/// batches; it never serves stale data.
pub fn schema(state: AppState) -> PaymentsSchema {
    let service = state.service;
    builder()
        .data(entities::request_scopes())
        .data(DataLoader::new(LedgerLoader(service.clone()), tokio::spawn).delay(BATCH_WINDOW))
        .data(service)
        .finish()
}

pub fn sdl() -> String {
    subgraph::sdl(builder())
}

fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    subgraph::schema_builder(Query, Mutation).register_output_type::<results::ErrorResult>()
}

fn service_of<'a>(ctx: &Context<'a>) -> &'a PaymentsService {
    ctx.data_unchecked::<PaymentsService>()
}
