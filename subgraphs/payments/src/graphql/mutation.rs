//! Mutations. `authorizePayment`, `cancelPaymentReference` and `attachPaymentToOrder` are
//! internal: other subgraphs call them with a service token, and the router's public schema
//! leaves them out.
//! `capturePayment`, `voidPayment` and `refundPayment` are for services and staff with
//! `payments:write`. Every money mutation takes an `idempotencyKey`: a replay returns the
//! first result and does nothing else. Expected failures come back as union members.

use async_graphql::{Context, ID, InputObject, Object};
use commerce_kernel::error::top_level;
use commerce_kernel::result_union;

use super::results::{
    CaptureExceedsAuthorized, ErrorResult, InvalidPaymentInput, InvalidPaymentState,
    PaymentDeclined, ProviderFailed, RefundExceedsCaptured,
};
use super::types::{MoneyInput, PaymentIntent, PaymentMethodInput, PaymentReferenceCancelled};
use super::{access, service_of};
use crate::domain::{IdempotencyKey, IntentId, NewAuthorization, parse_reference};
use crate::service::PaymentError;

result_union!(
    /// The authorized intent, or why there is none.
    pub AuthorizePaymentResult(PaymentError => ErrorResult) = PaymentIntent | PaymentDeclined | InvalidPaymentInput
);
result_union!(
    /// The cancelled reference, or why an authorization under it could not be voided.
    pub CancelPaymentReferenceResult(PaymentError => ErrorResult) = PaymentReferenceCancelled | ProviderFailed | InvalidPaymentInput
);
result_union!(
    /// The voided intent, or why it could not be voided.
    pub VoidPaymentResult(PaymentError => ErrorResult) = PaymentIntent | InvalidPaymentState | ProviderFailed | InvalidPaymentInput
);
result_union!(
    /// The intent after the capture, or why nothing was captured.
    pub CapturePaymentResult(PaymentError => ErrorResult) = PaymentIntent | InvalidPaymentState | CaptureExceedsAuthorized | ProviderFailed | InvalidPaymentInput
);
result_union!(
    /// The intent after the refund, or why nothing was refunded.
    pub RefundPaymentResult(PaymentError => ErrorResult) = PaymentIntent | InvalidPaymentState | RefundExceedsCaptured | ProviderFailed | InvalidPaymentInput
);

/// What to authorize, for whom, and with which payment method.
#[derive(InputObject)]
pub struct AuthorizePaymentInput {
    /// The caller's reference, such as the checkout id.
    pub reference: String,
    pub amount: MoneyInput,
    pub method: PaymentMethodInput,
    /// The paying customer (`Customer` id), who may then read the intent.
    pub customer_id: Option<ID>,
    /// The payer's email, for guests.
    pub email: Option<String>,
}

impl AuthorizePaymentInput {
    fn parse(&self) -> Result<NewAuthorization, PaymentError> {
        Ok(NewAuthorization::parse(
            &self.reference,
            &self.amount.amount,
            &self.amount.currency,
            &self.method.provider,
            &self.method.token,
            self.customer_id.as_ref().map(|id| id.as_str()),
            self.email.as_deref(),
        )?)
    }
}

fn key(value: &str) -> Result<IdempotencyKey, PaymentError> {
    Ok(IdempotencyKey::parse(value)?)
}

fn intent_id(value: &ID) -> async_graphql::Result<IntentId> {
    IntentId::parse(value).map_err(top_level)
}

#[derive(Default)]
pub struct Mutation;

#[Object]
impl Mutation {
    /// Internal (service token): asks the provider to hold the amount. A decline is data
    /// (`PaymentDeclined`) and is stored as a failed intent.
    #[graphql(inaccessible)]
    async fn authorize_payment(
        &self,
        ctx: &Context<'_>,
        input: AuthorizePaymentInput,
        idempotency_key: String,
    ) -> async_graphql::Result<AuthorizePaymentResult> {
        access::require_service(ctx)?;
        let outcome = async {
            let key = key(&idempotency_key)?;
            let request = input.parse()?;
            service_of(ctx).authorize(&key, &request).await
        };
        AuthorizePaymentResult::from_result(outcome.await)
    }

