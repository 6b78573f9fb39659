//! Mutations. Internal ones (`placeOrder`, `markOrderPaid`) are for other subgraphs with a
//! service token and are `@inaccessible`: the router's public schema leaves them out. Staff
//! ones need `orders:write`. Every one takes an `idempotencyKey`: a replay returns the first
//! result and changes nothing; the same key with a different request is a CONFLICT error.
//! Expected failures come back as members of each mutation's result union.

use async_graphql::{Context, ID, Object};
use commerce_kernel::error::top_level;
use commerce_kernel::result_union;

use super::inputs::{MoneyInput, OrderFulfillInput, OrderLineQuantityInput, PlaceOrderInput};
use super::results::{
    ErrorResult, FulfillmentNotFound, InvalidOrderLines, InvalidOrderTransition, OrderHasNoPayment,
    OrderNotFound, RefundExceedsRefundable, ServiceRefused,
};
use super::types::Order;
use super::{access, service_of};
use crate::domain::{FulfillmentId, IdempotencyKey, LineQuantity, OrderId, RawOrder};
use crate::service::{Fulfill, OrderError, ReturnLines};

result_union!(
    /// The order after the change, or why the state machine refused it.
    pub OrderTransitionResult(OrderError => ErrorResult) = Order | OrderNotFound | InvalidOrderTransition
);
result_union!(
    /// The order with its new fulfillment, or why none was made.
    pub OrderFulfillResult(OrderError => ErrorResult) = Order | OrderNotFound | InvalidOrderTransition | InvalidOrderLines
);
result_union!(
    /// The order after its payment moved, or why it did not (the order is then unchanged).
    pub OrderPaymentResult(OrderError => ErrorResult) = Order | OrderNotFound | InvalidOrderTransition | OrderHasNoPayment | RefundExceedsRefundable | ServiceRefused
);
result_union!(
    /// The order after the return, or why none was recorded (the order is then unchanged).
    pub OrderReturnResult(OrderError => ErrorResult) = Order | OrderNotFound | InvalidOrderTransition | InvalidOrderLines | OrderHasNoPayment | RefundExceedsRefundable | ServiceRefused
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
        #[graphql(inaccessible)] input: PlaceOrderInput,
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
        let lines = line_quantities(&input.lines)?;
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

    /// Captures the order's authorized payment through payments (`orders:write`): all of it,
    /// or `amount`. The order becomes PAID. If payments cannot be reached the error is
    /// SERVICE_UNAVAILABLE and the order is unchanged.
    async fn order_capture_payment(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        amount: Option<MoneyInput>,
        idempotency_key: String,
    ) -> async_graphql::Result<OrderPaymentResult> {
        access::require_writer(ctx)?;
        let (id, key) = (self::order_id(&order_id)?, key(&idempotency_key)?);
        let amount = parse_amount(amount)?;
        let outcome = service_of(ctx)
            .capture(&key, id, amount, &access::actor(ctx))
            .await;
        OrderPaymentResult::from_result(outcome.map(Order))
    }

    /// Cancels an order before any fulfillment (`orders:write`): voids its payment (refunds it
    /// if captured), puts its stock back, and only then marks it CANCELLED.
    async fn order_cancel(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        reason: String,
        idempotency_key: String,
    ) -> async_graphql::Result<OrderPaymentResult> {
        access::require_writer(ctx)?;
        let (id, key) = (self::order_id(&order_id)?, key(&idempotency_key)?);
        let outcome = service_of(ctx)
            .cancel(&key, id, reason.trim(), &access::actor(ctx))
            .await;
        OrderPaymentResult::from_result(outcome.map(Order))
    }

    /// Refunds part (`amount`) or all that is left of the captured payment (`orders:write`).
    /// The order becomes PARTIALLY_REFUNDED or REFUNDED.
    async fn order_refund(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        amount: Option<MoneyInput>,
        reason: String,
        idempotency_key: String,
    ) -> async_graphql::Result<OrderPaymentResult> {
        access::require_writer(ctx)?;
        let (id, key) = (self::order_id(&order_id)?, key(&idempotency_key)?);
        let amount = parse_amount(amount)?;
        let outcome = service_of(ctx)
            .refund(&key, id, amount, reason.trim(), &access::actor(ctx))
            .await;
        OrderPaymentResult::from_result(outcome.map(Order))
    }

    /// Records delivered lines that came back (`orders:write`) and refunds their share of
    /// the lines' totals; with `restock`, their units go back on hand in the warehouse they
    /// shipped from. The order becomes RETURNED.
    async fn order_return(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        lines: Vec<OrderLineQuantityInput>,
        #[graphql(default)] restock: bool,
        idempotency_key: String,
    ) -> async_graphql::Result<OrderReturnResult> {
        access::require_writer(ctx)?;
        let (id, key) = (self::order_id(&order_id)?, key(&idempotency_key)?);
        let request = ReturnLines {
            order_id: id,
            lines: line_quantities(&lines)?,
            restock,
        };
        let outcome = service_of(ctx)
            .return_lines(&key, &request, &access::actor(ctx))
            .await;
        OrderReturnResult::from_result(outcome.map(Order))
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

fn line_quantities(lines: &[OrderLineQuantityInput]) -> async_graphql::Result<Vec<LineQuantity>> {
    lines
        .iter()
        .enumerate()
        .map(|(index, line)| LineQuantity::parse(index, &line.order_line_id, line.quantity))
        .collect::<Result<Vec<_>, _>>()
        .map_err(top_level)
}

fn parse_amount(
    input: Option<MoneyInput>,
) -> async_graphql::Result<Option<commerce_kernel::Money>> {
    input
        .map(|money| money.parse("amount"))
        .transpose()
        .map_err(top_level)
}

/// Tracking numbers trimmed, blanks dropped.
fn tracking(numbers: Vec<String>) -> Vec<String> {
    numbers
        .into_iter()
        .map(|number| number.trim().to_owned())
        .filter(|number| !number.is_empty())
        .collect()
}
