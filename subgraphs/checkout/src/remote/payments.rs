//! Calls to the payments subgraph, with the documents it commits under
//! `schema/operations/internal/payments/`.

use commerce_kernel::Money;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Remote;
use crate::domain::CheckoutError;

const AUTHORIZE_PAYMENT: &str =
    include_str!("../../../../schema/operations/internal/payments/authorize_payment.graphql");
const CANCEL_PAYMENT_REFERENCE: &str = include_str!(
    "../../../../schema/operations/internal/payments/cancel_payment_reference.graphql"
);
const ATTACH_PAYMENT_TO_ORDER: &str =
    include_str!("../../../../schema/operations/internal/payments/attach_payment_to_order.graphql");

/// How the customer pays: a provider and its token (the test provider's token is a card
/// number). Never stored.
#[derive(Clone)]
pub struct PaymentMethod {
    pub provider: String,
    pub token: String,
}

impl std::fmt::Debug for PaymentMethod {
    /// Keeps the card number out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentMethod")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// What payments answered to an authorization.
pub enum Authorization {
    Authorized {
        intent_id: String,
    },
    /// `code` is the provider's reason (`CARD_DECLINED`, ...), or, for a refusal that has no
    /// reason, payments' error code.
    Declined {
        code: String,
        message: String,
    },
}

/// A payments result union member: an intent, or a failure with its code and, from the
/// provider, its reason.
#[derive(Deserialize)]
struct Member {
    #[serde(rename = "__typename")]
    type_name: String,
    id: Option<String>,
    code: Option<String>,
    message: Option<String>,
    reason: Option<String>,
}

/// Who pays, for the payment's records.
pub struct Payer<'a> {
    pub customer_id: Option<&'a str>,
    pub email: Option<&'a str>,
}

impl Remote {
    /// Authorizes `amount` under `key` (a replay returns the same intent).
    pub async fn authorize(
        &self,
        key: &str,
        reference: &str,
        amount: Money,
        method: &PaymentMethod,
        payer: Payer<'_>,
    ) -> Result<Authorization, CheckoutError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            authorize_payment: Member,
        }
        let input = json!({
            "reference": reference,
            "amount": { "amount": amount.to_decimal_string(), "currency": amount.currency.code() },
            "method": { "provider": method.provider, "token": method.token },
            "customerId": payer.customer_id,
            "email": payer.email,
        });
        let variables = json!({ "input": input, "idempotencyKey": key });
        let answer: Answer = self
            .client
            .execute("payments", AUTHORIZE_PAYMENT, variables)
            .await?;
        let member = answer.authorize_payment;
        match (member.type_name.as_str(), member.id) {
            ("PaymentIntent", Some(intent_id)) => Ok(Authorization::Authorized { intent_id }),
            _ => Ok(Authorization::Declined {
                code: member
                    .reason
                    .or(member.code)
                    .unwrap_or_else(|| member.type_name.clone()),
                message: member
                    .message
                    .unwrap_or_else(|| "the payment was not authorized".to_owned()),
            }),
        }
    }

    /// Cancels the payment reference `reference` under `key`: payments voids every
    /// authorization made under it and refuses any that arrives later. Nothing authorized is
    /// fine, and so is a reference already cancelled.
    pub async fn cancel_payment(&self, reference: &str, key: &str) -> Result<(), CheckoutError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            cancel_payment_reference: Member,
        }
        let variables = json!({ "reference": reference, "idempotencyKey": key });
        let answer: Answer = self
            .client
            .execute("payments", CANCEL_PAYMENT_REFERENCE, variables)
            .await?;
        let member = answer.cancel_payment_reference;
        if member.type_name == "PaymentReferenceCancelled" {
            return Ok(());
        }
        Err(CheckoutError::unexpected(format!(
            "cancelling payment reference {reference}: {}",
            member.message.unwrap_or(member.type_name)
        )))
    }

    /// Records which order the payment is for (idempotent).
    pub async fn attach(&self, intent_id: &str, order_id: &str) -> Result<(), CheckoutError> {
        let variables = json!({ "intentId": intent_id, "orderId": order_id });
        self.client
            .execute::<Value>("payments", ATTACH_PAYMENT_TO_ORDER, variables)
            .await?;
        Ok(())
    }
}
