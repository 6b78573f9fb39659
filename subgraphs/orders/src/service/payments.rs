//! What moves money or stock back: capturing the payment, cancelling, refunding and returns.
//! Each calls payments (and inventory) first, with keys derived from its own, and changes the
//! order only once they succeeded; a replay of the key returns the stored result without
//! calling anyone. A retry after a crash between the call and the order's update re-sends the
//! same derived keys, so the callees answer their first result and the order catches up.

use std::collections::HashMap;

use commerce_kernel::Money;
use futures::FutureExt;
use serde::Serialize;
use tracing::instrument;

use super::idempotent::Once;
use super::{OrderError, OrdersService, apply, load};
use crate::domain::{
    Actor, EventKind, IdempotencyKey, LineQuantity, NewEvent, Order, OrderId, OrderLine,
    OrderStatus, plan_return,
};
use crate::store::{self, Amounts};

/// A return staff record: lines that came back, and whether they go back on the shelf.
#[derive(Debug, Clone, Serialize)]
pub struct ReturnLines {
    pub order_id: OrderId,
    pub lines: Vec<LineQuantity>,
    pub restock: bool,
}

impl OrdersService {
    /// Captures the order's payment (all of it, or `amount`); the order becomes PAID.
    #[instrument(skip_all, fields(order = id.0))]
    pub async fn capture(
        &self,
        key: &IdempotencyKey,
        id: OrderId,
        amount: Option<Money>,
        actor: &Actor,
    ) -> Result<Order, OrderError> {
        let once = Once::new(key, "orderCapturePayment", &(id, amount))?;
        if let Some(order) = once.replay(&self.db).await? {
            return Ok(order);
        }
        let order = load(&self.db, id).await?;
        order.status.transition(OrderStatus::Paid)?;
        check_currency(&order, amount)?;
        let intent = intent(&order, "capture")?;
        let paid = self
            .remote
            .capture(intent, amount, &key.derive("capture"), order.currency)
            .await?;
        once.run(&self.db, |txn, at| {
            let actor = actor.clone();
            async move {
                let order = load(txn, id).await?;
                let to = order.status.transition(OrderStatus::Paid)?;
                let event = NewEvent::status(
                    EventKind::PaymentCaptured,
                    order.status,
                    to,
                    format!("Payment of {} captured", paid.captured),
                );
                let amounts = Amounts {
                    captured: Some(paid.captured.amount),
                    refunded: None,
                };
                apply(txn, &order, to, amounts, &actor, &[event], at).await
            }
            .boxed()
        })
        .await
    }

    /// Cancels an order before any fulfillment: voids the payment (refunds it if captured),
    /// then puts its stock back.
    #[instrument(skip_all, fields(order = id.0))]
    pub async fn cancel(
        &self,
        key: &IdempotencyKey,
        id: OrderId,
        reason: &str,
        actor: &Actor,
    ) -> Result<Order, OrderError> {
        let once = Once::new(key, "orderCancel", &(id, reason))?;
        if let Some(order) = once.replay(&self.db).await? {
            return Ok(order);
        }
        let order = load(&self.db, id).await?;
        order.status.transition(OrderStatus::Cancelled)?;
        // Money first: if it fails nothing has changed; if the stock call then fails, a retry
        // with the same key finds the payment already settled and finishes.
        let payment = match &order.payment_intent_id {
            Some(intent) if order.captured.amount > 0 => Some(
                self.remote
                    .refund(intent, None, reason, &key.derive("refund"), order.currency)
                    .await?,
            ),
            Some(intent) => Some(
                self.remote
                    .void(intent, &key.derive("void"), order.currency)
                    .await?,
            ),
            None => None,
        };
        if let Some(reservation) = &order.reservation_key {
            self.remote
                .return_stock(reservation, &key.derive("restock"))
                .await?;
        }
        let reason = reason.to_owned();
        once.run(&self.db, |txn, at| {
            let (actor, reason) = (actor.clone(), reason.clone());
            async move {
                let order = load(txn, id).await?;
                let to = order.status.transition(OrderStatus::Cancelled)?;
                let mut events = vec![
                    NewEvent::status(EventKind::Cancelled, order.status, to, reason.clone())
                        .with_reason(&reason),
                ];
                if order.reservation_key.is_some() {
                    events.push(NewEvent::new(EventKind::StockReturned, "Stock put back"));
                }
                let amounts = Amounts {
                    captured: None,
                    refunded: payment.map(|p| p.refunded.amount.max(order.refunded.amount)),
                };
                apply(txn, &order, to, amounts, &actor, &events, at).await
            }
            .boxed()
        })
        .await
    }