    /// Internal (service token): records which order an intent paid for. Attaching it to
    /// the same order again changes nothing; to another order is a CONFLICT.
    #[graphql(inaccessible)]
    async fn attach_payment_to_order(
        &self,
        ctx: &Context<'_>,
        intent_id: ID,
        order_id: ID,
    ) -> async_graphql::Result<PaymentIntent> {
        access::require_service(ctx)?;
        let id = self::intent_id(&intent_id)?;
        let order_id = commerce_kernel::GlobalId::parse(&order_id)
            .ok()
            .filter(|order| order.type_name() == "Order")
            .map(|_| order_id.trim().to_owned())
            .ok_or_else(|| {
                top_level(commerce_kernel::ValidationError::new(
                    "orderId",
                    "is not an Order id",
                ))
            })?;
        let intent = service_of(ctx)
            .attach_to_order(id, &order_id)
            .await
            .map_err(top_level)?;
        Ok(intent.into())
    }

    /// Internal (service token): gives up on every payment under `reference` (a checkout
    /// that compensates). Voids each intent under it that holds an authorization and has
    /// nothing captured, including ones whose id the caller never learnt, and refuses every
    /// later authorization under it (`PaymentDeclined`, reason `REFERENCE_CANCELLED`), so one
    /// still on its way holds nothing either. Nothing authorized is fine; cancelling again
    /// changes nothing.
    #[graphql(inaccessible)]
    async fn cancel_payment_reference(
        &self,
        ctx: &Context<'_>,
        reference: String,
        idempotency_key: String,
    ) -> async_graphql::Result<CancelPaymentReferenceResult> {
        access::require_service(ctx)?;
        let outcome = async {
            let key = key(&idempotency_key)?;
            let reference = parse_reference(&reference)?;
            service_of(ctx).cancel_reference(&key, &reference).await
        };
        CancelPaymentReferenceResult::from_result(outcome.await)
    }

    /// Releases an authorization before any capture (services and `payments:write`). An
    /// intent already voided, or declined, is returned unchanged: a compensation may run twice.
    async fn void_payment(
        &self,
        ctx: &Context<'_>,
        intent_id: ID,
        idempotency_key: String,
    ) -> async_graphql::Result<VoidPaymentResult> {
        access::require_writer(ctx)?;
        let id = self::intent_id(&intent_id)?;
        let outcome = async {
            let key = key(&idempotency_key)?;
            service_of(ctx).void(&key, id).await
        };
        VoidPaymentResult::from_result(outcome.await)
    }

    /// Captures `amount` (a decimal in the intent's currency; null: all that is left of the
    /// authorization). Several partial captures may follow one another.
    async fn capture_payment(
        &self,
        ctx: &Context<'_>,
        intent_id: ID,
        amount: Option<String>,
        idempotency_key: String,
    ) -> async_graphql::Result<CapturePaymentResult> {
        access::require_writer(ctx)?;
        let id = self::intent_id(&intent_id)?;
        let outcome = async {
            let key = key(&idempotency_key)?;
            service_of(ctx).capture(&key, id, amount.as_deref()).await
        };
        CapturePaymentResult::from_result(outcome.await)
    }

    /// Refunds `amount` (null: all captured and not yet refunded), with an optional reason
    /// kept in the ledger.
    async fn refund_payment(
        &self,
        ctx: &Context<'_>,
        intent_id: ID,
        amount: Option<String>,
        reason: Option<String>,
        idempotency_key: String,
    ) -> async_graphql::Result<RefundPaymentResult> {
        access::require_writer(ctx)?;
        let id = self::intent_id(&intent_id)?;
        let outcome = async {
            let key = key(&idempotency_key)?;
            let reason = reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
            service_of(ctx)
                .refund(&key, id, amount.as_deref(), reason)
                .await
        };
        RefundPaymentResult::from_result(outcome.await)
    }
}
