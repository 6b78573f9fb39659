//! Staff and cart input as the API receives it, and its parsing into domain values: the
//! service only orchestrates what parsing produced.

use chrono::{DateTime, Utc};
use commerce_kernel::{Currency, Money};

use super::{
    Action, Conditions, CustomerGroup, LineFacts, Percent, PriceListRule, Promotion,
    PromotionDraft, PromotionKind, Targets, Tier, Tiers, ValidationError, VariantId, Window,
};

/// An amount typed by staff: a currency code and a decimal string such as `"19.90"`.
#[derive(Debug, Clone)]
pub struct MoneyInput {
    pub currency: String,
    pub amount: String,
}

pub fn parse_currency(field: &str, code: &str) -> std::result::Result<Currency, ValidationError> {
    Currency::parse(code).map_err(|e| ValidationError::new(field, e.to_string()))
}

pub fn parse_amount(
    field: &str,
    amount: &str,
    currency: Currency,
) -> std::result::Result<Money, ValidationError> {
    Money::parse_decimal(amount, currency).map_err(|e| ValidationError::new(field, e.to_string()))
}

impl MoneyInput {
    fn parse(&self, field: &str) -> std::result::Result<Money, ValidationError> {
        let currency = parse_currency(field, &self.currency)?;
        parse_amount(field, &self.amount, currency)
    }
}

#[derive(Debug, Clone)]
pub struct PriceInput {
    pub currency: String,
    pub amount: String,
    pub compare_at: Option<String>,
}

#[derive(Debug, Clone)]
pub struct VariantPricesInput {
    pub variant_id: String,
    pub product_id: Option<String>,
    pub tax_category: Option<String>,
    pub prices: Vec<PriceInput>,
}

#[derive(Debug, Clone)]
pub struct PriceListInput {
    pub name: String,
    pub customer_group: Option<String>,
    pub currency: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub priority: i32,
}

#[derive(Debug, Clone)]
pub struct TierInput {
    pub min_quantity: i32,
    pub max_quantity: Option<i32>,
    pub amount: String,
}

