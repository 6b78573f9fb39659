//! Who may do what: anyone prices a cart; staff reads need `pricing:read` (or
//! `pricing:write`), writes `pricing:write`, and checkout's coupon redemption `pricing:redeem`.
//! The viewer comes verified from the HTTP layer (kernel `server`).

use async_graphql::Context;
use commerce_kernel::ClientResultExt;
use commerce_kernel::viewer::{Permission, Viewer};

/// The verified viewer; anonymous until the HTTP layer puts one in the request.
pub fn viewer(ctx: &Context<'_>) -> Viewer {
    ctx.data_opt::<Viewer>().cloned().unwrap_or_default()
}

pub fn require(viewer: &Viewer, permission: Permission) -> async_graphql::Result<()> {
    viewer.require_permission(permission).or_client()
}
