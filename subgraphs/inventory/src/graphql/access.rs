//! Who may do what: anyone reads warehouses and stock; staff (or a service token) holding
//! `inventory:write` change stock, run the checkout reservation cycle, and read the movement
//! log and reservations. The viewer comes verified from the HTTP layer (kernel `server`).

use async_graphql::Context;
use commerce_kernel::ClientResultExt;
use commerce_kernel::viewer::{Permission, Viewer};

pub const INVENTORY_WRITE: Permission = "inventory:write";

/// The guard of every mutation and of the staff-only reads: `FORBIDDEN` for customers and
/// staff without the permission, `UNAUTHENTICATED` for anonymous callers.
pub fn require_writer(ctx: &Context<'_>) -> async_graphql::Result<()> {
    let anonymous = Viewer::Anonymous;
    ctx.data_opt::<Viewer>()
        .unwrap_or(&anonymous)
        .require_permission(INVENTORY_WRITE)
        .or_client()
}

/// The guard of internal mutations: only other subgraphs, with a service token.
pub fn require_service(ctx: &Context<'_>) -> async_graphql::Result<()> {
    let anonymous = Viewer::Anonymous;
    ctx.data_opt::<Viewer>()
        .unwrap_or(&anonymous)
        .require_service()
        .map(|_| ())
        .or_client()
}
