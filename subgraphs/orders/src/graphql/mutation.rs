//! Mutations. Internal ones (`placeOrder`, `markOrderPaid`) are for other subgraphs with a
//! service token and are `@inaccessible`: the router's public schema leaves them out. Staff
//! ones need `orders:write`. Every one takes an `idempotencyKey`: a replay returns the first
//! result and changes nothing; the same key with a different request is a CONFLICT error.
//! Expected failures come back as members of each mutation's result union.

use async_graphql::{Context, ID, Object};
use commerce_kernel::error::top_level;
use commerce_kernel::result_union;

use super::inputs::{OrderFulfillInput, PlaceOrderInput};
use super::results::{
    ErrorResult, FulfillmentNotFound, InvalidOrderLines, InvalidOrderTransition, OrderNotFound,
};
use super::types::Order;
use super::{access, service_of};
use crate::domain::{FulfillmentId, IdempotencyKey, LineQuantity, OrderId, RawOrder};
use crate::service::{Fulfill, OrderError};

result_union!(
    /// The order after the change, or why the state machine refused it.
    pub OrderTransitionResult(OrderError => ErrorResult) = Order | OrderNotFound | InvalidOrderTransition
);
result_union!(
    /// The order with its new fulfillment, or why none was made.
    pub OrderFulfillResult(OrderError => ErrorResult) = Order | OrderNotFound | InvalidOrderTransition | InvalidOrderLines
);
result_union!(
    /// The order after the fulfillment shipped, or why it could not.
    pub OrderShipResult(OrderError => ErrorResult) = Order | FulfillmentNotFound | InvalidOrderTransition
);

fn key(value: &str) -> async_graphql::Result<IdempotencyKey> {
    IdempotencyKey::parse(value).map_err(top_level)
}

fn order_id(value: &ID) -> async_graphql::Result<OrderId> {
    OrderId::parse(value)
        .map_err(OrderError::InvalidId)
        .map_err(top_level)
}

#[derive(Default)]
pub struct Mutation;

#[Object]
impl Mutation {
    /// Internal (checkout): places an order from a completed checkout. The checkout's saga id
    /// is the key, so a retried saga gets the order it already made.
    #[graphql(inaccessible)]
    async fn place_order(
        &self,
        ctx: &Context<'_>,
        input: PlaceOrderInput,
        idempotency_key: String,
    ) -> async_graphql::Result<Order> {
        access::require_service(ctx)?;
        let key = key(&idempotency_key)?;
        let order = RawOrder::from(input).parse().map_err(top_level)?;
        let placed = service_of(ctx)
            .place(&key, &order, &access::actor(ctx))
            .await
            .map_err(top_level)?;
        Ok(Order(placed))
    }

    /// Internal: marks a placed order paid in full, for a payment captured elsewhere.
    #[graphql(inaccessible)]
    async fn mark_order_paid(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        idempotency_key: String,
    ) -> async_graphql::Result<OrderTransitionResult> {
        access::require_service(ctx)?;
        let (id, key) = (self::order_id(&order_id)?, key(&idempotency_key)?);
        let outcome = service_of(ctx)
            .mark_paid(&key, id, &access::actor(ctx))
            .await;
        OrderTransitionResult::from_result(outcome.map(Order))
    }

    /// Records a fulfillment of some lines from one warehouse (`orders:write`); the order
    /// becomes PARTIALLY_FULFILLED or FULFILLED.
    async fn order_fulfill(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        input: OrderFulfillInput,
        idempotency_key: String,
    ) -> async_graphql::Result<OrderFulfillResult> {
        access::require_writer(ctx)?;
        let (id, key) = (self::order_id(&order_id)?, key(&idempotency_key)?);
        let lines = input
            .lines
            .iter()
            .enumerate()
            .map(|(index, line)| LineQuantity::parse(index, &line.order_line_id, line.quantity))
            .collect::<Result<Vec<_>, _>>()
            .map_err(top_level)?;
        let request = Fulfill {
            order_id: id,
            warehouse_id: input.warehouse_id.to_string(),
            lines,
            tracking_numbers: tracking(input.tracking_numbers),
        };
        let outcome = service_of(ctx)
            .fulfill(&key, &request, &access::actor(ctx))
            .await;
        OrderFulfillResult::from_result(outcome.map(Order))
    }

    /// Hands a fulfillment to the carrier (`orders:write`), with its tracking numbers (none:
    /// keep those given when fulfilling). The order becomes SHIPPED once every unit shipped.
    async fn order_ship(
        &self,
        ctx: &Context<'_>,
        fulfillment_id: ID,
        tracking_numbers: Option<Vec<String>>,
        idempotency_key: String,
    ) -> async_graphql::Result<OrderShipResult> {
        access::require_writer(ctx)?;
        let id = FulfillmentId::parse(&fulfillment_id)
            .map_err(OrderError::InvalidId)
            .map_err(top_level)?;
        let key = key(&idempotency_key)?;
        let outcome = service_of(ctx)
            .ship(
                &key,
                id,
                &tracking(tracking_numbers.unwrap_or_default()),
                &access::actor(ctx),
            )
            .await;
        OrderShipResult::from_result(outcome.map(Order))
    }

    /// Records that a shipped order arrived (`orders:write`).
    async fn order_mark_delivered(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        idempotency_key: String,
    ) -> async_graphql::Result<OrderTransitionResult> {
        access::require_writer(ctx)?;
        let (id, key) = (self::order_id(&order_id)?, key(&idempotency_key)?);
        let outcome = service_of(ctx)
            .mark_delivered(&key, id, &access::actor(ctx))
            .await;
        OrderTransitionResult::from_result(outcome.map(Order))
    }
}

/// Tracking numbers trimmed, blanks dropped.
fn tracking(numbers: Vec<String>) -> Vec<String> {
    numbers
        .into_iter()
        .map(|number| number.trim().to_owned())
        .filter(|number| !number.is_empty())
        .collect()
}