    /// Refunds `amount` of the captured payment (all that is left when `None`); the order
    /// becomes PARTIALLY_REFUNDED, or REFUNDED once everything captured is refunded.
    #[instrument(skip_all, fields(order = id.0))]
    pub async fn refund(
        &self,
        key: &IdempotencyKey,
        id: OrderId,
        amount: Option<Money>,
        reason: &str,
        actor: &Actor,
    ) -> Result<Order, OrderError> {
        let once = Once::new(key, "orderRefund", &(id, amount, reason))?;
        if let Some(order) = once.replay(&self.db).await? {
            return Ok(order);
        }
        let order = load(&self.db, id).await?;
        check_currency(&order, amount)?;
        let amount = amount.unwrap_or_else(|| order.refundable());
        order
            .status
            .transition(refund_status(&order, amount.amount))?;
        check_refundable(&order, amount)?;
        let intent = intent(&order, "refund")?;
        self.remote
            .refund(
                intent,
                Some(amount),
                reason,
                &key.derive("refund"),
                order.currency,
            )
            .await?;
        let reason = reason.to_owned();
        once.run(&self.db, |txn, at| {
            let (actor, reason) = (actor.clone(), reason.clone());
            async move {
                let order = load(txn, id).await?;
                let (to, amounts) = after_refund(&order, amount);
                let to = order.status.transition(to)?;
                let message = format!("{amount} refunded");
                let event = NewEvent::status(EventKind::Refunded, order.status, to, message)
                    .with_reason(&reason);
                apply(txn, &order, to, amounts, &actor, &[event], at).await
            }
            .boxed()
        })
        .await
    }

    /// Records lines that came back after delivery and refunds their share of the lines'
    /// totals; with `restock`, their units go back on hand where they shipped from.
    #[instrument(skip_all, fields(order = request.order_id.0))]
    pub async fn return_lines(
        &self,
        key: &IdempotencyKey,
        request: &ReturnLines,
        actor: &Actor,
    ) -> Result<Order, OrderError> {
        let once = Once::new(key, "orderReturn", request)?;
        if let Some(order) = once.replay(&self.db).await? {
            return Ok(order);
        }
        let id = request.order_id;
        let order = load(&self.db, id).await?;
        order.status.transition(OrderStatus::Returned)?;
        let lines = lines_in(&self.db, &order).await?;
        let plan = plan_return(&lines, &request.lines, order.currency)?;
        check_refundable(&order, plan.refund)?;
        let intent = intent(&order, "refund")?;
        self.remote
            .refund(
                intent,
                Some(plan.refund),
                "returned",
                &key.derive("refund"),
                order.currency,
            )
            .await?;
        if request.restock {
            self.restock(key, &order, &request.lines, &lines).await?;
        }
        let (restock, picks, refund) = (request.restock, request.lines.clone(), plan.refund);
        once.run(&self.db, |txn, at| {
            let (actor, picks) = (actor.clone(), picks.clone());
            async move {
                let order = load(txn, id).await?;
                let to = order.status.transition(OrderStatus::Returned)?;
                // Planned again on the lines as they are now: a concurrent return of the same
                // units fails here instead of being counted twice.
                let current = lines_in(txn, &order).await?;
                let plan = plan_return(&current, &picks, order.currency)?;
                for (line_id, after) in &plan.returned {
                    let before = current
                        .iter()
                        .find(|line| line.id == *line_id)
                        .map_or(0, |line| line.returned_quantity);
                    if !store::set_returned(txn, *line_id, before, *after).await? {
                        return Err(OrderError::Concurrent {
                            id: order.id.global(),
                        });
                    }
                }
                let (_, amounts) = after_refund(&order, refund);
                let units: i64 = picks.iter().map(|pick| pick.quantity).sum();
                let mut events = vec![NewEvent::status(
                    EventKind::Returned,
                    order.status,
                    to,
                    format!("{units} units returned, {refund} refunded"),
                )];
                if restock {
                    events.push(NewEvent::new(
                        EventKind::StockReturned,
                        "Returned units restocked",
                    ));
                }
                apply(txn, &order, to, amounts, &actor, &events, at).await
            }
            .boxed()
        })
        .await
    }

