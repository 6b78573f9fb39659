//! Input objects, converted to the service's plain inputs; validation happens in the domain.

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Utc};

use super::types::{PromotionActionType, PromotionKind};
use crate::service;

/// An amount as a decimal string in a currency, e.g. `{currency: "EUR", amount: "19.90"}`.
#[derive(InputObject, Clone, Debug)]
pub struct MoneyInput {
    pub currency: String,
    pub amount: String,
}

impl From<MoneyInput> for service::MoneyInput {
    fn from(m: MoneyInput) -> Self {
        Self {
            currency: m.currency,
            amount: m.amount,
        }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct PriceInput {
    pub currency: String,
    /// Decimal, with at most the currency's digits.
    pub amount: String,
    /// A higher "was" price to show struck out.
    pub compare_at: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct SetVariantPricesInput {
    pub variant_id: ID,
    /// The variant's product, for product-targeted promotions when the catalog is not asked.
    pub product_id: Option<ID>,
    /// `standard` when omitted.
    pub tax_category: Option<String>,
    /// Upserted per currency; currencies not listed keep their price.
    pub prices: Vec<PriceInput>,
}

impl From<SetVariantPricesInput> for service::VariantPricesInput {
    fn from(i: SetVariantPricesInput) -> Self {
        Self {
            variant_id: i.variant_id.0,
            product_id: i.product_id.map(|p| p.0),
            tax_category: i.tax_category,
            prices: i
                .prices
                .into_iter()
                .map(|p| service::PriceInput {
                    currency: p.currency,
                    amount: p.amount,
                    compare_at: p.compare_at,
                })
                .collect(),
        }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct PriceListInput {
    pub name: String,
    /// A customer group code (`b2b`); everyone when null.
    pub customer_group: Option<String>,
    /// Fixed at creation.
    pub currency: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    #[graphql(default)]
    pub priority: i32,
}

impl From<PriceListInput> for service::PriceListInput {
    fn from(i: PriceListInput) -> Self {
        Self {
            name: i.name,
            customer_group: i.customer_group,
            currency: i.currency,
            starts_at: i.starts_at,
            ends_at: i.ends_at,
            priority: i.priority,
        }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct PriceTierInput {
    pub min_quantity: i32,
    /// Open-ended when null.
    pub max_quantity: Option<i32>,
    /// Unit price, decimal, in the list's currency.
    pub amount: String,
}

impl From<PriceTierInput> for service::TierInput {
    fn from(t: PriceTierInput) -> Self {
        Self {
            min_quantity: t.min_quantity,
            max_quantity: t.max_quantity,
            amount: t.amount,
        }
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub struct PromotionTargetsInput {
    #[graphql(default)]
    pub product_ids: Vec<ID>,
    #[graphql(default)]
    pub category_ids: Vec<ID>,
    #[graphql(default)]
    pub collection_ids: Vec<ID>,
}

fn strings(ids: Vec<ID>) -> Vec<String> {
    ids.into_iter().map(|id| id.0).collect()
}

impl From<PromotionTargetsInput> for service::TargetsInput {
    fn from(t: PromotionTargetsInput) -> Self {
        Self {
            product_ids: strings(t.product_ids),
            category_ids: strings(t.category_ids),
            collection_ids: strings(t.collection_ids),
        }
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub struct PromotionConditionsInput {
    pub min_subtotal: Option<MoneyInput>,
    #[graphql(default)]
    pub product_ids: Vec<ID>,
    #[graphql(default)]
    pub category_ids: Vec<ID>,
    #[graphql(default)]
    pub customer_groups: Vec<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct PromotionActionInput {
    #[graphql(name = "type")]
    pub action_type: PromotionActionType,
    /// Percentage off, e.g. `"10"` (required for PERCENTAGE; 100 for BUY_X_GET_Y if omitted).
    pub percent: Option<String>,
    /// For FIXED_AMOUNT.
    pub amount: Option<MoneyInput>,
    pub buy_quantity: Option<i32>,
    pub get_quantity: Option<i32>,
    /// BUY_X_GET_Y: which products count (all when omitted).
    pub targets: Option<PromotionTargetsInput>,
}

#[derive(InputObject, Clone, Debug)]
pub struct PromotionInput {
    pub name: String,
    pub kind: PromotionKind,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    #[graphql(default)]
    pub priority: i32,
    #[graphql(default)]
    pub exclusive: bool,
    #[graphql(default)]
    pub requires_coupon: bool,
    #[graphql(default = true)]
    pub active: bool,
    /// CATALOGUE only: the products discounted (every product when omitted).
    pub targets: Option<PromotionTargetsInput>,
    /// ORDER: all given conditions must hold; CATALOGUE: only customer groups.
    pub conditions: Option<PromotionConditionsInput>,
    pub action: PromotionActionInput,
}

impl From<PromotionInput> for service::PromotionInput {
    fn from(i: PromotionInput) -> Self {
        let conditions = i.conditions.unwrap_or_default();
        let action = i.action;
        Self {
            name: i.name,
            kind: i.kind.into(),
            starts_at: i.starts_at,
            ends_at: i.ends_at,
            priority: i.priority,
            exclusive: i.exclusive,
            requires_coupon: i.requires_coupon,
            active: i.active,
            targets: i.targets.unwrap_or_default().into(),
            conditions: service::ConditionsInput {
                min_subtotal: conditions.min_subtotal.map(Into::into),
                product_ids: strings(conditions.product_ids),
                category_ids: strings(conditions.category_ids),
                customer_groups: conditions.customer_groups,
            },
            action: service::ActionInput {
                kind: match action.action_type {
                    PromotionActionType::Percentage => service::ActionKind::Percentage,
                    PromotionActionType::FixedAmount => service::ActionKind::FixedAmount,
                    PromotionActionType::FreeShipping => service::ActionKind::FreeShipping,
                    PromotionActionType::BuyXGetY => service::ActionKind::BuyXGetY,
                },
                percent: action.percent,
                amount: action.amount.map(Into::into),
                buy_quantity: action.buy_quantity,
                get_quantity: action.get_quantity,
                targets: action.targets.unwrap_or_default().into(),
            },
        }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct CouponInput {
    /// 3-32 letters, digits, - or _; case-insensitive.
    pub code: String,
    /// An ORDER promotion; it should have `requiresCoupon: true`.
    pub promotion_id: ID,
    pub usage_limit: Option<i32>,
    pub usage_limit_per_customer: Option<i32>,
}

#[derive(InputObject, Clone, Debug)]
pub struct TaxRateInput {
    pub name: String,
    /// ISO 3166-1 alpha-2, e.g. `DE`.
    pub country: String,
    /// A region such as a US state (`CA`); country-wide when null.
    pub region: Option<String>,
    pub category: String,
    /// E.g. `"19"` or `"7.25"`.
    pub rate_percent: String,
}

impl From<TaxRateInput> for service::TaxRateInput {
    fn from(i: TaxRateInput) -> Self {
        Self {
            name: i.name,
            country: i.country,
            region: i.region,
            category: i.category,
            rate_percent: i.rate_percent,
        }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct PriceCartLineInput {
    pub variant_id: ID,
    pub quantity: i32,
    /// What the caller knows from the catalog, for promotions targeting products, categories
    /// (include ancestors) or collections. Pricing's own product id is used when omitted.
    pub product_id: Option<ID>,
    #[graphql(default)]
    pub category_ids: Vec<ID>,
    #[graphql(default)]
    pub collection_ids: Vec<ID>,
}

#[derive(InputObject, Clone, Debug)]
pub struct PriceCartInput {
    pub lines: Vec<PriceCartLineInput>,
    pub currency: String,
    #[graphql(default)]
    pub coupon_codes: Vec<String>,
    /// The shipping price before promotions, decimal, in `currency`.
    pub shipping: Option<String>,
    /// Destination country (ISO 3166-1 alpha-2), which decides the tax rates.
    pub country: String,
    pub region: Option<String>,
}

/// The customer a cart is priced for, when another subgraph asks on their behalf.
#[derive(InputObject, Clone, Debug)]
#[graphql(inaccessible)]
pub struct PriceCartCustomerInput {
    /// The `Customer` id: coupons limited per customer count their uses.
    pub id: ID,
    /// Their customer groups, whose price lists and promotions apply.
    #[graphql(default)]
    pub groups: Vec<String>,
}

impl From<PriceCartInput> for service::CartRequest {
    fn from(i: PriceCartInput) -> Self {
        Self {
            lines: i
                .lines
                .into_iter()
                .map(|l| service::CartLineRequest {
                    variant_id: l.variant_id.0,
                    quantity: l.quantity,
                    product_id: l.product_id.map(|p| p.0),
                    category_ids: strings(l.category_ids),
                    collection_ids: strings(l.collection_ids),
                })
                .collect(),
            currency: i.currency,
            coupon_codes: i.coupon_codes,
            shipping: i.shipping,
            country: i.country,
            region: i.region,
        }
    }
}
