//! Use cases: validate raw staff input into domain values, run store calls (in transactions
//! where several writes belong together), and price carts with the pure domain function.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use commerce_kernel::{Currency, Money};
use sea_orm::DatabaseConnection;

use crate::domain::{
    self, Action, BasePrice, BasisPoints, CartInput, Conditions, CountryCode, CouponCode,
    CustomerGroup, Destination, LineFacts, LineInput, Percent, PriceListRule, PricedCart,
    Promotion, PromotionDraft, PromotionKind, Targets, TaxCategoryCode, TaxMode, TaxRate, Tier,
    Tiers, ValidationError, VariantId, Window,
};
use crate::domain::{Coupon, PriceData, VariantPricing};
use crate::store::coupons::{self, Refusal};
use crate::store::{prices, promotions, taxes};

mod error;

pub use error::ServiceError;

pub type Result<T> = std::result::Result<T, ServiceError>;

/// An amount typed by staff: a currency code and a decimal string such as `"19.90"`.
#[derive(Debug, Clone)]
pub struct MoneyInput {
    pub currency: String,
    pub amount: String,
}

pub fn parse_currency(field: &str, code: &str) -> std::result::Result<Currency, ValidationError> {
    Currency::parse(code).map_err(|e| ValidationError::new(field, e.to_string()))
}

fn parse_amount(
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

/// Who is being priced: their groups, and their id for per-customer coupon limits.
#[derive(Debug, Clone, Default)]
pub struct Shopper {
    pub groups: Vec<String>,
    pub customer_id: Option<String>,
}

/// A variant's price for one viewer and quantity, with the catalogue promotion applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewerPrice {
    pub resolved: domain::ResolvedPrice,
    pub catalogue: Option<domain::CatalogueDiscount>,
    pub unit: Money,
    pub compare_at: Option<Money>,
    pub tax_mode: TaxMode,
}

/// Everything one currency's batch of entity prices needs, loaded with a constant number of
/// statements.
#[derive(Debug, Clone)]
pub struct PriceBatch {
    pub data: HashMap<String, PriceData>,
    pub promotions: Vec<Promotion>,
    pub tax_mode: TaxMode,
    pub now: DateTime<Utc>,
}

impl PriceBatch {
    /// The price a viewer in `groups` pays per unit when buying `quantity` of `variant_id`.
    /// `facts` come from the catalog through the router when it sent them; otherwise the
    /// product id pricing stored is used.
    pub fn price_for(
        &self,
        variant_id: &str,
        quantity: u32,
        groups: &[String],
        currency: Currency,
        facts: Option<&LineFacts>,
    ) -> Option<ViewerPrice> {
        let data = self.data.get(variant_id)?;
        let resolved = domain::resolve_unit_price(
            data.base.as_ref(),
            &data.offers,
            currency,
            quantity,
            groups,
            self.now,
        )?;
        let facts = facts.cloned().unwrap_or_else(|| LineFacts {
            product_id: data.product_id.clone(),
            ..LineFacts::default()
        });
        let catalogue = domain::best_catalogue_discount(
            resolved.unit,
            &facts,
            &self.promotions,
            groups,
            self.now,
        );
        let unit = match &catalogue {
            Some(d) => Money::new(resolved.unit.amount - d.unit_discount.amount, currency),
            None => resolved.unit,
        };
        let compare_at = [resolved.compare_at, Some(resolved.unit)]
            .into_iter()
            .flatten()
            .filter(|m| m.amount > unit.amount)
            .max_by_key(|m| m.amount);
        Some(ViewerPrice {
            resolved,
            catalogue,
            unit,
            compare_at,
            tax_mode: self.tax_mode,
        })
    }
}

/// The pricing use cases over one database.
#[derive(Clone)]
pub struct PricingService {
    db: DatabaseConnection,
}

fn parse_quantity(field: &str, value: i32) -> std::result::Result<u32, ValidationError> {
    u32::try_from(value)
        .ok()
        .filter(|q| (1..=domain::cart::MAX_QUANTITY).contains(q))
        .ok_or_else(|| {
            ValidationError::new(
                field,
                format!(
                    "{value} is not a quantity from 1 to {}",
                    domain::cart::MAX_QUANTITY
                ),
            )
        })
}

