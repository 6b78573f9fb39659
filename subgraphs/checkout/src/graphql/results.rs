//! Failures as GraphQL sees them: expected business failures become members of result unions
//! implementing `ErrorResult`; everything else becomes a top-level error with a stable code.

use async_graphql::{ID, Interface, SimpleObject};
use commerce_kernel::error::ErrorResults;
use commerce_kernel::{DomainError, ErrorCode};

use super::types::Money;
use crate::service::CheckoutError;

/// What every expected failure returned as data has in common.
#[derive(Interface)]
#[graphql(
    field(name = "code", ty = "&ErrorCode"),
    field(name = "message", ty = "&String")
)]
pub enum ErrorResult {
    InvalidQuantity(InvalidQuantity),
    VariantUnavailable(VariantUnavailable),
    InsufficientStock(InsufficientStock),
    UnknownCountry(UnknownCountry),
    CurrencyNotSold(CurrencyNotSold),
    CouponInvalid(CouponInvalid),
    ShippingMethodUnavailable(ShippingMethodUnavailable),
    InvalidCheckoutInput(InvalidCheckoutInput),
    CountryAlreadyZoned(CountryAlreadyZoned),
    CartNotReady(CartNotReady),
    PriceChanged(PriceChanged),
    CheckoutPaymentDeclined(CheckoutPaymentDeclined),
}

/// The cart lacks what an order needs; `missing` names the fields to set.
#[derive(SimpleObject)]
pub struct CartNotReady {
    pub code: ErrorCode,
    pub message: String,
    /// `lines`, `email`, `shippingAddress`, `shippingMethod`.
    pub missing: Vec<String>,
}

/// The cart's total is not the one the customer saw (`expectedTotal`); nothing was charged.
#[derive(SimpleObject)]
pub struct PriceChanged {
    pub code: ErrorCode,
    pub message: String,
    pub expected: Money,
    pub actual: Money,
}

/// The payment provider refused the card; nothing is reserved or charged and the cart is open.
#[derive(SimpleObject)]
pub struct CheckoutPaymentDeclined {
    pub code: ErrorCode,
    pub message: String,
    /// The provider's reason, such as `CARD_DECLINED` or `INSUFFICIENT_FUNDS`.
    pub decline_code: String,
}

/// A quantity outside 1-999.
#[derive(SimpleObject)]
pub struct InvalidQuantity {
    pub code: ErrorCode,
    pub message: String,
    pub quantity: i32,
}

/// The variant does not exist or its product is not published.
#[derive(SimpleObject)]
pub struct VariantUnavailable {
    pub code: ErrorCode,
    pub message: String,
    pub variant_id: ID,
}

/// Not enough free stock for the change.
#[derive(SimpleObject)]
#[graphql(shareable)]
pub struct InsufficientStock {
    pub code: ErrorCode,
    pub message: String,
    /// The variant that ran short.
    pub variant_id: ID,
    pub requested: i32,
    pub available: i32,
}

/// Not an ISO 3166-1 alpha-2 country code.
#[derive(SimpleObject)]
pub struct UnknownCountry {
    pub code: ErrorCode,
    pub message: String,
    pub country: String,
}

/// The shop does not sell in this currency.
#[derive(SimpleObject)]
pub struct CurrencyNotSold {
    pub code: ErrorCode,
    pub message: String,
    pub currency: String,
}

/// The coupon code is malformed, unknown, expired or does not apply to this cart.
#[derive(SimpleObject)]
pub struct CouponInvalid {
    pub code: ErrorCode,
    pub message: String,
    pub coupon_code: String,
    pub reason: String,
}

/// The method does not ship to the cart's country in its currency (or the cart has no
/// country yet).
#[derive(SimpleObject)]
pub struct ShippingMethodUnavailable {
    pub code: ErrorCode,
    pub message: String,
    pub shipping_method_id: ID,
}

/// An input was rejected: which field and why.
#[derive(SimpleObject)]
pub struct InvalidCheckoutInput {
    pub code: ErrorCode,
    pub message: String,
    pub field: String,
}

/// A country of the zone is already in another zone.
#[derive(SimpleObject)]
pub struct CountryAlreadyZoned {
    pub code: ErrorCode,
    pub message: String,
    pub country: String,
    pub zone_name: String,
}

impl ErrorResults<CheckoutError> for ErrorResult {
    fn expected(error: CheckoutError) -> Result<Self, CheckoutError> {
        let code = error.code();
        let message = error.to_string();
        Ok(match error {
            CheckoutError::InvalidQuantity { value } => Self::InvalidQuantity(InvalidQuantity {
                code,
                message,
                quantity: value,
            }),
            CheckoutError::VariantUnavailable { variant_id } => {
                Self::VariantUnavailable(VariantUnavailable {
                    code,
                    message,
                    variant_id: ID(variant_id),
                })
            }
            CheckoutError::InsufficientStock {
                variant_id,
                requested,
                available,
            } => Self::InsufficientStock(InsufficientStock {
                code,
                message,
                variant_id: ID(variant_id),
                requested,
                available,
            }),
            CheckoutError::UnknownCountry { value } => Self::UnknownCountry(UnknownCountry {
                code,
                message,
                country: value,
            }),
            CheckoutError::CurrencyNotSold { currency } => Self::CurrencyNotSold(CurrencyNotSold {
                code,
                message,
                currency,
            }),
            CheckoutError::CouponInvalid {
                code: coupon_code,
                reason,
            } => Self::CouponInvalid(CouponInvalid {
                code,
                message,
                coupon_code,
                reason,
            }),
            CheckoutError::ShippingMethodUnavailable { method_id } => {
                Self::ShippingMethodUnavailable(ShippingMethodUnavailable {
                    code,
                    message,
                    shipping_method_id: ID(method_id),
                })
            }
            CheckoutError::Invalid(error) => Self::InvalidCheckoutInput(InvalidCheckoutInput {
                code,
                message: error.message,
                field: error.field,
            }),
            CheckoutError::CountryZoned { country, zone } => {
                Self::CountryAlreadyZoned(CountryAlreadyZoned {
                    code,
                    message,
                    country,
                    zone_name: zone,
                })
            }
            CheckoutError::CartNotReady { missing } => Self::CartNotReady(CartNotReady {
                code,
                message,
                missing,
            }),
            CheckoutError::PriceChanged { expected, actual } => Self::PriceChanged(PriceChanged {
                code,
                message,
                expected: expected.into(),
                actual: actual.into(),
            }),
            CheckoutError::PaymentDeclined {
                decline_code,
                message,
            } => Self::CheckoutPaymentDeclined(CheckoutPaymentDeclined {
                code,
                message,
                decline_code,
            }),
            other => return Err(other),
        })
    }
}
