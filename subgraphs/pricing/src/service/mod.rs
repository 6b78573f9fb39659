//! Use cases: validate raw staff input into domain values, run store calls (in transactions
//! where several writes belong together), and price carts with the pure domain function.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use commerce_kernel::cache::{ReadThrough, SharedCache};
use commerce_kernel::db::begin_write;
use commerce_kernel::events::{Event, NewEvent, Outbox};
use commerce_kernel::{Currency, Money};
use sea_orm::{DatabaseConnection, DatabaseTransaction};

use crate::domain::events::{PriceChanged, RulesChanged};
use crate::domain::{
    self, BasePrice, BasisPoints, CartInput, CountryCode, CouponCode, Destination, LineFacts,
    LineInput, PriceListRule, PricedCart, Promotion, PromotionKind, TaxCategoryCode, TaxMode,
    TaxRate, Tier, Tiers, ValidationError, VariantId,
};
use crate::domain::{Coupon, PriceData, VariantPricing};
use crate::store::StoreError;
use crate::store::coupons::{self, Refusal};
use crate::store::{prices, promotions, taxes};

mod cache;
mod error;

pub use cache::PriceCache;
pub use error::ServiceError;

pub type Result<T> = std::result::Result<T, ServiceError>;

pub use crate::domain::input::*;

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
    /// When a promotion's or price list's window next opens or closes: the batch's prices
    /// hold until then (or until a `pricing.rules_changed` event).
    pub changes_at: Option<DateTime<Utc>>,
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
    /// Base prices read through (see `cache`); none for tests that count statements.
    cache: Option<ReadThrough>,
}

