//! Output types, built from domain values with `From` impls so a table or domain change never
//! silently changes the public schema.

use async_graphql::{Enum, ID, SimpleObject};
use chrono::{DateTime, Utc};
use commerce_kernel::GlobalId;

use crate::domain::{
    self, AppliedDiscount, CouponOutcome, DiscountScope as DomainScope, PriceListRule, PricedCart,
    PricedLine, Promotion as DomainPromotion, PromotionKind as DomainKind, TaxMode, Tier,
};
use crate::domain::{Coupon as StoredCoupon, VariantPricing as StoredPricing};

pub const PRICE_LIST: &str = "PriceList";
pub const PROMOTION: &str = "Promotion";
pub const COUPON: &str = "Coupon";
pub const TAX_RATE: &str = "TaxRate";

/// An exact amount: a decimal string with the currency's digits (`"19.90"`), never a float.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
#[graphql(shareable)]
pub struct Money {
    /// Decimal with exactly the currency's minor digits, e.g. `"19.90"` (EUR) or `"500"` (JPY).
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
}

impl From<commerce_kernel::Money> for Money {
    fn from(value: commerce_kernel::Money) -> Self {
        Self {
            amount: value.to_decimal_string(),
            currency: value.currency.code().to_owned(),
        }
    }
}

fn money_opt(value: Option<commerce_kernel::Money>) -> Option<Money> {
    value.map(Money::from)
}

fn int(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// One volume tier of a price list.
#[derive(SimpleObject, Clone, Debug)]
pub struct PriceTier {
    pub min_quantity: i32,
    /// Open-ended when null.
    pub max_quantity: Option<i32>,
    pub unit_price: Money,
}

impl From<&Tier> for PriceTier {
    fn from(tier: &Tier) -> Self {
        Self {
            min_quantity: int(tier.min_quantity),
            max_quantity: tier.max_quantity.map(int),
            unit_price: tier.amount.into(),
        }
    }
}

/// A catalogue promotion applied to a price.
#[derive(SimpleObject, Clone, Debug)]
pub struct AppliedPromotion {
    pub promotion_id: ID,
    pub name: String,
    /// For the customer, e.g. "10% off: Winter sale".
    pub reason: String,
    pub unit_discount: Money,
}

impl From<&domain::CatalogueDiscount> for AppliedPromotion {
    fn from(d: &domain::CatalogueDiscount) -> Self {
        Self {
            promotion_id: GlobalId::encode(PROMOTION, d.promotion_id).into(),
            name: d.name.clone(),
            reason: d.reason.clone(),
            unit_discount: d.unit_discount.into(),
        }
    }
}

/// What a viewer pays for a variant at a quantity.
#[derive(SimpleObject, Clone, Debug)]
pub struct VariantPrice {
    pub quantity: i32,
    /// Per unit, after the viewer's price list and the best catalogue promotion.
    pub unit_price: Money,
    /// Per unit from the price list or base price, before catalogue promotions.
    pub list_price: Money,
    /// The higher price to show struck out, when there is one.
    pub compare_at: Option<Money>,
    /// `unitPrice × quantity`.
    pub total: Money,
    /// Whether these prices include tax (set per currency).
    pub tax_inclusive: bool,
    /// The price list that set the price, when one did.
    pub price_list_id: Option<ID>,
    pub price_list_name: Option<String>,
    /// The volume tiers of that price list for this variant (empty for the base price).
    pub tiers: Vec<PriceTier>,
    pub promotion: Option<AppliedPromotion>,
}

impl VariantPrice {
    pub fn new(price: &crate::service::ViewerPrice, quantity: u32) -> Self {
        let (price_list_id, price_list_name, tiers) = match &price.resolved.source {
            domain::PriceSource::PriceList { id, name, tiers } => (
                Some(GlobalId::encode(PRICE_LIST, *id).into()),
                Some(name.clone()),
                tiers.as_slice().iter().map(PriceTier::from).collect(),
            ),
            domain::PriceSource::Base => (None, None, Vec::new()),
        };
        let total = commerce_kernel::Money::new(
            price.unit.amount.saturating_mul(i64::from(quantity)),
            price.unit.currency,
        );
        Self {
            quantity: int(quantity),
            unit_price: price.unit.into(),
            list_price: price.resolved.unit.into(),
            compare_at: money_opt(price.compare_at),
            total: total.into(),
            tax_inclusive: price.tax_mode == TaxMode::Inclusive,
            price_list_id,
            price_list_name,
            tiers,
            promotion: price.catalogue.as_ref().map(AppliedPromotion::from),
        }
    }
}

/// The cheapest and dearest unit price among a product's variants, for this viewer.
#[derive(SimpleObject, Clone, Debug)]
pub struct PriceRange {
    pub min: Money,
    pub max: Money,
    /// The highest struck-out price among the variants, when any is discounted.
    pub compare_at_max: Option<Money>,
    pub tax_inclusive: bool,
}

/// A base price as staff entered it.
#[derive(SimpleObject, Clone, Debug)]
pub struct BasePrice {
    pub price: Money,
    pub compare_at: Option<Money>,
}

/// What pricing stores for a variant.
#[derive(SimpleObject, Clone, Debug)]
pub struct VariantPricing {
    pub variant_id: ID,
    pub product_id: Option<ID>,
    pub tax_category: String,
    pub prices: Vec<BasePrice>,
}

impl From<StoredPricing> for VariantPricing {
    fn from(p: StoredPricing) -> Self {
        Self {
            variant_id: p.variant_id.as_str().into(),
            product_id: p.product_id.map(ID::from),
            tax_category: p.tax_category.as_str().to_owned(),
            prices: p
                .prices
                .into_iter()
                .map(|b| BasePrice {
                    price: b.amount.into(),
                    compare_at: money_opt(b.compare_at),
                })
                .collect(),
        }
    }
}

/// A price list: prices for a customer group (or everyone) with validity dates and tiers.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct PriceList {
    pub id: ID,
    pub name: String,
    /// Null when the list is for everyone.
    pub customer_group: Option<String>,
    pub currency: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Higher wins when several lists apply.
    pub priority: i32,
    #[graphql(skip)]
    pub rule: PriceListRule,
}

