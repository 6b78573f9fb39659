//! The GraphQL API of the analytics subgraph (Federation v2): the dashboard's staff-only
//! reads and the rebuild. Products and variants are catalog entities referenced by id.

mod access;
mod mutation;
mod query;
mod types;

use async_graphql::{Context, EmptySubscription, Schema, SchemaBuilder};
use commerce_kernel::subgraph;

use crate::AppState;
use crate::service::AnalyticsService;
use mutation::Mutation;
use query::Query;

pub use access::{ANALYTICS_READ, ANALYTICS_WRITE};

pub type AnalyticsSchema = Schema<Query, Mutation, EmptySubscription>;

pub fn schema(state: AppState) -> AnalyticsSchema {
    builder().data(state.service).finish()
}

pub fn sdl() -> String {
    subgraph::sdl(builder())
}

fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    subgraph::schema_builder(Query, Mutation)
}

fn service_of<'a>(ctx: &Context<'a>) -> &'a AnalyticsService {
    ctx.data_unchecked::<AnalyticsService>()
}