fn parse_limit(
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

fn parse_targets(input: &TargetsInput) -> std::result::Result<Targets, ValidationError> {
    Targets::parse(
        &input.product_ids,
        &input.category_ids,
        &input.collection_ids,
    )
}

fn parse_conditions(input: &ConditionsInput) -> std::result::Result<Conditions, ValidationError> {
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

fn parse_action(input: &ActionInput) -> std::result::Result<Action, ValidationError> {
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

fn parse_price_list(input: &PriceListInput) -> std::result::Result<PriceListRule, ValidationError> {
    PriceListRule::parse(
        &input.name,
        input.customer_group.as_deref(),
        parse_currency("currency", &input.currency)?,
        Window::new(input.starts_at, input.ends_at)?,
        input.priority,
    )
}

fn parse_tiers(
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

impl PricingService {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub async fn set_variant_prices(&self, input: &VariantPricesInput) -> Result<VariantPricing> {
        let variant_id = VariantId::parse("variantId", &input.variant_id)?;
        let product_id = input
            .product_id
            .as_deref()
            .map(|p| {
                domain::Targets::parse(&[p.to_owned()], &[], &[]).map(|t| t.product_ids.concat())
            })
            .transpose()?;
        let tax_category = match &input.tax_category {
            Some(code) => TaxCategoryCode::parse("taxCategory", code)?,
            None => TaxCategoryCode::standard(),
        };
        if !taxes::category_exists(&self.db, &tax_category).await?
            && tax_category != TaxCategoryCode::standard()
        {
            return Err(ValidationError::new(
                "taxCategory",
                format!("there is no tax category {:?}", tax_category.as_str()),
            )
            .into());
        }
        let mut seen = Vec::new();
        let mut prices = Vec::with_capacity(input.prices.len());
        for price in &input.prices {
            let currency = parse_currency("prices.currency", &price.currency)?;
            if seen.contains(&currency) {
                return Err(ValidationError::new(
                    "prices.currency",
                    format!("{currency} is given twice"),
                )
                .into());
            }
            seen.push(currency);
            let amount = parse_amount("prices.amount", &price.amount, currency)?;
            let compare_at = price
                .compare_at
                .as_deref()
                .map(|c| parse_amount("prices.compareAt", c, currency))
                .transpose()?;
            prices.push(BasePrice::parse(amount, compare_at)?);
        }
        let pricing = VariantPricing {
            variant_id,
            product_id,
            tax_category,
            prices,
        };
        prices::save_variant_pricing(&self.db, &pricing, Utc::now()).await?;
        self.variant_pricing(pricing.variant_id.as_str()).await
    }

    pub async fn variant_pricing(&self, variant_id: &str) -> Result<VariantPricing> {
        prices::variant_pricings(&self.db, &[variant_id.to_owned()])
            .await?
            .remove(variant_id)
            .ok_or_else(|| ServiceError::NotFound("variant pricing".into()))
    }

    pub async fn remove_price(&self, variant_id: &str, currency: &str) -> Result<bool> {
        let variant_id = VariantId::parse("variantId", variant_id)?;
        let currency = parse_currency("currency", currency)?;
        Ok(prices::delete_price(&self.db, &variant_id, currency).await?)
    }

    pub async fn create_price_list(&self, input: &PriceListInput) -> Result<PriceListRule> {
        let rule = parse_price_list(input)?;
        Ok(prices::create_price_list(&self.db, &rule, Utc::now()).await?)
    }

    pub async fn update_price_list(
        &self,
        id: i64,
        input: &PriceListInput,
    ) -> Result<PriceListRule> {
        let existing = self.price_list(id).await?;
        let mut rule = parse_price_list(input)?;
        if rule.currency != existing.currency {
            return Err(ValidationError::new(
                "currency",
                "a price list's currency cannot change; create a new list",
            )
            .into());
        }
        rule.id = id;
        Ok(prices::update_price_list(&self.db, &rule).await?)
    }

    pub async fn delete_price_list(&self, id: i64) -> Result<bool> {
        Ok(prices::delete_price_list(&self.db, id).await?)
    }

    pub async fn price_list(&self, id: i64) -> Result<PriceListRule> {
        prices::price_list(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound("price list".into()))
    }

    pub async fn price_lists(&self) -> Result<Vec<PriceListRule>> {
        Ok(prices::price_lists(&self.db).await?)
    }

    pub async fn price_list_entries(
        &self,
        list: &PriceListRule,
        variant_ids: Option<&[String]>,
        limit: u64,
    ) -> Result<Vec<(VariantId, Tiers)>> {
        Ok(prices::list_entries(&self.db, list, variant_ids, limit).await?)
    }

    /// Replaces a variant's tiers in a list; no tiers removes the variant from the list.
    pub async fn set_price_list_tiers(
        &self,
        list_id: i64,
        variant_id: &str,
        tiers: &[TierInput],
    ) -> Result<Vec<Tier>> {
        let list = self.price_list(list_id).await?;
        let variant_id = VariantId::parse("variantId", variant_id)?;
        let tiers = if tiers.is_empty() {
            Vec::new()
        } else {
            parse_tiers(list.currency, tiers)?.as_slice().to_vec()
        };
        prices::set_tiers(&self.db, list.id, &variant_id, &tiers).await?;
        Ok(tiers)
    }

    pub async fn create_promotion(&self, input: &PromotionInput) -> Result<Promotion> {
        let promotion = parse_promotion(input)?;
        Ok(promotions::create(&self.db, &promotion, Utc::now()).await?)
    }

    pub async fn update_promotion(&self, id: i64, input: &PromotionInput) -> Result<Promotion> {
        let mut promotion = parse_promotion(input)?;
        promotion.id = id;
        Ok(promotions::update(&self.db, &promotion).await?)
    }

    pub async fn delete_promotion(&self, id: i64) -> Result<bool> {
        Ok(promotions::delete(&self.db, id).await?)
    }

    pub async fn promotion(&self, id: i64) -> Result<Promotion> {
        promotions::get(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound("promotion".into()))
    }

    pub async fn promotions(&self) -> Result<Vec<Promotion>> {
        Ok(promotions::list(&self.db).await?)
    }

    pub async fn promotion_coupons(&self, promotion_id: i64) -> Result<Vec<Coupon>> {
        Ok(coupons::by_promotion(&self.db, promotion_id).await?)
    }

    pub async fn create_coupon(&self, input: &CouponInput) -> Result<Coupon> {
        let promotion = self.promotion(input.promotion_id).await?;
        if promotion.kind != PromotionKind::Order {
            return Err(ValidationError::new(
                "promotionId",
                "coupons unlock order promotions only",
            )
            .into());
        }
        let coupon = Coupon {
            id: 0,
            code: CouponCode::parse("code", &input.code)?,
            promotion_id: promotion.id,
            usage_limit: parse_limit("usageLimit", input.usage_limit)?,
            usage_limit_per_customer: parse_limit(
                "usageLimitPerCustomer",
                input.usage_limit_per_customer,
            )?,
            times_used: 0,
        };
        Ok(coupons::create(&self.db, &coupon, Utc::now()).await?)
    }

    pub async fn delete_coupon(&self, id: i64) -> Result<bool> {
        Ok(coupons::delete(&self.db, id).await?)
    }

    /// Records that an order used these coupons (for checkout). Replays for one order are
    /// harmless; a coupon at its limit is refused.
    pub async fn redeem_coupons(
        &self,
        order_ref: &str,
        customer_id: Option<&str>,
        codes: &[String],
    ) -> Result<Vec<(CouponCode, Option<String>)>> {
        if order_ref.trim().is_empty() || order_ref.len() > 128 {
            return Err(ValidationError::new(
                "orderRef",
                "give an order reference of 1 to 128 characters",
            )
            .into());
        }
        let mut outcomes = Vec::with_capacity(codes.len());
        for code in codes {
            let code = CouponCode::parse("couponCodes", code)?;
            let refusal = match coupons::redeem(&self.db, &code, order_ref, customer_id, Utc::now())
                .await?
            {
                Ok(()) => None,
                Err(Refusal::Unknown) => Some("unknown coupon code".to_owned()),
                Err(Refusal::UsedUp) => Some("this coupon has been used up".to_owned()),
                Err(Refusal::CustomerLimit) => Some("you have already used this coupon".to_owned()),
            };
            outcomes.push((code, refusal));
        }
        Ok(outcomes)
    }

    pub async fn create_tax_category(&self, code: &str, name: &str) -> Result<TaxCategoryCode> {
        let code = TaxCategoryCode::parse("code", code)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ValidationError::new("name", "give a name of 1 to 100 characters").into());
        }
        taxes::upsert_category(&self.db, &code, name).await?;
        Ok(code)
    }

    pub async fn tax_categories(&self) -> Result<Vec<(TaxCategoryCode, String)>> {
        Ok(taxes::categories(&self.db).await?)
    }

    pub async fn set_tax_rate(&self, input: &TaxRateInput) -> Result<TaxRate> {
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ValidationError::new("name", "give a name of 1 to 100 characters").into());
        }
        let rate = TaxRate {
            id: 0,
            name: name.to_owned(),
            country: CountryCode::parse("country", &input.country)?,
            region: input
                .region
                .as_deref()
                .map(|r| CountryCode::parse_region("region", r))
                .transpose()?,
            category: TaxCategoryCode::parse("category", &input.category)?,
            rate: BasisPoints::parse_percent("rate", &input.rate_percent)?,
        };
        Ok(taxes::upsert_rate(&self.db, &rate, Utc::now()).await?)
    }

    pub async fn delete_tax_rate(&self, id: i64) -> Result<bool> {
        Ok(taxes::delete_rate(&self.db, id).await?)
    }

    pub async fn tax_rates(&self, country: Option<&str>) -> Result<Vec<TaxRate>> {
        let country = country
            .map(|c| CountryCode::parse("country", c))
            .transpose()?;
        Ok(taxes::rates(&self.db, country.as_ref()).await?)
    }

    pub async fn set_tax_mode(&self, currency: &str, inclusive: bool) -> Result<TaxMode> {
        let currency = parse_currency("currency", currency)?;
        let mode = if inclusive {
            TaxMode::Inclusive
        } else {
            TaxMode::Exclusive
        };
        prices::set_tax_mode(&self.db, currency, mode, Utc::now()).await?;
        Ok(mode)
    }

    pub async fn tax_modes(&self) -> Result<Vec<(Currency, TaxMode)>> {
        Ok(prices::tax_modes(&self.db).await?)
    }

    /// Loads what pricing `variant_ids` in `currency` needs: six statements, whatever the count.
    pub async fn price_batch(
        &self,
        variant_ids: &[String],
        currency: Currency,
    ) -> Result<PriceBatch> {
        let now = Utc::now();
        let data = prices::price_data(&self.db, variant_ids, currency).await?;
        let promotions = promotions::live(&self.db, now)
            .await?
            .into_iter()
            .filter(|p| p.kind == PromotionKind::Catalogue)
            .collect();
        let tax_mode = prices::tax_mode(&self.db, currency).await?;
        Ok(PriceBatch {
            data,
            promotions,
            tax_mode,
            now,
        })
    }

    /// Prices a cart for a shopper with the pure domain function.
    pub async fn price_cart(&self, request: &CartRequest, shopper: &Shopper) -> Result<PricedCart> {
        let currency = parse_currency("currency", &request.currency)?;
        let lines = parse_lines(&request.lines)?;
        let codes = request
            .coupon_codes
            .iter()
            .map(|c| CouponCode::parse("couponCodes", c))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let shipping = match &request.shipping {
            Some(amount) => parse_amount("shipping", amount, currency)?,
            None => Money::zero(currency),
        };
        let destination = Destination {
            country: CountryCode::parse("country", &request.country)?,
            region: request
                .region
                .as_deref()
                .map(|r| CountryCode::parse_region("region", r))
                .transpose()?,
        };
        let now = Utc::now();
        let ids: Vec<String> = lines
            .iter()
            .map(|(id, ..)| id.as_str().to_owned())
            .collect();
        let mut data = prices::price_data(&self.db, &ids, currency).await?;
        let input = CartInput {
            currency,
            tax_mode: prices::tax_mode(&self.db, currency).await?,
            now,
            customer_groups: shopper.groups.clone(),
            customer_id: shopper.customer_id.clone(),
            lines: lines
                .into_iter()
                .map(|(variant_id, quantity, facts)| {
                    line_input(variant_id, quantity, facts, &mut data)
                })
                .collect(),
            coupons: coupons::usages(&self.db, &codes, shopper.customer_id.as_deref()).await?,
            coupon_codes: codes,
            promotions: promotions::live(&self.db, now).await?,
            shipping,
            tax_rates: taxes::rates(&self.db, Some(&destination.country)).await?,
            destination,
        };
        Ok(domain::price_cart(&input)?)
    }
}

fn parse_lines(
    lines: &[CartLineRequest],
) -> std::result::Result<Vec<(VariantId, u32, LineFacts)>, ValidationError> {
    if lines.len() > domain::cart::MAX_LINES {
        return Err(ValidationError::new(
            "lines",
            format!("a cart has at most {} lines", domain::cart::MAX_LINES),
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

/// Combines a requested line with the stored data; facts the caller sent win over stored ones.
fn line_input(
    variant_id: VariantId,
    quantity: u32,
    mut facts: LineFacts,
    data: &mut HashMap<String, PriceData>,
) -> LineInput {
    let stored = data.get(variant_id.as_str()).cloned().unwrap_or_default();
    if facts.product_id.is_none() {
        facts.product_id = stored.product_id;
    }
    LineInput {
        variant_id,
        quantity,
        facts,
        tax_category: stored.tax_category,
        base: stored.base,
        offers: stored.offers,
    }
}
