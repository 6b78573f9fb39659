//! The GraphQL API of the reviews subgraph (Federation v2): queries, mutations, the `Review`
//! entity, and the `Product` fields this subgraph contributes.

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
use crate::service::ReviewsService;
use loaders::{LatestReviewsLoader, RatingLoader, ReviewLoader};
use mutation::Mutation;
use query::Query;

pub type ReviewsSchema = Schema<Query, Mutation, EmptySubscription>;

/// How long a DataLoader waits for more keys after the first: the async-graphql default.
/// Lists longer than 32 are polled in slices, so on a busy machine a batch can close before
/// the whole list has asked; that costs an extra query, never one per item. `_entities`
/// batches do not depend on it (see `entities`).
const BATCH_WINDOW: Duration = Duration::from_millis(1);

/// Builds the schema. The loaders keep no cache, so sharing them across requests only
/// widens batches; it never serves stale data.
pub fn schema(state: AppState) -> ReviewsSchema {
    let service = state.service;
    builder()
        .data(entities::request_scopes())
        .data(loader(RatingLoader(service.clone())))
        .data(loader(LatestReviewsLoader(service.clone())))
        .data(loader(ReviewLoader(service.clone())))
        .data(service)
        .finish()
}

fn loader<T: Send + Sync + 'static>(loader: T) -> DataLoader<T> {
    DataLoader::new(loader, tokio::spawn).delay(BATCH_WINDOW)
}

pub fn sdl() -> String {
    subgraph::sdl(builder())
}

fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    subgraph::schema_builder(Query, Mutation).register_output_type::<results::ErrorResult>()
}

fn service_of<'a>(ctx: &Context<'a>) -> &'a ReviewsService {
    ctx.data_unchecked::<ReviewsService>()
}
