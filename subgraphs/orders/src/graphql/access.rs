//! Who may do what. An order is readable by its customer and by staff with `orders:read`;
//! staff change orders with `orders:write`; `placeOrder` and `markOrderPaid` are internal
//! (another subgraph with a service token). Services pass every staff check (they act for the
//! shop). The viewer comes verified from the HTTP layer (kernel `server`).
//!
//! Reading an order that is not yours: `order`/`orderByNumber` answer FORBIDDEN to a customer
//! (whether or not the order exists, so ids and numbers reveal nothing), UNAUTHENTICATED when
//! signed out, and null to staff for an unknown order. `_entities` answers null instead of an
//! error, so one hidden order does not fail a whole router response.

use async_graphql::{Context, ID};
use commerce_kernel::viewer::{Permission, Viewer};
use commerce_kernel::{ClientResultExt, ErrorCode, KernelError};

use crate::domain::{Actor, Order};

pub const ORDERS_READ: Permission = "orders:read";
pub const ORDERS_WRITE: Permission = "orders:write";

/// Requests without a viewer (executed in-process, not over HTTP) are anonymous.
static ANONYMOUS: Viewer = Viewer::Anonymous;

fn viewer<'a>(ctx: &Context<'a>) -> &'a Viewer {
    ctx.data_opt::<Viewer>().unwrap_or(&ANONYMOUS)
}

/// Who the timeline records for this request.
pub fn actor(ctx: &Context<'_>) -> Actor {
    match viewer(ctx) {
        Viewer::Customer { id, .. } | Viewer::Staff { id, .. } => Actor(id.clone()),
        Viewer::Service { name } => Actor(format!("service:{name}")),
        Viewer::Anonymous => Actor::system(),
    }
}

/// The guard of the staff search.
pub fn require_reader(ctx: &Context<'_>) -> async_graphql::Result<()> {
    viewer(ctx).require_permission(ORDERS_READ).or_client()
}

/// The guard of every staff mutation.
pub fn require_writer(ctx: &Context<'_>) -> async_graphql::Result<()> {
    viewer(ctx).require_permission(ORDERS_WRITE).or_client()
}

/// The guard of internal mutations: only other subgraphs, with a service token.
pub fn require_service(ctx: &Context<'_>) -> async_graphql::Result<()> {
    viewer(ctx).require_service().map(|_| ()).or_client()
}

/// A customer's own orders, or any customer's for staff with `orders:read`.
pub fn require_customer_or_reader(
    ctx: &Context<'_>,
    customer_id: &ID,
) -> async_graphql::Result<()> {
    let viewer = viewer(ctx);
    if viewer.customer_id() == Some(customer_id.as_str()) {
        return Ok(());
    }
    viewer.require_permission(ORDERS_READ).or_client()
}

/// Whether the viewer may read `order`.
pub fn may_read(ctx: &Context<'_>, order: &Order) -> bool {
    let viewer = viewer(ctx);
    let own =
        viewer.customer_id().is_some() && viewer.customer_id() == order.customer_id.as_deref();
    own || viewer.require_permission(ORDERS_READ).is_ok()
}

/// The answer to a root read of an order: the order, null (staff, unknown order), or an
/// error for anyone who may not read it.
pub fn visible(ctx: &Context<'_>, order: Option<Order>) -> async_graphql::Result<Option<Order>> {
    match order {
        Some(order) if may_read(ctx, &order) => Ok(Some(order)),
        None if viewer(ctx).require_permission(ORDERS_READ).is_ok() => Ok(None),
        _ => Err(refusal(viewer(ctx))).or_client(),
    }
}

fn refusal(viewer: &Viewer) -> KernelError {
    match viewer {
        Viewer::Anonymous => KernelError::new(ErrorCode::Unauthenticated, "sign in first"),
        _ => KernelError::new(ErrorCode::Forbidden, "this order is not yours"),
    }
}
