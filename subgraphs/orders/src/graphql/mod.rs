//! The GraphQL API of the orders subgraph (Federation v2): queries, mutations, subscriptions,
//! the `Order` entity, and the `orders` field this subgraph adds to `Customer`.

mod access;
mod inputs;
mod loaders;
mod mutation;
mod query;
mod results;
mod subscription;
mod types;

use std::time::Duration;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Schema, SchemaBuilder};
use commerce_kernel::subgraph;

use crate::AppState;
use crate::service::OrdersService;
use loaders::{FulfillmentsLoader, LinesLoader, OrderLoader, OrderNumberLoader, TimelineLoader};
use mutation::Mutation;
use query::Query;
use subscription::Subscription;

pub type OrdersSchema = Schema<Query, Mutation, Subscription>;

/// How long a DataLoader waits for more keys after the first: the async-graphql default.
const BATCH_WINDOW: Duration = Duration::from_millis(1);

/// Builds the schema. The loaders keep no cache, so sharing them across requests only
/// widens batches; it never serves stale data.
pub fn schema(state: AppState) -> OrdersSchema {
    let service = state.service;
    builder()
        .data(loader(OrderLoader(service.clone())))
        .data(loader(OrderNumberLoader(service.clone())))
        .data(loader(LinesLoader(service.clone())))
        .data(loader(TimelineLoader(service.clone())))
        .data(loader(FulfillmentsLoader(service.clone())))
        .data(service)
        .data(state.live)
        .finish()
}

fn loader<T: Send + Sync + 'static>(loader: T) -> DataLoader<T> {
    DataLoader::new(loader, tokio::spawn)
        .delay(BATCH_WINDOW)
        .max_batch_size(1000)
}

pub fn sdl() -> String {
    subgraph::sdl(builder())
}

fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    subgraph::schema_builder_with_subscription(Query, Mutation, Subscription)
        .register_output_type::<results::ErrorResult>()
}

fn service_of<'a>(ctx: &Context<'a>) -> &'a OrdersService {
    ctx.data_unchecked::<OrdersService>()
}
