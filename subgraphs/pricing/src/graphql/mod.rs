//! The GraphQL layer: federation entities, `priceCart`, staff reads and mutations. The only
//! module that knows async-graphql; it maps service results onto schema types.

mod access;
mod entities;
mod inputs;
mod mutation;
mod query;
mod results;
mod types;

use async_graphql::{Context, EmptySubscription, Schema, SchemaBuilder};
use commerce_kernel::{ClientResultExt, GlobalId, subgraph};

use crate::AppState;
use crate::service::PricingService;
use mutation::Mutation;
use query::Query;

pub type PricingSchema = Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema. Prices are loaded once per request and currency for a whole `_entities`
/// batch (see `entities::RequestPrices`); nothing is kept across requests.
pub fn schema(state: AppState) -> PricingSchema {
    builder()
        .data(commerce_kernel::entities::RequestScopes::default().with::<entities::RequestPrices>())
        .data(state.service)
        .finish()
}

pub fn sdl() -> String {
    subgraph::sdl(builder())
}

fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    subgraph::schema_builder(Query, Mutation).register_output_type::<results::ErrorResult>()
}

fn service<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a PricingService> {
    ctx.data::<PricingService>()
}

/// Decodes one of pricing's own ids (`PriceList`, `Promotion`, ...).
fn decode(id: &str, type_name: &str) -> async_graphql::Result<i64> {
    GlobalId::decode(id, type_name).or_client()
}
