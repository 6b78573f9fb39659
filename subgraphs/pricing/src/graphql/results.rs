//! Mutation and `priceCart` results: expected failures are union members implementing
//! `ErrorResult`; unknown ids, permissions and infrastructure are top-level errors.

use async_graphql::{ID, Interface, SimpleObject};
use commerce_kernel::error::ErrorResults;
use commerce_kernel::{ErrorCode, result_union};

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

impl ErrorResults<ServiceError> for ErrorResult {
    fn expected(error: ServiceError) -> Result<Self, ServiceError> {
        Ok(match error {
            ServiceError::Invalid(e) => Self::InvalidPricingInput(e.into()),
            ServiceError::Pricing(PricingError::NoPrice { variant_ids }) => {
                Self::MissingPrices(MissingPrices {
                    code: ErrorCode::NotFound,
                    message: format!(
                        "{} variant(s) have no price in this currency",
                        variant_ids.len()
                    ),
                    variant_ids: variant_ids.into_iter().map(ID::from).collect(),
                })
            }
            ServiceError::Pricing(e) => Self::InvalidPricingInput(InvalidPricingInput {
                code: ErrorCode::BadUserInput,
                message: e.to_string(),
                field: "input".into(),
            }),
            other => return Err(other),
        })
    }
}

result_union!(
    /// The saved prices, or why they were rejected.
    pub VariantPricingResult(ServiceError => ErrorResult) = VariantPricing | InvalidPricingInput
);
result_union!(
    /// The price list, or why it was rejected.
    pub PriceListResult(ServiceError => ErrorResult) = PriceList | InvalidPricingInput
);
result_union!(
    /// The variant's tiers in the list, or why they were rejected.
    pub PriceListEntryResult(ServiceError => ErrorResult) = PriceListEntry | InvalidPricingInput
);
result_union!(
    /// The promotion, or why it was rejected.
    // Built once per response and never stored, so the size difference costs nothing.
    #[allow(clippy::large_enum_variant)]
    pub PromotionResult(ServiceError => ErrorResult) = Promotion | InvalidPricingInput
);
result_union!(
    /// The coupon, or why it was rejected.
    pub CouponResult(ServiceError => ErrorResult) = Coupon | InvalidPricingInput
);
result_union!(
    /// The tax category, or why it was rejected.
    pub TaxCategoryResult(ServiceError => ErrorResult) = TaxCategory | InvalidPricingInput
);
result_union!(
    /// The tax rate, or why it was rejected.
    pub TaxRateResult(ServiceError => ErrorResult) = TaxRate | InvalidPricingInput
);
result_union!(
    /// The currency's tax mode, or why it was rejected.
    pub CurrencyTaxModeResult(ServiceError => ErrorResult) = CurrencyTaxMode | InvalidPricingInput
);
result_union!(
    /// A priced cart, or why it could not be priced.
    // Built once per response and never stored, so the size difference costs nothing.
    #[allow(clippy::large_enum_variant)]
    pub PriceCartResult(ServiceError => ErrorResult) =
        PricedCartResult | MissingPrices | InvalidPricingInput
);
