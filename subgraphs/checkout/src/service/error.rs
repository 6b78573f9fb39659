//! The checkout error as clients see it (each variant's stable code), and database failures
//! as internal ones.

use commerce_kernel::{DomainError, ErrorCode};

pub use crate::domain::CheckoutError;

impl DomainError for CheckoutError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidQuantity { .. }
            | Self::VariantUnavailable { .. }
            | Self::UnknownCountry { .. }
            | Self::CurrencyNotSold { .. }
            | Self::CouponInvalid { .. }
            | Self::ShippingMethodUnavailable { .. }
            | Self::CartNotReady { .. }
            | Self::PaymentDeclined { .. }
            | Self::PriceChanged { .. }
            | Self::Invalid(_) => ErrorCode::BadUserInput,
            Self::InsufficientStock { .. } => ErrorCode::InsufficientStock,
            Self::CartNotFound
            | Self::LineNotFound { .. }
            | Self::ShippingNotFound { .. }
            | Self::AddressNotFound { .. } => ErrorCode::NotFound,
            Self::CartClosed { .. }
            | Self::CountryZoned { .. }
            | Self::IdempotencyConflict { .. } => ErrorCode::Conflict,
            Self::Access(error) => error.code,
            Self::Remote(error) => error.code(),
            Self::Unexpected(_) => ErrorCode::InternalServerError,
        }
    }
}

impl From<sea_orm::DbErr> for CheckoutError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::Unexpected(error.into())
    }
}
