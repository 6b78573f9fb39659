//! The GraphQL API of the catalog (the only layer that knows async-graphql): a Federation v2
//! subgraph owning `Product` and `ProductVariant`.

mod access;
mod entities;
mod listing;
mod loaders;
mod mutation;
mod query;
mod results;
mod types;

use async_graphql::{EmptySubscription, Schema, SchemaBuilder};
use commerce_kernel::entities::RequestScopes;
use commerce_kernel::subgraph;

use crate::AppState;
use mutation::Mutation;
use query::Query;

pub type CatalogSchema = Schema<Query, Mutation, EmptySubscription>;

pub fn schema(state: AppState) -> CatalogSchema {
    let mut builder = builder()
        .data(RequestScopes::default().with::<entities::EntityBatches>())
        .data(loaders::Loaders::new(&state.catalog));
    if let Some(responses) = state.catalog.response_cache() {
        builder = builder.data(responses);
    }
    builder.data(state.catalog).finish()
}

pub fn sdl() -> String {
    subgraph::sdl(builder())
}

fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    subgraph::schema_builder(Query, Mutation).register_output_type::<results::ErrorResult>()
}