impl From<PriceListRule> for PriceList {
    fn from(rule: PriceListRule) -> Self {
        Self {
            id: GlobalId::encode(PRICE_LIST, rule.id).into(),
            name: rule.name.clone(),
            customer_group: rule.customer_group.as_ref().map(|g| g.as_str().to_owned()),
            currency: rule.currency.code().to_owned(),
            starts_at: rule.window.starts_at(),
            ends_at: rule.window.ends_at(),
            priority: rule.priority,
            rule,
        }
    }
}

/// One variant's tiers in a price list.
#[derive(SimpleObject, Clone, Debug)]
pub struct PriceListEntry {
    pub variant_id: ID,
    pub tiers: Vec<PriceTier>,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum PromotionKind {
    /// Lowers unit prices of matching products everywhere.
    Catalogue,
    /// Applies to carts that meet its conditions.
    Order,
}

impl From<DomainKind> for PromotionKind {
    fn from(kind: DomainKind) -> Self {
        match kind {
            DomainKind::Catalogue => Self::Catalogue,
            DomainKind::Order => Self::Order,
        }
    }
}

impl From<PromotionKind> for DomainKind {
    fn from(kind: PromotionKind) -> Self {
        match kind {
            PromotionKind::Catalogue => Self::Catalogue,
            PromotionKind::Order => Self::Order,
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum PromotionActionType {
    Percentage,
    FixedAmount,
    FreeShipping,
    BuyXGetY,
}

/// Products a promotion covers (all three empty: every product).
#[derive(SimpleObject, Clone, Debug)]
pub struct PromotionTargets {
    pub product_ids: Vec<ID>,
    pub category_ids: Vec<ID>,
    pub collection_ids: Vec<ID>,
}

impl From<&domain::Targets> for PromotionTargets {
    fn from(t: &domain::Targets) -> Self {
        let ids = |v: &[String]| v.iter().map(|s| ID::from(s.as_str())).collect();
        Self {
            product_ids: ids(&t.product_ids),
            category_ids: ids(&t.category_ids),
            collection_ids: ids(&t.collection_ids),
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct PromotionConditions {
    pub min_subtotal: Option<Money>,
    pub product_ids: Vec<ID>,
    pub category_ids: Vec<ID>,
    pub customer_groups: Vec<String>,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct PromotionAction {
    #[graphql(name = "type")]
    pub action_type: PromotionActionType,
    /// For percentages and buy X get Y, e.g. `"10"` or `"12.5"`.
    pub percent: Option<String>,
    pub amount: Option<Money>,
    pub buy_quantity: Option<i32>,
    pub get_quantity: Option<i32>,
    /// Buy X get Y only: which products count.
    pub targets: Option<PromotionTargets>,
}

impl From<&domain::Action> for PromotionAction {
    fn from(action: &domain::Action) -> Self {
        let empty = Self {
            action_type: PromotionActionType::FreeShipping,
            percent: None,
            amount: None,
            buy_quantity: None,
            get_quantity: None,
            targets: None,
        };
        match action {
            domain::Action::PercentOff { percent } => Self {
                action_type: PromotionActionType::Percentage,
                percent: Some(percent.percent_string()),
                ..empty
            },
            domain::Action::AmountOff { amount } => Self {
                action_type: PromotionActionType::FixedAmount,
                amount: Some((*amount).into()),
                ..empty
            },
            domain::Action::FreeShipping => empty,
            domain::Action::BuyXGetY {
                buy,
                get,
                percent,
                targets,
            } => Self {
                action_type: PromotionActionType::BuyXGetY,
                percent: Some(percent.percent_string()),
                buy_quantity: Some(int(*buy)),
                get_quantity: Some(int(*get)),
                targets: Some(targets.into()),
                ..empty
            },
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct Promotion {
    pub id: ID,
    pub name: String,
    pub kind: PromotionKind,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub priority: i32,
    /// Applies alone when it qualifies (see the stacking rules in `priceCart`).
    pub exclusive: bool,
    pub requires_coupon: bool,
    pub active: bool,
    /// Catalogue promotions: the products discounted.
    pub targets: PromotionTargets,
    pub conditions: PromotionConditions,
    pub action: PromotionAction,
    /// Customer-facing description, e.g. "10% off: Winter sale".
    pub reason: String,
    #[graphql(skip)]
    pub key: i64,
}

impl From<DomainPromotion> for Promotion {
    fn from(p: DomainPromotion) -> Self {
        let ids = |v: &[String]| v.iter().map(|s| ID::from(s.as_str())).collect();
        Self {
            id: GlobalId::encode(PROMOTION, p.id).into(),
            name: p.name.clone(),
            kind: p.kind.into(),
            starts_at: p.window.starts_at(),
            ends_at: p.window.ends_at(),
            priority: p.priority,
            exclusive: p.exclusive,
            requires_coupon: p.requires_coupon,
            active: p.active,
            targets: (&p.targets).into(),
            conditions: PromotionConditions {
                min_subtotal: money_opt(p.conditions.min_subtotal),
                product_ids: ids(&p.conditions.product_ids),
                category_ids: ids(&p.conditions.category_ids),
                customer_groups: p
                    .conditions
                    .customer_groups
                    .iter()
                    .map(|g| g.as_str().to_owned())
                    .collect(),
            },
            action: (&p.action).into(),
            reason: p.reason(),
            key: p.id,
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Coupon {
    pub id: ID,
    pub code: String,
    pub promotion_id: ID,
    /// Uses allowed in total; unlimited when null.
    pub usage_limit: Option<i32>,
    pub usage_limit_per_customer: Option<i32>,
    pub times_used: i32,
}

impl From<StoredCoupon> for Coupon {
    fn from(c: StoredCoupon) -> Self {
        Self {
            id: GlobalId::encode(COUPON, c.id).into(),
            code: c.code.as_str().to_owned(),
            promotion_id: GlobalId::encode(PROMOTION, c.promotion_id).into(),
            usage_limit: c.usage_limit.map(int),
            usage_limit_per_customer: c.usage_limit_per_customer.map(int),
            times_used: int(c.times_used),
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct TaxCategory {
    pub code: String,
    pub name: String,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct TaxRate {
    pub id: ID,
    pub name: String,
    pub country: String,
    /// A region inside the country (a US state), or null country-wide.
    pub region: Option<String>,
    pub category: String,
    /// E.g. `"19"` or `"7.25"`.
    pub rate_percent: String,
}

impl From<domain::TaxRate> for TaxRate {
    fn from(r: domain::TaxRate) -> Self {
        Self {
            id: GlobalId::encode(TAX_RATE, r.id).into(),
            name: r.name,
            country: r.country.as_str().to_owned(),
            region: r.region,
            category: r.category.as_str().to_owned(),
            rate_percent: r.rate.percent_string(),
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct CurrencyTaxMode {
    pub currency: String,
    /// Whether prices in this currency are entered with tax included.
    pub tax_inclusive: bool,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum DiscountScope {
    /// Inside the unit price (a catalogue promotion).
    Catalogue,
    /// Taken off the lines.
    Order,
    /// Taken off the shipping.
    Shipping,
}

/// One discount with the reason to show.
#[derive(SimpleObject, Clone, Debug)]
pub struct Discount {
    pub promotion_id: ID,
    pub name: String,
    pub coupon_code: Option<String>,
    pub scope: DiscountScope,
    pub reason: String,
    pub amount: Money,
}

impl From<AppliedDiscount> for Discount {
    fn from(d: AppliedDiscount) -> Self {
        Self {
            promotion_id: GlobalId::encode(PROMOTION, d.promotion_id).into(),
            name: d.name,
            coupon_code: d.coupon.map(|c| c.as_str().to_owned()),
            scope: match d.scope {
                DomainScope::Catalogue => DiscountScope::Catalogue,
                DomainScope::Order => DiscountScope::Order,
                DomainScope::Shipping => DiscountScope::Shipping,
            },
            reason: d.reason,
            amount: d.amount.into(),
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct PricedCartLine {
    pub variant_id: ID,
    pub quantity: i32,
    pub list_unit_price: Money,
    pub unit_price: Money,
    pub compare_at: Option<Money>,
    pub price_list_id: Option<ID>,
    pub promotion: Option<AppliedPromotion>,
    /// `unitPrice × quantity`.
    pub subtotal: Money,
    /// This line's share of the order discounts.
    pub discount: Money,
    /// `subtotal − discount`.
    pub total: Money,
    /// Tax on this line (included in `total` when prices include tax).
    pub tax: Money,
}

impl From<PricedLine> for PricedCartLine {
    fn from(l: PricedLine) -> Self {
        Self {
            variant_id: l.variant_id.as_str().into(),
            quantity: int(l.quantity),
            list_unit_price: l.list_unit_price.into(),
            unit_price: l.unit_price.into(),
            compare_at: money_opt(l.compare_at),
            price_list_id: l
                .price_list_id
                .map(|id| GlobalId::encode(PRICE_LIST, id).into()),
            promotion: l.catalogue.as_ref().map(AppliedPromotion::from),
            subtotal: l.subtotal.into(),
            discount: l.discount.into(),
            total: l.total.into(),
            tax: l.tax.into(),
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct ShippingCharge {
    pub price: Money,
    pub discount: Money,
    pub total: Money,
    pub tax: Money,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct TaxLine {
    pub rate: TaxRate,
    /// What the rate applies to: gross when prices include tax, net otherwise.
    pub base: Money,
    pub amount: Money,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct CouponStatus {
    pub code: String,
    pub applied: bool,
    /// Why it did not apply.
    pub reason: Option<String>,
}

impl From<CouponOutcome> for CouponStatus {
    fn from(c: CouponOutcome) -> Self {
        Self {
            code: c.code.as_str().to_owned(),
            applied: c.applied,
            reason: c.reason,
        }
    }
}

/// A priced cart: every line, every discount with its reason, taxes per rate, the total.
/// `total = Σ lines.total + shipping.total (+ taxTotal when prices exclude tax)`, exactly.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "PricedCart")]
pub struct PricedCartResult {
    pub currency: String,
    pub tax_inclusive: bool,
    pub lines: Vec<PricedCartLine>,
    pub subtotal: Money,
    pub discounts: Vec<Discount>,
    pub order_discount_total: Money,
    pub shipping: ShippingCharge,
    pub taxes: Vec<TaxLine>,
    pub tax_total: Money,
    pub total: Money,
    pub coupons: Vec<CouponStatus>,
}

impl From<PricedCart> for PricedCartResult {
    fn from(c: PricedCart) -> Self {
        Self {
            currency: c.currency.code().to_owned(),
            tax_inclusive: c.tax_mode == TaxMode::Inclusive,
            lines: c.lines.into_iter().map(Into::into).collect(),
            subtotal: c.subtotal.into(),
            discounts: c.discounts.into_iter().map(Into::into).collect(),
            order_discount_total: c.order_discount_total.into(),
            shipping: ShippingCharge {
                price: c.shipping.price.into(),
                discount: c.shipping.discount.into(),
                total: c.shipping.total.into(),
                tax: c.shipping.tax.into(),
            },
            taxes: c
                .taxes
                .into_iter()
                .map(|t| TaxLine {
                    rate: t.rate.into(),
                    base: t.base.into(),
                    amount: t.amount.into(),
                })
                .collect(),
            tax_total: c.tax_total.into(),
            total: c.total.into(),
            coupons: c.coupons.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct CouponRedemption {
    pub code: String,
    pub redeemed: bool,
    pub reason: Option<String>,
}
