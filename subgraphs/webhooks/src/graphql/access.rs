//! Who may do what: every field of this subgraph is for staff with `webhooks:manage` (the
//! endpoints' URLs, the events' bodies and the secrets are the shop's). The viewer comes
//! verified from the HTTP layer (kernel `server`).

use async_graphql::Context;
use commerce_kernel::ClientResultExt;
use commerce_kernel::viewer::{Permission, Viewer};

pub const WEBHOOKS_MANAGE: Permission = "webhooks:manage";

/// Requests without a viewer (executed in-process, not over HTTP) are anonymous.
static ANONYMOUS: Viewer = Viewer::Anonymous;

/// The guard of every query and mutation.
pub fn require_manager(ctx: &Context<'_>) -> async_graphql::Result<()> {
    ctx.data_opt::<Viewer>()
        .unwrap_or(&ANONYMOUS)
        .require_permission(WEBHOOKS_MANAGE)
        .or_client()
}
