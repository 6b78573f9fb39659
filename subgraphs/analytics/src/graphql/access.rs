//! Who may do what: every analytics field is for staff with `analytics:read`; rebuilding the
//! rollups needs `analytics:write`. The viewer comes verified from the HTTP layer (kernel
//! `server`).

use async_graphql::Context;
use commerce_kernel::ClientResultExt;
use commerce_kernel::viewer::{Permission, Viewer};

pub const ANALYTICS_READ: Permission = "analytics:read";
pub const ANALYTICS_WRITE: Permission = "analytics:write";

/// Requests without a viewer (executed in-process, not over HTTP) are anonymous.
static ANONYMOUS: Viewer = Viewer::Anonymous;

fn viewer<'a>(ctx: &Context<'a>) -> &'a Viewer {
    ctx.data_opt::<Viewer>().unwrap_or(&ANONYMOUS)
}

/// The guard of every read: UNAUTHENTICATED signed out, FORBIDDEN for customers and staff
/// without the permission.
pub fn require_reader(ctx: &Context<'_>) -> async_graphql::Result<()> {
    viewer(ctx).require_permission(ANALYTICS_READ).or_client()
}

pub fn require_writer(ctx: &Context<'_>) -> async_graphql::Result<()> {
    viewer(ctx).require_permission(ANALYTICS_WRITE).or_client()
}
