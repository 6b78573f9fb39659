//! Subscriptions, fed by this instance's copy of the orders stream (`LiveEvents`): each event
//! is a signal, and the order is read again from the database before it is sent, so a client
//! always gets the order as stored (and its timeline), whichever events it lagged behind.
//!
//! Access is the `order` query's: `orderUpdated` for the order's customer or staff with
//! `orders:read`, `orderPlaced` for staff with `orders:read` only. The viewer comes from the
//! WebSocket's `connection_init` (kernel `server`).

use std::sync::Arc;

use async_graphql::{Context, ID, Subscription};
use commerce_kernel::error::top_level;
use commerce_kernel::events::{Envelope, Event, LiveEvents};
use commerce_kernel::{ClientResultExt, ErrorCode, KernelError};
use futures::{Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use super::types::Order;
use super::{access, service_of};
use crate::domain::OrderId;
use crate::domain::events::{OrderPlaced, OrderStatusChanged};
use crate::service::OrdersService;

pub struct Subscription;

#[Subscription]
impl Subscription {
    /// The order as it is now, then each time its status changes (its timeline has the
    /// change): for its customer, or staff with `orders:read`. Anyone else gets FORBIDDEN (UNAUTHENTICATED
    /// when signed out), staff NOT_FOUND for an unknown order.
    async fn order_updated(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Order>> + use<>> {
        // Subscribed before the order is read: a change committed in between is not missed.
        let events = ctx.data_unchecked::<LiveEvents>().subscribe();
        let service = service_of(ctx).clone();
        let order = match OrderId::parse(&id) {
            Ok(id) => service.order(id).await.map_err(top_level)?,
            Err(_) => None,
        };
        let Some(order) = access::visible(ctx, order)? else {
            return Err(KernelError::new(ErrorCode::NotFound, "no such order")).or_client();
        };
        let id = order.id;
        let aggregate = id.global();
        let changes = changes(events, move |event| {
            event.event_type == OrderStatusChanged::TYPE && event.aggregate_id == aggregate
        });
        let now = futures::stream::once(std::future::ready(Ok(Order(order))));
        Ok(now.chain(changes.then(move |_| current(service.clone(), id))))
    }

    /// Every order placed from now on: staff with `orders:read` only.
    async fn order_placed(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Order>> + use<>> {
        access::require_reader(ctx)?;
        let events = ctx.data_unchecked::<LiveEvents>().subscribe();
        let service = service_of(ctx).clone();
        let placed = changes(events, |event| event.event_type == OrderPlaced::TYPE);
        Ok(placed.filter_map(move |change| {
            let service = service.clone();
            async move {
                // A lag gives no order id: those orders are missed (staff lists catch up).
                let event = change?;
                let id = OrderId::parse(&event.aggregate_id).ok()?;
                Some(current(service, id).await)
            }
        }))
    }
}

/// The events `wanted` keeps, in order; `None` where the subscriber lagged and events were
/// dropped (the subscription reads its entity again). Ends when the broadcast closes.
fn changes(
    events: tokio::sync::broadcast::Receiver<Arc<Envelope>>,
    wanted: impl Fn(&Envelope) -> bool + Send + 'static,
) -> impl Stream<Item = Option<Arc<Envelope>>> + Send + 'static {
    futures::stream::unfold((events, wanted), |(mut events, wanted)| async move {
        loop {
            match events.recv().await {
                Ok(event) if wanted(&event) => return Some((Some(event), (events, wanted))),
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => return Some((None, (events, wanted))),
                Err(RecvError::Closed) => return None,
            }
        }
    })
}

/// The order as stored now.
async fn current(service: OrdersService, id: OrderId) -> async_graphql::Result<Order> {
    match service.order(id).await.map_err(top_level)? {
        Some(order) => Ok(Order(order)),
        None => Err(KernelError::new(ErrorCode::NotFound, "no such order")).or_client(),
    }
}
