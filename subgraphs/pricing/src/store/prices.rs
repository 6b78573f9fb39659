//! Base prices per variant and currency, the variant facts pricing keeps (product, tax
//! category), per-currency tax modes, and price lists with their tiers.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use commerce_kernel::Currency;
use commerce_kernel::db::begin_write;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

use super::entities::{
    currency_setting, price_list, price_list_tier, priced_variant, variant_price,
};
use super::{StoreError, currency_from, money, to_millis, window_from};
use crate::domain::{
    BasePrice, CustomerGroup, PriceData, PriceListOffer, PriceListRule, TaxCategoryCode, TaxMode,
    Tier, Tiers, VariantId, VariantPricing,
};

/// Saves a variant's facts and upserts the given prices (other currencies stay).
pub async fn save_variant_pricing(
    db: &impl TransactionTrait,
    pricing: &VariantPricing,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let txn = begin_write(db).await?;
    let variant = priced_variant::ActiveModel {
        variant_id: Set(pricing.variant_id.as_str().to_owned()),
        product_id: Set(pricing.product_id.clone()),
        tax_category: Set(pricing.tax_category.as_str().to_owned()),
        updated_at: Set(to_millis(now)),
    };
    priced_variant::Entity::insert(variant)
        .on_conflict(
            OnConflict::column(priced_variant::Column::VariantId)
                .update_columns([
                    priced_variant::Column::ProductId,
                    priced_variant::Column::TaxCategory,
                    priced_variant::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
    if !pricing.prices.is_empty() {
        let rows = pricing.prices.iter().map(|p| variant_price::ActiveModel {
            variant_id: Set(pricing.variant_id.as_str().to_owned()),
            currency: Set(p.amount.currency.code().to_owned()),
            amount: Set(p.amount.amount),
            compare_at: Set(p.compare_at.map(|c| c.amount)),
            updated_at: Set(to_millis(now)),
        });
        variant_price::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    variant_price::Column::VariantId,
                    variant_price::Column::Currency,
                ])
                .update_columns([
                    variant_price::Column::Amount,
                    variant_price::Column::CompareAt,
                    variant_price::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Removes a variant's price in one currency; false when there was none.
pub async fn delete_price(
    db: &impl ConnectionTrait,
    variant_id: &VariantId,
    currency: Currency,
) -> Result<bool, StoreError> {
    let result = variant_price::Entity::delete_many()
        .filter(variant_price::Column::VariantId.eq(variant_id.as_str()))
        .filter(variant_price::Column::Currency.eq(currency.code()))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Facts and base prices of many variants: two statements.
pub async fn variant_pricings(
    db: &impl ConnectionTrait,
    variant_ids: &[String],
) -> Result<HashMap<String, VariantPricing>, StoreError> {
    let variants = priced_variant::Entity::find()
        .filter(priced_variant::Column::VariantId.is_in(variant_ids.iter().cloned()))
        .all(db)
        .await?;
    let prices = variant_price::Entity::find()
        .filter(variant_price::Column::VariantId.is_in(variant_ids.iter().cloned()))
        .order_by_asc(variant_price::Column::Currency)
        .all(db)
        .await?;
    let mut by_id: HashMap<String, VariantPricing> = variants
        .into_iter()
        .map(|v| {
            let pricing = VariantPricing {
                variant_id: VariantId::from_stored(v.variant_id.clone()),
                product_id: v.product_id,
                tax_category: TaxCategoryCode::from_stored(v.tax_category),
                prices: Vec::new(),
            };
            (v.variant_id, pricing)
        })
        .collect();
    for row in prices {
        let base = base_price(&row)?;
        let entry = by_id
            .entry(row.variant_id.clone())
            .or_insert_with(|| VariantPricing {
                variant_id: VariantId::from_stored(row.variant_id.clone()),
                product_id: None,
                tax_category: TaxCategoryCode::standard(),
                prices: Vec::new(),
            });
        entry.prices.push(base);
    }
    Ok(by_id)
}

fn base_price(row: &variant_price::Model) -> Result<BasePrice, StoreError> {
    let currency = currency_from(&row.currency)?;
    Ok(BasePrice {
        amount: money(row.amount, currency),
        compare_at: row.compare_at.map(|c| money(c, currency)),
    })
}

/// Everything needed to price many variants in one currency: four statements, whatever the
/// number of variants. Variants pricing knows nothing about get the default facts.
pub async fn price_data(
    db: &impl ConnectionTrait,
    variant_ids: &[String],
    currency: Currency,
) -> Result<HashMap<String, PriceData>, StoreError> {
    let prices = variant_price::Entity::find()
        .filter(variant_price::Column::VariantId.is_in(variant_ids.iter().cloned()))
        .filter(variant_price::Column::Currency.eq(currency.code()))
        .all(db)
        .await?;
    let mut bases = HashMap::with_capacity(prices.len());
    for row in prices {
        bases.insert(row.variant_id.clone(), base_price(&row)?);
    }
    price_data_with_bases(db, variant_ids, currency, bases).await
}

/// The base prices of many variants in every currency, one statement (what the service's
/// read-through cache holds per variant).
pub async fn base_prices(
    db: &impl ConnectionTrait,
    variant_ids: &[String],
) -> Result<HashMap<String, Vec<BasePrice>>, StoreError> {
    let rows = variant_price::Entity::find()
        .filter(variant_price::Column::VariantId.is_in(variant_ids.iter().cloned()))
        .order_by_asc(variant_price::Column::Currency)
        .all(db)
        .await?;
    let mut prices: HashMap<String, Vec<BasePrice>> = HashMap::new();
    for row in rows {
        let base = base_price(&row)?;
        prices.entry(row.variant_id).or_default().push(base);
    }
    Ok(prices)
}

/// [`price_data`] with the base prices in `currency` already known: three statements.
pub async fn price_data_with_bases(
    db: &impl ConnectionTrait,
    variant_ids: &[String],
    currency: Currency,
    mut bases: HashMap<String, BasePrice>,
) -> Result<HashMap<String, PriceData>, StoreError> {
    let ids = || variant_ids.iter().cloned();
    let variants = priced_variant::Entity::find()
        .filter(priced_variant::Column::VariantId.is_in(ids()))
        .all(db)
        .await?;
    let tiers = price_list_tier::Entity::find()
        .filter(price_list_tier::Column::VariantId.is_in(ids()))
        .order_by_asc(price_list_tier::Column::MinQuantity)
        .all(db)
        .await?;
    let mut list_ids: Vec<i64> = tiers.iter().map(|t| t.price_list_id).collect();
    list_ids.sort_unstable();
    list_ids.dedup();
    let lists = lists_by_id(db, &list_ids, currency).await?;

    let mut data: HashMap<String, PriceData> = variant_ids
        .iter()
        .map(|id| {
            let base = bases.remove(id);
            (
                id.clone(),
                PriceData {
                    base,
                    ..PriceData::default()
                },
            )
        })
        .collect();
    for v in variants {
        if let Some(entry) = data.get_mut(&v.variant_id) {
            entry.product_id = v.product_id;
            entry.tax_category = TaxCategoryCode::from_stored(v.tax_category);
        }
    }
    for (variant_id, offer) in group_offers(tiers, &lists)? {
        if let Some(entry) = data.get_mut(&variant_id) {
            entry.offers.push(offer);
        }
    }
    Ok(data)
}

async fn lists_by_id(
    db: &impl ConnectionTrait,
    ids: &[i64],
    currency: Currency,
) -> Result<HashMap<i64, Arc<PriceListRule>>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    price_list::Entity::find()
        .filter(price_list::Column::Id.is_in(ids.iter().copied()))
        .filter(price_list::Column::Currency.eq(currency.code()))
        .all(db)
        .await?
        .into_iter()
        .map(|row| Ok((row.id, Arc::new(list_rule(row)?))))
        .collect()
}

/// Groups tier rows (sorted by minimum quantity) into one offer per list and variant.
fn group_offers(
    tiers: Vec<price_list_tier::Model>,
    lists: &HashMap<i64, Arc<PriceListRule>>,
) -> Result<Vec<(String, PriceListOffer)>, StoreError> {
    let mut grouped: HashMap<(String, i64), Vec<Tier>> = HashMap::new();
    for row in tiers {
        let Some(list) = lists.get(&row.price_list_id) else {
            continue;
        };
        grouped
            .entry((row.variant_id.clone(), row.price_list_id))
            .or_default()
            .push(tier_from(&row, list.currency));
    }
    let mut offers: Vec<(String, PriceListOffer)> = grouped
        .into_iter()
        .filter_map(|((variant_id, list_id), tiers)| {
            let list = lists.get(&list_id)?.clone();
            Some((
                variant_id,
                PriceListOffer {
                    list,
                    tiers: Tiers::from_stored(tiers),
                },
            ))
        })
        .collect();
    offers.sort_by_key(|(variant_id, offer)| (variant_id.clone(), offer.list.id));
    Ok(offers)
}

fn tier_from(row: &price_list_tier::Model, currency: Currency) -> Tier {
    Tier {
        min_quantity: u32::try_from(row.min_quantity).unwrap_or(1),
        max_quantity: row.max_quantity.and_then(|m| u32::try_from(m).ok()),
        amount: money(row.amount, currency),
    }
}

fn list_rule(row: price_list::Model) -> Result<PriceListRule, StoreError> {
    Ok(PriceListRule {
        id: row.id,
        name: row.name,
        customer_group: row.customer_group.map(CustomerGroup::from_stored),
        currency: currency_from(&row.currency)?,
        window: window_from(row.starts_at, row.ends_at)?,
        priority: row.priority,
    })
}

/// How prices in `currency` are entered; exclusive unless staff said otherwise.
pub async fn tax_mode(
    db: &impl ConnectionTrait,
    currency: Currency,
) -> Result<TaxMode, StoreError> {
    let row = currency_setting::Entity::find_by_id(currency.code().to_owned())
        .one(db)
        .await?;
    Ok(match row {
        Some(r) if r.tax_inclusive => TaxMode::Inclusive,
        _ => TaxMode::Exclusive,
    })
}

pub async fn tax_modes(db: &impl ConnectionTrait) -> Result<Vec<(Currency, TaxMode)>, StoreError> {
    currency_setting::Entity::find()
        .order_by_asc(currency_setting::Column::Currency)
        .all(db)
        .await?
        .into_iter()
        .map(|r| {
            let mode = if r.tax_inclusive {
                TaxMode::Inclusive
            } else {
                TaxMode::Exclusive
            };
            Ok((currency_from(&r.currency)?, mode))
        })
        .collect()
}

pub async fn set_tax_mode(
    db: &impl ConnectionTrait,
    currency: Currency,
    mode: TaxMode,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = currency_setting::ActiveModel {
        currency: Set(currency.code().to_owned()),
        tax_inclusive: Set(mode == TaxMode::Inclusive),
        updated_at: Set(to_millis(now)),
    };
    currency_setting::Entity::insert(row)
        .on_conflict(
            OnConflict::column(currency_setting::Column::Currency)
                .update_columns([
                    currency_setting::Column::TaxInclusive,
                    currency_setting::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

pub async fn create_price_list(
    db: &impl ConnectionTrait,
    rule: &PriceListRule,
    now: DateTime<Utc>,
) -> Result<PriceListRule, StoreError> {
    let row = price_list::ActiveModel {
        id: Default::default(),
        name: Set(rule.name.clone()),
        customer_group: Set(rule.customer_group.as_ref().map(|g| g.as_str().to_owned())),
        currency: Set(rule.currency.code().to_owned()),
        starts_at: Set(rule.window.starts_at().map(to_millis)),
        ends_at: Set(rule.window.ends_at().map(to_millis)),
        priority: Set(rule.priority),
        created_at: Set(to_millis(now)),
    };
    let id = price_list::Entity::insert(row)
        .exec(db)
        .await?
        .last_insert_id;
    Ok(PriceListRule { id, ..rule.clone() })
}

/// Updates a list's header; the currency never changes because its tiers are in it.
pub async fn update_price_list(
    db: &impl ConnectionTrait,
    rule: &PriceListRule,
) -> Result<PriceListRule, StoreError> {
    let result = price_list::Entity::update_many()
        .col_expr(price_list::Column::Name, rule.name.clone().into())
        .col_expr(
            price_list::Column::CustomerGroup,
            rule.customer_group
                .as_ref()
                .map(|g| g.as_str().to_owned())
                .into(),
        )
        .col_expr(
            price_list::Column::StartsAt,
            rule.window.starts_at().map(to_millis).into(),
        )
        .col_expr(
            price_list::Column::EndsAt,
            rule.window.ends_at().map(to_millis).into(),
        )
        .col_expr(price_list::Column::Priority, rule.priority.into())
        .filter(price_list::Column::Id.eq(rule.id))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(StoreError::NotFound("price list".into()));
    }
    price_list(db, rule.id)
        .await?
        .ok_or_else(|| StoreError::NotFound("price list".into()))
}

pub async fn delete_price_list(db: &impl TransactionTrait, id: i64) -> Result<bool, StoreError> {
    let txn = begin_write(db).await?;
    price_list_tier::Entity::delete_many()
        .filter(price_list_tier::Column::PriceListId.eq(id))
        .exec(&txn)
        .await?;
    let deleted = price_list::Entity::delete_by_id(id)
        .exec(&txn)
        .await?
        .rows_affected
        > 0;
    txn.commit().await?;
    Ok(deleted)
}

pub async fn price_list(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<PriceListRule>, StoreError> {
    price_list::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(list_rule)
        .transpose()
}

/// Every price list, newest first (staff screens; lists are few).
pub async fn price_lists(db: &impl ConnectionTrait) -> Result<Vec<PriceListRule>, StoreError> {
    price_list::Entity::find()
        .order_by_desc(price_list::Column::Id)
        .limit(500)
        .all(db)
        .await?
        .into_iter()
        .map(list_rule)
        .collect()
}

/// Replaces a variant's tiers in a list (an empty set removes the variant from the list).
pub async fn set_tiers(
    db: &impl TransactionTrait,
    list_id: i64,
    variant_id: &VariantId,
    tiers: &[Tier],
) -> Result<(), StoreError> {
    let txn = begin_write(db).await?;
    price_list_tier::Entity::delete_many()
        .filter(price_list_tier::Column::PriceListId.eq(list_id))
        .filter(price_list_tier::Column::VariantId.eq(variant_id.as_str()))
        .exec(&txn)
        .await?;
    if !tiers.is_empty() {
        let rows = tiers.iter().map(|t| price_list_tier::ActiveModel {
            id: Default::default(),
            price_list_id: Set(list_id),
            variant_id: Set(variant_id.as_str().to_owned()),
            min_quantity: Set(i32::try_from(t.min_quantity).unwrap_or(i32::MAX)),
            max_quantity: Set(t.max_quantity.map(|m| i32::try_from(m).unwrap_or(i32::MAX))),
            amount: Set(t.amount.amount),
        });
        price_list_tier::Entity::insert_many(rows)
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The first `limit` variants of a list (by variant id) with their tiers, optionally only
/// `variant_ids`: one statement.
pub async fn list_entries(
    db: &impl ConnectionTrait,
    list: &PriceListRule,
    variant_ids: Option<&[String]>,
    limit: u64,
) -> Result<Vec<(VariantId, Tiers)>, StoreError> {
    let mut query = price_list_tier::Entity::find()
        .filter(price_list_tier::Column::PriceListId.eq(list.id))
        .order_by_asc(price_list_tier::Column::VariantId)
        .order_by_asc(price_list_tier::Column::MinQuantity);
    if let Some(ids) = variant_ids {
        query = query.filter(price_list_tier::Column::VariantId.is_in(ids.iter().cloned()));
    }
    let rows = query.all(db).await?;
    let mut entries: Vec<(VariantId, Vec<Tier>)> = Vec::new();
    for row in rows {
        let tier = tier_from(&row, list.currency);
        let full = entries.len() as u64 >= limit;
        match entries.last_mut() {
            Some((id, tiers)) if id.as_str() == row.variant_id => tiers.push(tier),
            _ if full => break,
            _ => entries.push((VariantId::from_stored(row.variant_id), vec![tier])),
        }
    }
    Ok(entries
        .into_iter()
        .map(|(id, tiers)| (id, Tiers::from_stored(tiers)))
        .collect())
}

/// Rows per multi-row INSERT: well under SQLite's bound-parameter limit.
const CHUNK: usize = 1000;

/// Inserts many variants with their prices in one transaction, in multi-row statements (demo
/// data and imports; existing rows are left alone).
pub async fn insert_many(
    db: &impl TransactionTrait,
    variants: &[VariantPricing],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let txn = begin_write(db).await?;
    for chunk in variants.chunks(CHUNK) {
        let rows = chunk.iter().map(|v| priced_variant::ActiveModel {
            variant_id: Set(v.variant_id.as_str().to_owned()),
            product_id: Set(v.product_id.clone()),
            tax_category: Set(v.tax_category.as_str().to_owned()),
            updated_at: Set(to_millis(now)),
        });
        priced_variant::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(priced_variant::Column::VariantId)
                    .do_nothing()
                    .to_owned(),
            )
            .do_nothing()
            .exec(&txn)
            .await?;
    }
    let prices: Vec<variant_price::ActiveModel> = variants
        .iter()
        .flat_map(|v| {
            v.prices.iter().map(|p| variant_price::ActiveModel {
                variant_id: Set(v.variant_id.as_str().to_owned()),
                currency: Set(p.amount.currency.code().to_owned()),
                amount: Set(p.amount.amount),
                compare_at: Set(p.compare_at.map(|c| c.amount)),
                updated_at: Set(to_millis(now)),
            })
        })
        .collect();
    for chunk in prices.chunks(CHUNK) {
        variant_price::Entity::insert_many(chunk.iter().cloned())
            .on_conflict(
                OnConflict::columns([
                    variant_price::Column::VariantId,
                    variant_price::Column::Currency,
                ])
                .do_nothing()
                .to_owned(),
            )
            .do_nothing()
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Inserts the tiers of many variants into one list, in multi-row statements.
pub async fn insert_many_tiers(
    db: &impl TransactionTrait,
    list_id: i64,
    entries: &[(VariantId, Tiers)],
) -> Result<(), StoreError> {
    let rows: Vec<price_list_tier::ActiveModel> = entries
        .iter()
        .flat_map(|(variant_id, tiers)| {
            tiers
                .as_slice()
                .iter()
                .map(|t| price_list_tier::ActiveModel {
                    id: Default::default(),
                    price_list_id: Set(list_id),
                    variant_id: Set(variant_id.as_str().to_owned()),
                    min_quantity: Set(i32::try_from(t.min_quantity).unwrap_or(i32::MAX)),
                    max_quantity: Set(t.max_quantity.map(|m| i32::try_from(m).unwrap_or(i32::MAX))),
                    amount: Set(t.amount.amount),
                })
        })
        .collect();
    let txn = begin_write(db).await?;
    for chunk in rows.chunks(CHUNK) {
        price_list_tier::Entity::insert_many(chunk.iter().cloned())
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}
