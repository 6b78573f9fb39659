//! Tax categories and tax rates.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};

use super::entities::{tax_category, tax_rate};
use super::{StoreError, to_millis};
use crate::domain::{BasisPoints, CountryCode, TaxCategoryCode, TaxRate, ValidationError};

pub async fn upsert_category(
    db: &impl ConnectionTrait,
    code: &TaxCategoryCode,
    name: &str,
) -> Result<(), StoreError> {
    let row = tax_category::ActiveModel {
        code: Set(code.as_str().to_owned()),
        name: Set(name.to_owned()),
    };
    tax_category::Entity::insert(row)
        .on_conflict(
            OnConflict::column(tax_category::Column::Code)
                .update_column(tax_category::Column::Name)
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

pub async fn categories(
    db: &impl ConnectionTrait,
) -> Result<Vec<(TaxCategoryCode, String)>, StoreError> {
    Ok(tax_category::Entity::find()
        .order_by_asc(tax_category::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(|r| (TaxCategoryCode::from_stored(r.code), r.name))
        .collect())
}

pub async fn category_exists(
    db: &impl ConnectionTrait,
    code: &TaxCategoryCode,
) -> Result<bool, StoreError> {
    Ok(tax_category::Entity::find_by_id(code.as_str().to_owned())
        .one(db)
        .await?
        .is_some())
}

fn from_row(row: tax_rate::Model) -> Result<TaxRate, StoreError> {
    Ok(TaxRate {
        id: row.id,
        name: row.name,
        country: CountryCode::from_stored(row.country),
        region: Some(row.region).filter(|r| !r.is_empty()),
        category: TaxCategoryCode::from_stored(row.category),
        rate: BasisPoints::from_basis_points("rate", i64::from(row.rate_basis_points))
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
}

/// Creates or replaces the rate for a country, region and category.
pub async fn upsert_rate(
    db: &impl ConnectionTrait,
    rate: &TaxRate,
    now: DateTime<Utc>,
) -> Result<TaxRate, StoreError> {
    if !category_exists(db, &rate.category).await? {
        return Err(ValidationError::new(
            "category",
            format!("there is no tax category {:?}", rate.category.as_str()),
        )
        .into());
    }
    let region = rate.region.clone().unwrap_or_default();
    let row = tax_rate::ActiveModel {
        id: Default::default(),
        name: Set(rate.name.clone()),
        country: Set(rate.country.as_str().to_owned()),
        region: Set(region.clone()),
        category: Set(rate.category.as_str().to_owned()),
        rate_basis_points: Set(i32::try_from(rate.rate.get()).unwrap_or(i32::MAX)),
        created_at: Set(to_millis(now)),
    };
    tax_rate::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                tax_rate::Column::Country,
                tax_rate::Column::Region,
                tax_rate::Column::Category,
            ])
            .update_columns([tax_rate::Column::Name, tax_rate::Column::RateBasisPoints])
            .to_owned(),
        )
        .exec(db)
        .await?;
    let stored = tax_rate::Entity::find()
        .filter(tax_rate::Column::Country.eq(rate.country.as_str()))
        .filter(tax_rate::Column::Region.eq(region))
        .filter(tax_rate::Column::Category.eq(rate.category.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound("tax rate".into()))?;
    from_row(stored)
}

pub async fn delete_rate(db: &impl ConnectionTrait, id: i64) -> Result<bool, StoreError> {
    Ok(tax_rate::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Rates of one country (every region), or of every country.
pub async fn rates(
    db: &impl ConnectionTrait,
    country: Option<&CountryCode>,
) -> Result<Vec<TaxRate>, StoreError> {
    let mut query = tax_rate::Entity::find()
        .order_by_asc(tax_rate::Column::Country)
        .order_by_asc(tax_rate::Column::Region)
        .order_by_asc(tax_rate::Column::Category);
    if let Some(country) = country {
        query = query.filter(tax_rate::Column::Country.eq(country.as_str()));
    }
    query.all(db).await?.into_iter().map(from_row).collect()
}
