//! The GraphQL API of the customers subgraph (federation v2). Only this layer knows
//! async-graphql; it reads the verified [`Viewer`] that the kernel puts in each request.

mod account;
mod admin;
mod auth;
mod errors;
mod loaders;
mod query;
mod types;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, EmptySubscription, MergedObject, SDLExportOptions, Schema};
use commerce_kernel::viewer::Viewer;

use crate::AppState;
use crate::service::{decode_id, ids};
pub use errors::top_level;

#[derive(MergedObject, Default)]
pub struct Query(query::ViewerQuery, query::AdminQuery);

#[derive(MergedObject, Default)]
pub struct Mutation(
    auth::AuthMutation,
    account::AccountMutation,
    admin::AdminMutation,
);

pub type CustomersSchema = Schema<Query, Mutation, EmptySubscription>;

fn builder() -> async_graphql::SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .enable_federation()
        // Reached only through union members, so registered explicitly.
        .register_output_type::<errors::ErrorResult>()
        .limit_depth(12)
        .limit_complexity(1_000)
}

pub fn build_schema(state: AppState) -> CustomersSchema {
    // Loaders without a cache batch within a request and keep nothing across requests.
    let delay = state.settings.loader_delay;
    builder()
        .data(DataLoader::new(loaders::CustomerLoader(state.clone()), tokio::spawn).delay(delay))
        .data(DataLoader::new(loaders::GroupsLoader(state.clone()), tokio::spawn).delay(delay))
        .data(DataLoader::new(loaders::AddressesLoader(state.clone()), tokio::spawn).delay(delay))
        .data(state)
        .finish()
}

pub fn sdl() -> String {
    builder()
        .finish()
        .sdl_with_options(SDLExportOptions::new().federation().compose_directive())
}

fn state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

/// The request's viewer; a request that came without one (in-process tests) is anonymous.
fn viewer<'a>(ctx: &Context<'a>) -> &'a Viewer {
    static ANONYMOUS: Viewer = Viewer::Anonymous;
    ctx.data_opt::<Viewer>().unwrap_or(&ANONYMOUS)
}

/// The signed-in customer's row id, or UNAUTHENTICATED.
fn signed_in_customer(ctx: &Context<'_>) -> async_graphql::Result<i64> {
    use commerce_kernel::ClientResultExt;
    let id = viewer(ctx).require_customer().or_client()?;
    decode_id(id, ids::CUSTOMER).map_err(top_level)
}

/// Checks a staff permission, or FORBIDDEN / UNAUTHENTICATED.
fn require(ctx: &Context<'_>, permission: &'static str) -> async_graphql::Result<()> {
    use commerce_kernel::ClientResultExt;
    viewer(ctx).require_permission(permission).or_client()
}
