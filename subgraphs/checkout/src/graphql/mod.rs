//! The GraphQL API of the checkout subgraph (Federation v2): carts, shipping, and the lines'
//! `ProductVariant` references the router resolves from the catalog.

mod access;
mod checkout;
mod mutation;
mod query;
mod results;
mod types;

use async_graphql::{Context, EmptySubscription, Schema, SchemaBuilder};
use commerce_kernel::subgraph;

use crate::AppState;
use crate::service::CheckoutService;
use mutation::Mutation;
use query::Query;

pub use access::{SHIPPING_READ, SHIPPING_WRITE};

pub type CheckoutSchema = Schema<Query, Mutation, EmptySubscription>;

pub fn schema(state: AppState) -> CheckoutSchema {
    builder().data(state.service).finish()
}

pub fn sdl() -> String {
    subgraph::sdl(builder())
}

fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    subgraph::schema_builder(Query, Mutation).register_output_type::<results::ErrorResult>()
}

fn service_of<'a>(ctx: &Context<'a>) -> &'a CheckoutService {
    ctx.data_unchecked::<CheckoutService>()
}
