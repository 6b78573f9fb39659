//! The GraphQL API of the customers subgraph (federation v2). Only this layer knows
//! async-graphql; it reads the verified [`Viewer`] that the kernel puts in each request.

mod account;
mod admin;
mod auth;
mod loaders;
mod query;
mod results;
mod types;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, EmptySubscription, MergedObject, Schema, SchemaBuilder};
use commerce_kernel::error::top_level;
use commerce_kernel::subgraph;
use commerce_kernel::viewer::Viewer;

use crate::AppState;
use crate::service::CustomersService;
use crate::service::{decode_id, ids};

#[derive(MergedObject, Default)]
pub struct Query(query::ViewerQuery, query::AdminQuery);

#[derive(MergedObject, Default)]
pub struct Mutation(
    auth::AuthMutation,
    account::AccountMutation,
    admin::AdminMutation,
);

pub type CustomersSchema = Schema<Query, Mutation, EmptySubscription>;

pub fn schema(state: AppState) -> CustomersSchema {
    // Loaders without a cache batch within a request and keep nothing across requests.
    let delay = state.service.settings.loader_delay;
    builder()
        .data(
            DataLoader::new(loaders::CustomerLoader(state.service.clone()), tokio::spawn)
                .delay(delay),
        )
        .data(
            DataLoader::new(loaders::GroupsLoader(state.service.clone()), tokio::spawn)
                .delay(delay),
        )
        .data(
            DataLoader::new(
                loaders::AddressesLoader(state.service.clone()),
                tokio::spawn,
            )
            .delay(delay),
        )
        .data(state)
        .finish()
}

pub fn sdl() -> String {
    subgraph::sdl(builder())
}

fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    subgraph::schema_builder(Query::default(), Mutation::default())
        .register_output_type::<results::ErrorResult>()
}

fn state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

fn customers_service<'a>(ctx: &Context<'a>) -> &'a CustomersService {
    &state(ctx).service
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
