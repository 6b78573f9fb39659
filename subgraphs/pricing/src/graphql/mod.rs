//! The GraphQL layer: federation entities, `priceCart`, staff reads and mutations. The only
//! module that knows async-graphql; it maps service results onto schema types.

mod entities;
mod inputs;
mod mutation;
mod query;
mod results;
mod types;

use async_graphql::{Context, EmptySubscription, SDLExportOptions, Schema, SchemaBuilder};
use commerce_kernel::error::{client_error, internal_error};
use commerce_kernel::viewer::{Permission, Viewer};
use commerce_kernel::{ClientResultExt, ErrorCode, GlobalId};

use crate::AppState;
use crate::service::{PricingService, ServiceError};

pub type PricingSchema = Schema<query::Query, mutation::Mutation, EmptySubscription>;

/// Builds the schema. Prices are loaded once per request and currency for a whole `_entities`
/// batch (see `entities::RequestPrices`); nothing is kept across requests.
pub fn schema(state: AppState) -> PricingSchema {
    builder()
        .limit_depth(12)
        .limit_complexity(2_000)
        .extension(commerce_kernel::entities::RequestScope::<
            entities::RequestPrices,
        >::default())
        .data(state.service)
        .finish()
}

/// The Federation v2 SDL this subgraph contributes to the supergraph.
pub fn sdl() -> String {
    builder()
        .finish()
        .sdl_with_options(SDLExportOptions::new().federation().compose_directive())
}

fn builder() -> SchemaBuilder<query::Query, mutation::Mutation, EmptySubscription> {
    Schema::build(query::Query, mutation::Mutation, EmptySubscription)
        .enable_federation()
        // Error members are reached through unions; the interface lists what they share.
        .register_output_type::<results::ErrorResult>()
}

fn service<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a PricingService> {
    ctx.data::<PricingService>()
}

/// The verified viewer; anonymous until the HTTP layer puts one in the request.
fn viewer(ctx: &Context<'_>) -> Viewer {
    ctx.data_opt::<Viewer>().cloned().unwrap_or_default()
}

fn require(viewer: &Viewer, permission: Permission) -> async_graphql::Result<()> {
    viewer.require_permission(permission).or_client()
}

/// Decodes one of pricing's own ids (`PriceList`, `Promotion`, ...).
fn decode(id: &str, type_name: &str) -> async_graphql::Result<i64> {
    GlobalId::decode(id, type_name).or_client()
}

/// A top-level GraphQL error: client failures keep their message and code, the rest is masked.
fn graphql_error(error: ServiceError) -> async_graphql::Error {
    match error.code() {
        ErrorCode::InternalServerError => internal_error(&error),
        code => client_error(code, error.to_string()),
    }
}

/// `?`-friendly conversion of service results.
trait ServiceResultExt<T> {
    fn or_graphql(self) -> async_graphql::Result<T>;
}

impl<T> ServiceResultExt<T> for Result<T, ServiceError> {
    fn or_graphql(self) -> async_graphql::Result<T> {
        self.map_err(graphql_error)
    }
}
