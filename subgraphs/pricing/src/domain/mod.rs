//! Pricing values and rules, free of I/O: validated inputs, price resolution, promotions,
//! coupons, taxes, the one pure function that prices a cart ([`price_cart`]), and the events
//! pricing publishes.

pub mod cart;
mod coupon;
pub mod events;
pub mod input;
mod price;
mod promotion;
mod tax;
mod values;

pub use cart::{
    AppliedDiscount, CartInput, CouponOutcome, DiscountScope, LineInput, PricedCart, PricedLine,
    PricingError, ShippingCharge, TaxAmount, price_cart,
};
pub use commerce_kernel::ValidationError;
pub use coupon::{Coupon, CouponCode, CouponUsage};
pub use price::{
    BasePrice, PriceData, PriceListOffer, PriceListRule, PriceSource, ResolvedPrice, Tier, Tiers,
    VariantPricing, resolve_unit_price,
};
pub use promotion::{
    Action, CatalogueDiscount, Conditions, LineFacts, Promotion, PromotionDraft, PromotionKind,
    PromotionRules, Targets, best_catalogue_discount,
};
pub use tax::{CountryCode, Destination, TaxCategoryCode, TaxMode, TaxRate, find_rate};
pub use values::{BasisPoints, CustomerGroup, Percent, VariantId, Window};
