//! The GraphQL API of the catalog (the only layer that knows async-graphql): a Federation v2
//! subgraph owning `Product` and `ProductVariant`.

mod access;
mod entities;
mod errors;
mod listing;
mod loaders;
mod mutation;
mod query;
mod types;

use async_graphql::{EmptySubscription, Schema, SchemaBuilder};
use commerce_kernel::entities::RequestScope;

use crate::service::Catalog;

pub use mutation::Mutation;
pub use query::Query;

pub type CatalogSchema = Schema<query::Query, mutation::Mutation, EmptySubscription>;

/// Deep enough for product → variants → product → category → ancestors, no deeper.
const MAX_DEPTH: usize = 12;
const MAX_COMPLEXITY: usize = 5_000;

pub fn build_schema(catalog: Catalog) -> CatalogSchema {
    builder()
        .data(loaders::Loaders::new(&catalog))
        .data(catalog)
        .finish()
}

/// The schema's shape, without data (enough to export the SDL).
pub fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query, Mutation, EmptySubscription)
        .enable_federation()
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        // Only union members implement it, so no field would make the schema include it.
        .register_output_type::<errors::ErrorResult>()
        .extension(RequestScope::<entities::EntityBatches>::default())
}
