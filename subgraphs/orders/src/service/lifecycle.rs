//! What staff (and the checkout, for payment) do to an order after it is placed, each step a
//! checked state-machine transition with a timeline entry, idempotent by its key.

use futures::FutureExt;
use serde::Serialize;
use serde_json::json;
use tracing::instrument;

use super::idempotent::Once;
use super::{OrderError, OrdersService, apply, load};
use crate::domain::{
    Actor, EventKind, FulfillmentId, FulfillmentLine, FulfillmentStatus, IdempotencyKey,
    InvalidTransition, LineQuantity, NewEvent, Order, OrderId, OrderStatus, plan_fulfillment,
};
use crate::store::{self, Amounts};

/// A fulfillment staff ask for: lines from one warehouse.
#[derive(Debug, Clone, Serialize)]
pub struct Fulfill {
    pub order_id: OrderId,
    /// The inventory's `Warehouse` id, stored as given.
    pub warehouse_id: String,
    pub lines: Vec<LineQuantity>,
    pub tracking_numbers: Vec<String>,
}

impl OrdersService {
    /// Marks a placed order paid in full (a payment captured outside `orderCapturePayment`,
    /// such as a checkout that captures at once).
    #[instrument(skip_all, fields(order = id.0))]
    pub async fn mark_paid(
        &self,
        key: &IdempotencyKey,
        id: OrderId,
        actor: &Actor,
    ) -> Result<Order, OrderError> {
        Once::new(key, "markOrderPaid", &id)?
            .run(&self.db, |txn, at| {
                let actor = actor.clone();
                async move {
                    let order = load(txn, id).await?;
                    let to = order.status.transition(OrderStatus::Paid)?;
                    let total = order.totals.total;
                    let event = NewEvent::status(
                        EventKind::StatusChanged,
                        order.status,
                        to,
                        format!("Payment of {total} received"),
                    );
                    let amounts = Amounts {
                        captured: Some(total.amount),
                        refunded: None,
                    };
                    apply(txn, &order, to, amounts, &actor, &[event], at).await
                }
                .boxed()
            })
            .await
    }

    /// Records a fulfillment of some lines from one warehouse; the order becomes partially
    /// or wholly fulfilled.
    #[instrument(skip_all, fields(order = request.order_id.0))]
    pub async fn fulfill(
        &self,
        key: &IdempotencyKey,
        request: &Fulfill,
        actor: &Actor,
    ) -> Result<Order, OrderError> {
        Once::new(key, "orderFulfill", request)?
            .run(&self.db, |txn, at| {
                let (request, actor) = (request.clone(), actor.clone());
                async move {
                    let order = load(txn, request.order_id).await?;
                    let lines = store::lines_of(txn, &[(order.id, order.currency)].into())
                        .await?
                        .remove(&order.id)
                        .unwrap_or_default();
                    let plan = plan_fulfillment(&lines, &request.lines)?;
                    let to = order.status.transition(plan.status)?;
                    for (line_id, quantity) in &plan.fulfilled {
                        let before = lines
                            .iter()
                            .find(|line| line.id == *line_id)
                            .map_or(0, |line| line.fulfilled_quantity);
                        if !store::set_fulfilled(txn, *line_id, before, *quantity).await? {
                            return Err(OrderError::Concurrent {
                                id: order.id.global(),
                            });
                        }
                    }
                    let fulfillment_lines: Vec<FulfillmentLine> = request
                        .lines
                        .iter()
                        .map(|line| FulfillmentLine {
                            order_line_id: line.order_line_id,
                            quantity: line.quantity,
                        })
                        .collect();
                    let fulfillment = store::insert_fulfillment(
                        txn,
                        order.id,
                        &request.warehouse_id,
                        &request.tracking_numbers,
                        &fulfillment_lines,
                        at,
                    )
                    .await?;
                    let units: i64 = request.lines.iter().map(|line| line.quantity).sum();
                    let event = NewEvent::status(
                        EventKind::Fulfilled,
                        order.status,
                        to,
                        format!("{units} units fulfilled"),
                    );
                    let event = with_fields(
                        event,
                        json!({
                            "fulfillmentId": fulfillment.global(),
                            "warehouseId": request.warehouse_id,
                        }),
                    );
                    apply(txn, &order, to, Amounts::default(), &actor, &[event], at).await
                }
                .boxed()
            })
            .await
    }