#[derive(Debug, Clone, Default)]
pub struct TargetsInput {
    pub product_ids: Vec<String>,
    pub category_ids: Vec<String>,
    pub collection_ids: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ConditionsInput {
    pub min_subtotal: Option<MoneyInput>,
    pub product_ids: Vec<String>,
    pub category_ids: Vec<String>,
    pub customer_groups: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    Percentage,
    FixedAmount,
    FreeShipping,
    BuyXGetY,
}

#[derive(Debug, Clone)]
pub struct ActionInput {
    pub kind: ActionKind,
    pub percent: Option<String>,
    pub amount: Option<MoneyInput>,
    pub buy_quantity: Option<i32>,
    pub get_quantity: Option<i32>,
    pub targets: TargetsInput,
}

#[derive(Debug, Clone)]
pub struct PromotionInput {
    pub name: String,
    pub kind: PromotionKind,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub priority: i32,
    pub exclusive: bool,
    pub requires_coupon: bool,
    pub active: bool,
    pub targets: TargetsInput,
    pub conditions: ConditionsInput,
    pub action: ActionInput,
}

#[derive(Debug, Clone)]
pub struct CouponInput {
    pub code: String,
    pub promotion_id: i64,
    pub usage_limit: Option<i32>,
    pub usage_limit_per_customer: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct TaxRateInput {
    pub name: String,
    pub country: String,
    pub region: Option<String>,
    pub category: String,
    pub rate_percent: String,
}

#[derive(Debug, Clone)]
pub struct CartLineRequest {
    pub variant_id: String,
    pub quantity: i32,
    pub product_id: Option<String>,
    pub category_ids: Vec<String>,
    pub collection_ids: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct CartRequest {
    pub lines: Vec<CartLineRequest>,
    pub currency: String,
    pub coupon_codes: Vec<String>,
    pub shipping: Option<String>,
    pub country: String,
    pub region: Option<String>,
}

pub fn parse_quantity(field: &str, value: i32) -> std::result::Result<u32, ValidationError> {
    u32::try_from(value)
        .ok()
        .filter(|q| (1..=super::cart::MAX_QUANTITY).contains(q))
        .ok_or_else(|| {
            ValidationError::new(
                field,
                format!(
                    "{value} is not a quantity from 1 to {}",
                    super::cart::MAX_QUANTITY
                ),
            )
        })
}

pub fn parse_limit(
    field: &str,
    value: Option<i32>,
) -> std::result::Result<Option<u32>, ValidationError> {
    value
        .map(|v| {
            u32::try_from(v)
                .ok()
                .filter(|v| *v >= 1)
                .ok_or_else(|| ValidationError::new(field, "a usage limit is at least 1"))
        })
        .transpose()
}

pub fn parse_targets(input: &TargetsInput) -> std::result::Result<Targets, ValidationError> {
    Targets::parse(
        &input.product_ids,
        &input.category_ids,
        &input.collection_ids,
    )
}

pub fn parse_conditions(
    input: &ConditionsInput,
) -> std::result::Result<Conditions, ValidationError> {
    let targets = Targets::parse(&input.product_ids, &input.category_ids, &[])?;
    Ok(Conditions {
        min_subtotal: input
            .min_subtotal
            .as_ref()
            .map(|m| m.parse("conditions.minSubtotal"))
            .transpose()?,
        product_ids: targets.product_ids,
        category_ids: targets.category_ids,
        customer_groups: input
            .customer_groups
            .iter()
            .map(|g| CustomerGroup::parse("conditions.customerGroups", g))
            .collect::<std::result::Result<_, _>>()?,
    })
}

pub fn parse_action(input: &ActionInput) -> std::result::Result<Action, ValidationError> {
    let percent = |default_full: bool| match (&input.percent, default_full) {
        (Some(p), _) => Percent::parse("action.percent", p),
        (None, true) => Ok(Percent::full()),
        (None, false) => Err(ValidationError::new(
            "action.percent",
            "give the percentage",
        )),
    };
    Ok(match input.kind {
        ActionKind::Percentage => Action::PercentOff {
            percent: percent(false)?,
        },
        ActionKind::FixedAmount => Action::AmountOff {
            amount: input
                .amount
                .as_ref()
                .ok_or_else(|| ValidationError::new("action.amount", "give the amount"))?
                .parse("action.amount")?,
        },
        ActionKind::FreeShipping => Action::FreeShipping,
        ActionKind::BuyXGetY => {
            let quantity = |field: &str, v: Option<i32>| {
                v.and_then(|v| u32::try_from(v).ok())
                    .ok_or_else(|| ValidationError::new(field, "give a quantity from 1 to 1000"))
            };
            Action::BuyXGetY {
                buy: quantity("action.buyQuantity", input.buy_quantity)?,
                get: quantity("action.getQuantity", input.get_quantity)?,
                percent: percent(true)?,
                targets: parse_targets(&input.targets)?,
            }
        }
    })
}

pub fn parse_promotion(input: &PromotionInput) -> std::result::Result<Promotion, ValidationError> {
    Promotion::parse(PromotionDraft {
        name: input.name.clone(),
        kind: input.kind,
        window: Window::new(input.starts_at, input.ends_at)?,
        priority: input.priority,
        exclusive: input.exclusive,
        requires_coupon: input.requires_coupon,
        active: input.active,
        action: parse_action(&input.action)?,
        targets: parse_targets(&input.targets)?,
        conditions: parse_conditions(&input.conditions)?,
    })
}

pub fn parse_price_list(
    input: &PriceListInput,
) -> std::result::Result<PriceListRule, ValidationError> {
    PriceListRule::parse(
        &input.name,
        input.customer_group.as_deref(),
        parse_currency("currency", &input.currency)?,
        Window::new(input.starts_at, input.ends_at)?,
        input.priority,
    )
}

pub fn parse_tiers(
    currency: Currency,
    input: &[TierInput],
) -> std::result::Result<Tiers, ValidationError> {
    let tiers = input
        .iter()
        .map(|t| {
            let quantity = |v: i32| {
                u32::try_from(v).map_err(|_| {
                    ValidationError::new("tiers.minQuantity", format!("{v} is not a quantity"))
                })
            };
            Ok(Tier {
                min_quantity: quantity(t.min_quantity)?,
                max_quantity: t.max_quantity.map(quantity).transpose()?,
                amount: parse_amount("tiers.amount", &t.amount, currency)?,
            })
        })
        .collect::<std::result::Result<Vec<_>, ValidationError>>()?;
    Tiers::parse(currency, tiers)
}

pub fn parse_lines(
    lines: &[CartLineRequest],
) -> std::result::Result<Vec<(VariantId, u32, LineFacts)>, ValidationError> {
    if lines.len() > super::cart::MAX_LINES {
        return Err(ValidationError::new(
            "lines",
            format!("a cart has at most {} lines", super::cart::MAX_LINES),
        ));
    }
    lines
        .iter()
        .map(|line| {
            let variant_id = VariantId::parse("lines.variantId", &line.variant_id)?;
            let quantity = parse_quantity("lines.quantity", line.quantity)?;
            let product: Vec<String> = line.product_id.iter().cloned().collect();
            let targets = Targets::parse(&product, &line.category_ids, &line.collection_ids)?;
            let facts = LineFacts {
                product_id: targets.product_ids.into_iter().next(),
                category_ids: targets.category_ids,
                collection_ids: targets.collection_ids,
            };
            Ok((variant_id, quantity, facts))
        })
        .collect()
}