impl PricingService {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db, cache: None }
    }

    /// Reads variants' base prices through `cache`.
    pub fn with_cache(mut self, cache: SharedCache) -> Self {
        self.cache = Some(ReadThrough::new(cache));
        self
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
        let product_id = pricing.product_id.as_deref();
        let changes: Vec<PriceChanged> = pricing
            .prices
            .iter()
            .map(|price| PriceChanged::set(&pricing.variant_id, product_id, price))
            .collect();
        let txn = begin_write(&self.db).await.map_err(StoreError::from)?;
        prices::save_variant_pricing(&txn, &pricing, Utc::now()).await?;
        append_events(&txn, &changes).await?;
        txn.commit().await.map_err(StoreError::from)?;
        self.evict_prices(&pricing.variant_id).await;
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
        let txn = begin_write(&self.db).await.map_err(StoreError::from)?;
        let removed = prices::delete_price(&txn, &variant_id, currency).await?;
        if removed {
            append_events(&txn, &[PriceChanged::removed(&variant_id, currency)]).await?;
        }
        txn.commit().await.map_err(StoreError::from)?;
        self.evict_prices(&variant_id).await;
        Ok(removed)
    }

    pub async fn create_price_list(&self, input: &PriceListInput) -> Result<PriceListRule> {
        let rule = parse_price_list(input)?;
        let create = async |txn: &DatabaseTransaction| {
            prices::create_price_list(txn, &rule, Utc::now()).await
        };
        self.change_rule("priceList", create, |created| Some(created.id))
            .await
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
        let update = async |txn: &DatabaseTransaction| prices::update_price_list(txn, &rule).await;
        self.change_rule("priceList", update, |_| Some(id)).await
    }

    pub async fn delete_price_list(&self, id: i64) -> Result<bool> {
        let delete = async |txn: &DatabaseTransaction| prices::delete_price_list(txn, id).await;
        self.change_rule("priceList", delete, |deleted| deleted.then_some(id))
            .await
    }

    /// Runs `write`, a change of a rule that prices many variants (`rule`: `priceList`,
    /// `promotion`, `taxRate`, `taxMode`), in one transaction with its `pricing.rules_changed`
    /// event, for the id `changed` names (none: nothing changed, nothing to publish).
    async fn change_rule<T, Id: ToString>(
        &self,
        rule: &str,
        write: impl AsyncFnOnce(&DatabaseTransaction) -> std::result::Result<T, StoreError>,
        changed: impl FnOnce(&T) -> Option<Id>,
    ) -> Result<T> {
        let txn = begin_write(&self.db).await.map_err(StoreError::from)?;
        let value = write(&txn).await?;
        if let Some(id) = changed(&value) {
            append_events(&txn, &[RulesChanged::new(rule, id)]).await?;
        }
        txn.commit().await.map_err(StoreError::from)?;
        Ok(value)
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
        let set = async |txn: &DatabaseTransaction| {
            prices::set_tiers(txn, list.id, &variant_id, &tiers).await
        };
        self.change_rule("priceList", set, |_| Some(list.id))
            .await?;
        Ok(tiers)
    }

    pub async fn create_promotion(&self, input: &PromotionInput) -> Result<Promotion> {
        let promotion = parse_promotion(input)?;
        let create =
            async |txn: &DatabaseTransaction| promotions::create(txn, &promotion, Utc::now()).await;
        self.change_rule("promotion", create, |created| Some(created.id))
            .await
    }

    pub async fn update_promotion(&self, id: i64, input: &PromotionInput) -> Result<Promotion> {
        let mut promotion = parse_promotion(input)?;
        promotion.id = id;
        let update = async |txn: &DatabaseTransaction| promotions::update(txn, &promotion).await;
        self.change_rule("promotion", update, |_| Some(id)).await
    }

    pub async fn delete_promotion(&self, id: i64) -> Result<bool> {
        let delete = async |txn: &DatabaseTransaction| promotions::delete(txn, id).await;
        self.change_rule("promotion", delete, |deleted| deleted.then_some(id))
            .await
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
        let save =
            async |txn: &DatabaseTransaction| taxes::upsert_rate(txn, &rate, Utc::now()).await;
        self.change_rule("taxRate", save, |saved| Some(saved.id))
            .await
    }

    pub async fn delete_tax_rate(&self, id: i64) -> Result<bool> {
        let delete = async |txn: &DatabaseTransaction| taxes::delete_rate(txn, id).await;
        self.change_rule("taxRate", delete, |deleted| deleted.then_some(id))
            .await
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
        let set = async |txn: &DatabaseTransaction| {
            prices::set_tax_mode(txn, currency, mode, Utc::now()).await
        };
        self.change_rule("taxMode", set, |_| Some(currency.code()))
            .await?;
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
        let data = match &self.cache {
            Some(cache) => self.cached_price_data(cache, variant_ids, currency).await?,
            None => prices::price_data(&self.db, variant_ids, currency).await?,
        };
        let (live, promotions_change) = promotions::live(&self.db, now).await?;
        let promotions = live
            .into_iter()
            .filter(|p| p.kind == PromotionKind::Catalogue)
            .collect();
        let lists_change = data
            .values()
            .flat_map(|d| &d.offers)
            .filter_map(|offer| offer.list.window.next_change(now))
            .min();
        let tax_mode = prices::tax_mode(&self.db, currency).await?;
        Ok(PriceBatch {
            data,
            promotions,
            tax_mode,
            now,
            changes_at: lists_change.into_iter().chain(promotions_change).min(),
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
            promotions: promotions::live(&self.db, now).await?.0,
            shipping,
            tax_rates: taxes::rates(&self.db, Some(&destination.country)).await?,
            destination,
        };
        Ok(domain::price_cart(&input)?)
    }
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

/// Writes events in the transaction of the change they describe.
async fn append_events<E: Event>(txn: &DatabaseTransaction, changes: &[E]) -> Result<()> {
    let events = changes
        .iter()
        .map(NewEvent::of)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(StoreError::from)?;
    Outbox::append_all(txn, events)
        .await
        .map_err(StoreError::from)?;
    Ok(())
}
