//! Who may do what: the public reads published products; staff with `catalog:write` edit the
//! catalog and see drafts. The viewer comes verified from the HTTP layer (kernel `server`).

use async_graphql::Context;
use commerce_kernel::ClientResultExt;
use commerce_kernel::viewer::{Permission, Viewer};

pub const CATALOG_WRITE: Permission = "catalog:write";

fn viewer<'a>(ctx: &Context<'a>) -> Option<&'a Viewer> {
    ctx.data_opt::<Viewer>()
}

/// The guard of every mutation, and of reading drafts.
pub fn require_writer(ctx: &Context<'_>) -> async_graphql::Result<()> {
    let anonymous = Viewer::Anonymous;
    viewer(ctx)
        .unwrap_or(&anonymous)
        .require_permission(CATALOG_WRITE)
        .or_client()
}

pub fn is_writer(ctx: &Context<'_>) -> bool {
    viewer(ctx).is_some_and(|v| v.require_permission(CATALOG_WRITE).is_ok())
}