    /// Hands a fulfillment to the carrier. The order becomes SHIPPED once it is wholly
    /// fulfilled and every fulfillment has shipped; before that it keeps its status.
    #[instrument(skip_all, fields(fulfillment = id.0))]
    pub async fn ship(
        &self,
        key: &IdempotencyKey,
        id: FulfillmentId,
        tracking_numbers: &[String],
        actor: &Actor,
    ) -> Result<Order, OrderError> {
        Once::new(key, "orderShip", &(id, tracking_numbers))?
            .run(&self.db, |txn, at| {
                let (tracking_numbers, actor) = (tracking_numbers.to_vec(), actor.clone());
                async move {
                    let not_found = || OrderError::FulfillmentNotFound { id: id.global() };
                    let fulfillment = store::fulfillment(txn, id).await?.ok_or_else(not_found)?;
                    let order = load(txn, fulfillment.order_id).await?;
                    let shippable = matches!(
                        order.status,
                        OrderStatus::PartiallyFulfilled | OrderStatus::Fulfilled
                    ) && fulfillment.status == FulfillmentStatus::Fulfilled;
                    if !shippable {
                        return Err(InvalidTransition {
                            from: order.status,
                            to: OrderStatus::Shipped,
                        }
                        .into());
                    }
                    let tracking = if tracking_numbers.is_empty() {
                        fulfillment.tracking_numbers.clone()
                    } else {
                        tracking_numbers
                    };
                    if !store::ship_fulfillment(txn, id, &tracking, at).await? {
                        return Err(OrderError::Concurrent {
                            id: order.id.global(),
                        });
                    }
                    let all_shipped = store::fulfillments_of(txn, &[order.id])
                        .await?
                        .remove(&order.id)
                        .unwrap_or_default()
                        .iter()
                        .all(|f| f.status != FulfillmentStatus::Fulfilled);
                    let to = if order.status == OrderStatus::Fulfilled && all_shipped {
                        OrderStatus::Shipped
                    } else {
                        order.status
                    };
                    let event = NewEvent::status(
                        EventKind::Shipped,
                        order.status,
                        to,
                        format!("Fulfillment shipped ({})", tracking.join(", ")),
                    );
                    let event = with_fields(
                        event,
                        json!({ "fulfillmentId": id.global(), "trackingNumbers": tracking }),
                    );
                    apply(txn, &order, to, Amounts::default(), &actor, &[event], at).await
                }
                .boxed()
            })
            .await
    }

    /// Records that a shipped order arrived.
    #[instrument(skip_all, fields(order = id.0))]
    pub async fn mark_delivered(
        &self,
        key: &IdempotencyKey,
        id: OrderId,
        actor: &Actor,
    ) -> Result<Order, OrderError> {
        Once::new(key, "orderMarkDelivered", &id)?
            .run(&self.db, |txn, at| {
                let actor = actor.clone();
                async move {
                    let order = load(txn, id).await?;
                    let to = order.status.transition(OrderStatus::Delivered)?;
                    store::deliver_fulfillments(txn, order.id).await?;
                    let event = NewEvent::status(
                        EventKind::Delivered,
                        order.status,
                        to,
                        "Delivered".to_owned(),
                    );
                    apply(txn, &order, to, Amounts::default(), &actor, &[event], at).await
                }
                .boxed()
            })
            .await
    }
}

/// Adds `fields` to an event's data object.
fn with_fields(mut event: NewEvent, fields: serde_json::Value) -> NewEvent {
    if let (Some(serde_json::Value::Object(data)), serde_json::Value::Object(fields)) =
        (&mut event.data, fields)
    {
        data.extend(fields);
    }
    event
}
