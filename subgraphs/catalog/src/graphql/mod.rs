//! The GraphQL API of the catalog (the only layer that knows async-graphql): a Federation v2
//! subgraph owning `Product` and `ProductVariant`.

mod errors;
mod listing;
mod loaders;
pub(crate) mod mutation;
pub(crate) mod query;
mod types;

use async_graphql::{EmptySubscription, Schema};

use crate::service::Catalog;

pub(crate) use mutation::Mutation;
pub(crate) use query::Query;

pub type CatalogSchema = Schema<query::Query, mutation::Mutation, EmptySubscription>;

/// Deep enough for product → variants → product → category → ancestors, no deeper.
const MAX_DEPTH: usize = 12;
const MAX_COMPLEXITY: usize = 5_000;

pub fn build_schema(catalog: Catalog) -> CatalogSchema {
    Schema::build(Query, Mutation, EmptySubscription)
        .enable_federation()
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .data(loaders::Loaders::new(&catalog))
        .data(catalog)
        .finish()
}