    /// Puts returned units back on hand in the warehouse each line first shipped from.
    async fn restock(
        &self,
        key: &IdempotencyKey,
        order: &Order,
        returned: &[LineQuantity],
        lines: &[OrderLine],
    ) -> Result<(), OrderError> {
        let fulfillments = store::fulfillments_of(&self.db, &[order.id])
            .await?
            .remove(&order.id)
            .unwrap_or_default();
        for (index, pick) in returned.iter().enumerate() {
            let Some(line) = lines.iter().find(|line| line.id == pick.order_line_id) else {
                continue;
            };
            let Some(warehouse) = fulfillments
                .iter()
                .find(|f| f.lines.iter().any(|l| l.order_line_id == line.id))
                .map(|f| f.warehouse_id.as_str())
            else {
                continue;
            };
            let note = format!("returned from order {}", order.number);
            self.remote
                .restock(
                    &line.variant_id,
                    warehouse,
                    pick.quantity,
                    &note,
                    &key.derive(&format!("restock-{index}")),
                )
                .await?;
        }
        Ok(())
    }
}

/// The order's lines, inside a transaction.
async fn lines_in(
    conn: &impl sea_orm::ConnectionTrait,
    order: &Order,
) -> Result<Vec<OrderLine>, OrderError> {
    Ok(
        store::lines_of(conn, &HashMap::from([(order.id, order.currency)]))
            .await?
            .remove(&order.id)
            .unwrap_or_default(),
    )
}

fn intent<'a>(order: &'a Order, action: &'static str) -> Result<&'a str, OrderError> {
    order
        .payment_intent_id
        .as_deref()
        .ok_or_else(|| OrderError::NoPayment {
            id: order.id.global(),
            action,
        })
}

fn check_currency(order: &Order, amount: Option<Money>) -> Result<(), OrderError> {
    match amount {
        Some(amount) if amount.currency != order.currency => {
            Err(commerce_kernel::ValidationError::new(
                "amount",
                format!(
                    "the order is in {}, not {}",
                    order.currency, amount.currency
                ),
            )
            .into())
        }
        Some(amount) if amount.amount <= 0 => {
            Err(commerce_kernel::ValidationError::new("amount", "must be more than zero").into())
        }
        _ => Ok(()),
    }
}

fn check_refundable(order: &Order, amount: Money) -> Result<(), OrderError> {
    let refundable = order.refundable();
    if amount.amount > refundable.amount || amount.amount <= 0 {
        return Err(OrderError::RefundTooLarge { amount, refundable });
    }
    Ok(())
}

/// Where a refund of `amount` takes the order, judged before calling payments.
fn refund_status(order: &Order, amount: i64) -> OrderStatus {
    if order.refunded.amount + amount >= order.captured.amount {
        OrderStatus::Refunded
    } else {
        OrderStatus::PartiallyRefunded
    }
}

/// The order's status and amounts once `amount` more is refunded. The order's own total is
/// the one kept (never more than captured): the intent's may include refunds of concurrent
/// requests not recorded on the order yet, or lag behind when a retry replays an old answer.
fn after_refund(order: &Order, amount: Money) -> (OrderStatus, Amounts) {
    let refunded = (order.refunded.amount + amount.amount).min(order.captured.amount);
    let status = if refunded >= order.captured.amount {
        OrderStatus::Refunded
    } else {
        OrderStatus::PartiallyRefunded
    };
    let amounts = Amounts {
        captured: None,
        refunded: Some(refunded),
    };
    (status, amounts)
}
