//! Who may do what. Internal mutations (authorize, cancel a reference, attach) are for other subgraphs calling
//! with a service token. Capture, void and refund are for services and for staff with
//! `payments:write`. An intent is readable by staff with `payments:read`, by services, and by
//! the customer it belongs to. Customers never move money here (FORBIDDEN); anonymous callers
//! are asked to sign in (UNAUTHENTICATED).

use async_graphql::Context;
use commerce_kernel::ClientResultExt;
use commerce_kernel::ErrorCode;
use commerce_kernel::error::client_error;
use commerce_kernel::viewer::{Permission, Viewer};

use crate::domain::PaymentIntent;

pub const PAYMENTS_READ: Permission = "payments:read";
pub const PAYMENTS_WRITE: Permission = "payments:write";

/// Requests without a viewer (executed in-process, not over HTTP) are anonymous.
static ANONYMOUS: Viewer = Viewer::Anonymous;

pub fn viewer<'a>(ctx: &Context<'a>) -> &'a Viewer {
    ctx.data_opt::<Viewer>().unwrap_or(&ANONYMOUS)
}

/// The guard of the internal mutations: another subgraph, never a person.
pub fn require_service(ctx: &Context<'_>) -> async_graphql::Result<()> {
    viewer(ctx).require_service().map(|_| ()).or_client()
}

/// The guard of capture, void and refund.
pub fn require_writer(ctx: &Context<'_>) -> async_graphql::Result<()> {
    viewer(ctx).require_permission(PAYMENTS_WRITE).or_client()
}

/// The guard of searching every intent.
pub fn require_reader(ctx: &Context<'_>) -> async_graphql::Result<()> {
    viewer(ctx).require_permission(PAYMENTS_READ).or_client()
}

/// Whether `viewer` may see `intent`.
pub fn may_read(viewer: &Viewer, intent: &PaymentIntent) -> bool {
    viewer.require_permission(PAYMENTS_READ).is_ok()
        || (viewer.customer_id().is_some() && viewer.customer_id() == intent.customer_id.as_deref())
}

/// Anonymous callers are asked to sign in before anything is looked up.
pub fn require_signed_in(ctx: &Context<'_>) -> async_graphql::Result<()> {
    match viewer(ctx) {
        Viewer::Anonymous => Err(client_error(ErrorCode::Unauthenticated, "sign in first")),
        _ => Ok(()),
    }
}

/// The guard of reading one intent.
pub fn require_read(ctx: &Context<'_>, intent: &PaymentIntent) -> async_graphql::Result<()> {
    if may_read(viewer(ctx), intent) {
        Ok(())
    } else {
        Err(client_error(
            ErrorCode::Forbidden,
            "this payment belongs to someone else; staff need `payments:read`",
        ))
    }
}
