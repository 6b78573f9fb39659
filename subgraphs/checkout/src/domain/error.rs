//! Everything a checkout use case can fail with. Business failures (a variant out of stock,
//! a declined card) become result-union members; the rest are top-level errors.

use commerce_kernel::internal::InternalError;
use commerce_kernel::{KernelError, Money, ValidationError};

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    #[error("quantity must be between 1 and {max}, got {value}", max = super::cart::MAX_QUANTITY)]
    InvalidQuantity { value: i32 },
    #[error("variant {variant_id} cannot be bought: it does not exist or is not published")]
    VariantUnavailable { variant_id: String },
    #[error("only {available} of variant {variant_id} available, {requested} asked for")]
    InsufficientStock {
        variant_id: String,
        requested: i32,
        available: i32,
    },
    #[error("{value:?} is not an ISO 3166-1 alpha-2 country code")]
    UnknownCountry { value: String },
    #[error("the shop does not sell in {currency:?}")]
    CurrencyNotSold { currency: String },
    #[error("coupon {code:?} cannot be used: {reason}")]
    CouponInvalid { code: String, reason: String },
    #[error("shipping method {method_id} is not available for this cart")]
    ShippingMethodUnavailable { method_id: String },
    #[error("the cart is not ready for checkout: {} missing", missing.join(", "))]
    CartNotReady { missing: Vec<String> },
    #[error("the payment was declined: {message}")]
    PaymentDeclined {
        decline_code: String,
        message: String,
    },
    #[error("the total is now {actual}, not the expected {expected}")]
    PriceChanged { expected: Money, actual: Money },
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("no such cart")]
    CartNotFound,
    #[error("the cart is {status} and can no longer change")]
    CartClosed { status: &'static str },
    #[error("the cart has no line {line_id}")]
    LineNotFound { line_id: String },
    #[error("no shipping zone or method {id}")]
    ShippingNotFound { id: String },
    #[error("country {country} is already in shipping zone {zone}")]
    CountryZoned { country: String, zone: String },
    #[error("no saved address {address_id} in the customer's address book")]
    AddressNotFound { address_id: String },
    #[error("{0}")]
    Access(KernelError),
    #[error("idempotency key {key:?} was already used for a different request")]
    IdempotencyConflict { key: String },
    #[error("{0}")]
    Remote(#[from] InternalError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<KernelError> for CheckoutError {
    fn from(error: KernelError) -> Self {
        Self::Access(error)
    }
}

impl CheckoutError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(ValidationError::new(field, message))
    }

    /// An unexpected answer from another service (a document and a schema disagreeing).
    pub fn unexpected(what: impl std::fmt::Display) -> Self {
        Self::Unexpected(anyhow::anyhow!("{what}"))
    }
}
