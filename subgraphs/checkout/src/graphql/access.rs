//! Who may do what: anyone creates a cart; a cart is used by its customer or, for a guest cart,
//! by whoever holds its token (the service checks that); staff with `shipping:write` manage
//! shipping and `shipping:read` lists it. The viewer comes verified from the HTTP layer.

use async_graphql::{Context, ID};
use commerce_kernel::ClientResultExt;
use commerce_kernel::ErrorCode;
use commerce_kernel::error::client_error;
use commerce_kernel::viewer::{Permission, Viewer};

use crate::service::CartRef;

pub const SHIPPING_READ: Permission = "shipping:read";
pub const SHIPPING_WRITE: Permission = "shipping:write";

/// Requests without a viewer (executed in-process, not over HTTP) are anonymous.
static ANONYMOUS: Viewer = Viewer::Anonymous;

pub fn viewer<'a>(ctx: &Context<'a>) -> &'a Viewer {
    ctx.data_opt::<Viewer>().unwrap_or(&ANONYMOUS)
}

pub fn require(ctx: &Context<'_>, permission: Permission) -> async_graphql::Result<()> {
    viewer(ctx).require_permission(permission).or_client()
}

/// The cart an operation names: `cartId` (a customer's cart) or `token` (a guest cart),
/// exactly one of them.
pub fn cart_ref(id: Option<ID>, token: Option<String>) -> async_graphql::Result<CartRef> {
    match (id, token) {
        (Some(id), None) => Ok(CartRef::Id(id.0)),
        (None, Some(token)) => Ok(CartRef::Token(token)),
        _ => Err(client_error(
            ErrorCode::BadUserInput,
            "name the cart by `cartId` or by `token`, not both",
        )),
    }
}
