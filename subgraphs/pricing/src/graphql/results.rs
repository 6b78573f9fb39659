//! Mutation and `priceCart` results: expected failures are union members implementing
//! `ErrorResult`; unknown ids, permissions and infrastructure are top-level errors.

use async_graphql::{ID, Interface, SimpleObject, Union};
use commerce_kernel::ErrorCode;

use super::graphql_error;
use super::types::{
    Coupon, CurrencyTaxMode, PriceList, PriceListEntry, PricedCartResult, Promotion, TaxCategory,
    TaxRate, VariantPricing,
};
use crate::domain::{PricingError, ValidationError};
use crate::service::ServiceError;

/// What every expected failure carries.
#[derive(Interface)]
#[graphql(
    field(name = "code", ty = "&ErrorCode"),
    field(name = "message", ty = "&String")
)]
pub enum ErrorResult {
    InvalidPricingInput(InvalidPricingInput),
    MissingPrices(MissingPrices),
}

/// An input was rejected: which field and why (overlapping tiers, a percentage over 100, an
/// end date before the start, ...).
#[derive(SimpleObject, Clone, Debug)]
pub struct InvalidPricingInput {
    pub code: ErrorCode,
    pub message: String,
    /// The input field at fault, e.g. `tiers` or `action.percent`.
    pub field: String,
}

impl From<ValidationError> for InvalidPricingInput {
    fn from(e: ValidationError) -> Self {
        Self {
            code: ErrorCode::BadUserInput,
            message: e.message,
            field: e.field,
        }
    }
}

/// Some variants have no price in the requested currency.
#[derive(SimpleObject, Clone, Debug)]
pub struct MissingPrices {
    pub code: ErrorCode,
    pub message: String,
    pub variant_ids: Vec<ID>,
}

/// Splits a service failure into an expected one (data) and the rest (a top-level error).
fn expected(error: ServiceError) -> async_graphql::Result<InvalidPricingInput> {
    match error {
        ServiceError::Invalid(e) => Ok(e.into()),
        ServiceError::Pricing(PricingError::NoPrice { .. }) => Err(graphql_error(error)),
        ServiceError::Pricing(e) => Ok(InvalidPricingInput {
            code: ErrorCode::BadUserInput,
            message: e.to_string(),
            field: "input".into(),
        }),
        other => Err(graphql_error(other)),
    }
}

macro_rules! result_union {
    ($name:ident, $member:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Union)]
        // Built once per response and never stored, so the size difference costs nothing.
        #[allow(clippy::large_enum_variant)]
        pub enum $name {
            $member($member),
            InvalidPricingInput(InvalidPricingInput),
        }

        impl $name {
            pub fn from_service<T: Into<$member>>(
                result: Result<T, ServiceError>,
            ) -> async_graphql::Result<Self> {
                match result {
                    Ok(value) => Ok(Self::$member(value.into())),
                    Err(error) => expected(error).map(Self::InvalidPricingInput),
                }
            }
        }
    };
}

result_union!(
    VariantPricingResult,
    VariantPricing,
    "The saved prices, or why they were rejected."
);
result_union!(
    PriceListResult,
    PriceList,
    "The price list, or why it was rejected."
);
result_union!(
    PriceListEntryResult,
    PriceListEntry,
    "The variant's tiers in the list, or why they were rejected."
);
result_union!(
    PromotionResult,
    Promotion,
    "The promotion, or why it was rejected."
);
result_union!(CouponResult, Coupon, "The coupon, or why it was rejected.");
result_union!(
    TaxCategoryResult,
    TaxCategory,
    "The tax category, or why it was rejected."
);
result_union!(
    TaxRateResult,
    TaxRate,
    "The tax rate, or why it was rejected."
);
result_union!(
    CurrencyTaxModeResult,
    CurrencyTaxMode,
    "The currency's tax mode, or why it was rejected."
);

/// A priced cart, or why it could not be priced.
#[derive(Union)]
// Built once per response and never stored, so the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum PriceCartResult {
    PricedCart(PricedCartResult),
    MissingPrices(MissingPrices),
    InvalidPricingInput(InvalidPricingInput),
}

impl PriceCartResult {
    pub fn from_service(
        result: Result<crate::domain::PricedCart, ServiceError>,
    ) -> async_graphql::Result<Self> {
        match result {
            Ok(cart) => Ok(Self::PricedCart(cart.into())),
            Err(ServiceError::Pricing(PricingError::NoPrice { variant_ids })) => {
                Ok(Self::MissingPrices(MissingPrices {
                    code: ErrorCode::NotFound,
                    message: format!(
                        "{} variant(s) have no price in this currency",
                        variant_ids.len()
                    ),
                    variant_ids: variant_ids.into_iter().map(ID::from).collect(),
                }))
            }
            Err(error) => expected(error).map(Self::InvalidPricingInput),
        }
    }
}
