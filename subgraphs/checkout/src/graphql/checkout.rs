//! `checkoutComplete`: the saga's outcome as GraphQL sees it. Completed checkouts and business
//! failures are data; other failures (a service down) are top-level errors with their code, the
//! same on every replay.

use async_graphql::{ErrorExtensions, ID, InputObject, SimpleObject};
use commerce_kernel::result_union;

use super::results::{
    CartNotReady, CheckoutPaymentDeclined, ErrorResult, InsufficientStock, PriceChanged,
    ShippingMethodUnavailable, VariantUnavailable,
};
use super::types::Money;
use crate::domain::Outcome;
use crate::remote::PaymentMethod;
use crate::service::CheckoutError;

result_union!(
    /// The placed order, or why there is none (nothing is then reserved or charged).
    pub CheckoutResult(CheckoutError => ErrorResult) = CheckoutCompleted | InsufficientStock | CheckoutPaymentDeclined | CartNotReady | PriceChanged | VariantUnavailable | ShippingMethodUnavailable
);

/// The orders subgraph's order; checkout only knows its id.
#[derive(SimpleObject)]
#[graphql(unresolvable = "id")]
pub struct Order {
    pub id: ID,
}

/// The checkout went through: the order is placed, the payment authorized, the stock taken.
#[derive(SimpleObject)]
pub struct CheckoutCompleted {
    pub order_id: ID,
    /// The order's human-readable number.
    pub order_number: i32,
    /// The order (through the router: its lines, totals and status).
    pub order: Order,
    pub payment_intent_id: ID,
    /// What was authorized.
    pub total: Money,
}

/// How the customer pays.
#[derive(InputObject)]
pub struct CheckoutPaymentInput {
    /// `test` is the built-in provider.
    #[graphql(default = "test")]
    pub provider: String,
    /// The provider's payment token; for `test`, a card number such as `4242 4242 4242 4242`.
    pub token: String,
}

impl From<CheckoutPaymentInput> for PaymentMethod {
    fn from(input: CheckoutPaymentInput) -> Self {
        Self {
            provider: input.provider,
            token: input.token,
        }
    }
}

/// The union for a saga's outcome; a stored failure is the top-level error the first answer
/// was.
pub fn checkout_result(
    outcome: Result<Outcome, CheckoutError>,
) -> async_graphql::Result<CheckoutResult> {
    let result = match outcome {
        Ok(Outcome::Completed {
            order_id,
            order_number,
            payment_intent_id,
            total_amount,
            currency,
        }) => Ok(CheckoutCompleted {
            order_id: ID(order_id.clone()),
            order_number: order_number.parse().unwrap_or_default(),
            order: Order { id: ID(order_id) },
            payment_intent_id: ID(payment_intent_id),
            total: Money {
                amount: total_amount,
                currency,
            },
        }),
        Ok(Outcome::InsufficientStock {
            variant_id,
            requested,
            available,
        }) => Err(CheckoutError::InsufficientStock {
            variant_id,
            requested,
            available,
        }),
        Ok(Outcome::PaymentDeclined {
            decline_code,
            message,
        }) => Err(CheckoutError::PaymentDeclined {
            decline_code,
            message,
        }),
        Ok(Outcome::Failed { code, message }) => {
            return Err(async_graphql::Error::new(message)
                .extend_with(|_, extensions| extensions.set("code", code)));
        }
        Err(error) => Err(error),
    };
    CheckoutResult::from_result(result)
}
