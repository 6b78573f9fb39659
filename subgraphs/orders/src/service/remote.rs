//! Calls to the payments and inventory subgraphs through the kernel's `InternalClient`, with
//! the very documents those subgraphs commit and test (`schema/operations/internal/`). Every
//! call carries an idempotency key derived from the orders request's own, so a retried request
//! re-sends the same keys and the callee does nothing twice.

use commerce_kernel::internal::InternalClient;
use commerce_kernel::{Currency, Money};
use serde_json::{Value, json};

use crate::domain::OrderError;

const CAPTURE: &str =
    include_str!("../../../../schema/operations/internal/payments/capture_payment.graphql");
const VOID: &str =
    include_str!("../../../../schema/operations/internal/payments/void_payment.graphql");
const REFUND: &str =
    include_str!("../../../../schema/operations/internal/payments/refund_payment.graphql");
const RETURN_RESERVATION: &str =
    include_str!("../../../../schema/operations/internal/inventory/return_reservation.graphql");
const RESTOCK: &str =
    include_str!("../../../../schema/operations/internal/inventory/restock_returned.graphql");

/// A payment intent's amounts after a call, in the order's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentAmounts {
    pub captured: Money,
    pub refunded: Money,
}

#[derive(Clone)]
pub struct Remote {
    client: InternalClient,
}

impl Remote {
    pub fn new(client: InternalClient) -> Self {
        Self { client }
    }

    /// Captures `amount` (all that is left when `None`).
    pub async fn capture(
        &self,
        intent_id: &str,
        amount: Option<Money>,
        key: &str,
        currency: Currency,
    ) -> Result<PaymentAmounts, OrderError> {
        let variables = json!({
            "intentId": intent_id,
            "amount": amount.map(|amount| amount.to_decimal_string()),
            "idempotencyKey": key,
        });
        self.payment("capturePayment", CAPTURE, variables, currency)
            .await
    }

    /// Voids an authorization that was never captured.
    pub async fn void(
        &self,
        intent_id: &str,
        key: &str,
        currency: Currency,
    ) -> Result<PaymentAmounts, OrderError> {
        let variables = json!({ "intentId": intent_id, "idempotencyKey": key });
        self.payment("voidPayment", VOID, variables, currency).await
    }

    /// Refunds `amount` (all captured and not refunded when `None`).
    pub async fn refund(
        &self,
        intent_id: &str,
        amount: Option<Money>,
        reason: &str,
        key: &str,
        currency: Currency,
    ) -> Result<PaymentAmounts, OrderError> {
        let variables = json!({
            "intentId": intent_id,
            "amount": amount.map(|amount| amount.to_decimal_string()),
            "reason": reason,
            "idempotencyKey": key,
        });
        self.payment("refundPayment", REFUND, variables, currency)
            .await
    }

    /// Puts a reservation's committed units back on hand (or releases it if not committed).
    pub async fn return_stock(&self, reservation_key: &str, key: &str) -> Result<(), OrderError> {
        let variables = json!({ "key": reservation_key, "idempotencyKey": key });
        let data: Value = self
            .client
            .execute("inventory", RETURN_RESERVATION, variables)
            .await?;
        let result = &data["returnReservation"];
        match result["__typename"].as_str() {
            Some("Reservation") => Ok(()),
            _ => Err(refused("inventory", result)),
        }
    }

    /// Puts `quantity` returned units of a variant back on hand in a warehouse.
    pub async fn restock(
        &self,
        variant_id: &str,
        warehouse_id: &str,
        quantity: i64,
        note: &str,
        key: &str,
    ) -> Result<(), OrderError> {
        let variables = json!({
            "input": {
                "variantId": variant_id,
                "warehouseId": warehouse_id,
                "delta": quantity,
                "note": note,
            },
            "idempotencyKey": key,
        });
        let data: Value = self.client.execute("inventory", RESTOCK, variables).await?;
        let result = &data["adjustStock"];
        match result["__typename"].as_str() {
            Some("StockLevel") => Ok(()),
            _ => Err(refused("inventory", result)),
        }
    }

    async fn payment(
        &self,
        field: &str,
        query: &str,
        variables: Value,
        currency: Currency,
    ) -> Result<PaymentAmounts, OrderError> {
        let data: Value = self.client.execute("payments", query, variables).await?;
        let result = &data[field];
        if result["__typename"].as_str() != Some("PaymentIntent") {
            return Err(refused("payments", result));
        }
        let amount = |name: &str| -> Result<Money, OrderError> {
            let text = result[name]["amount"].as_str().unwrap_or_default();
            Money::parse_decimal(text, currency).map_err(|error| {
                anyhow::anyhow!("payments answered {name} {text:?} in {currency}: {error}").into()
            })
        };
        Ok(PaymentAmounts {
            captured: amount("amountCaptured")?,
            refunded: amount("amountRefunded")?,
        })
    }
}

/// A business failure the callee answered as data (a declined capture, a refund too large).
fn refused(service: &'static str, result: &Value) -> OrderError {
    let text = |name: &str| result[name].as_str().unwrap_or_default().to_owned();
    OrderError::Refused {
        service,
        reason: text("__typename"),
        code: text("code"),
        message: text("message"),
    }
}
