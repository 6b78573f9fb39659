//! The address book.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use super::entities::address;
use crate::domain::{Address, AddressInput};

impl From<address::Model> for Address {
    fn from(row: address::Model) -> Self {
        Self {
            id: row.id,
            customer_id: row.customer_id,
            fields: AddressInput {
                first_name: row.first_name,
                last_name: row.last_name,
                company: row.company,
                line1: row.line1,
                line2: row.line2,
                city: row.city,
                region: row.region,
                postal_code: row.postal_code,
                country_code: row.country_code,
                phone: row.phone,
            },
        }
    }
}

fn fields(input: &AddressInput) -> address::ActiveModel {
    address::ActiveModel {
        first_name: Set(input.first_name.clone()),
        last_name: Set(input.last_name.clone()),
        company: Set(input.company.clone()),
        line1: Set(input.line1.clone()),
        line2: Set(input.line2.clone()),
        city: Set(input.city.clone()),
        region: Set(input.region.clone()),
        postal_code: Set(input.postal_code.clone()),
        country_code: Set(input.country_code.clone()),
        phone: Set(input.phone.clone()),
        ..Default::default()
    }
}

pub async fn insert_address(
    db: &impl ConnectionTrait,
    customer_id: i64,
    input: &AddressInput,
) -> Result<Address, DbErr> {
    let row = address::ActiveModel {
        customer_id: Set(customer_id),
        created_at: Set(Utc::now()),
        ..fields(input)
    };
    let id = address::Entity::insert(row).exec(db).await?.last_insert_id;
    Ok(Address {
        id,
        customer_id,
        fields: input.clone(),
    })
}

/// Replaces the fields of the customer's address; `false` when they have no such address.
pub async fn update_address(
    db: &impl ConnectionTrait,
    customer_id: i64,
    id: i64,
    input: &AddressInput,
) -> Result<bool, DbErr> {
    let result = address::Entity::update_many()
        .set(fields(input))
        .filter(address::Column::Id.eq(id))
        .filter(address::Column::CustomerId.eq(customer_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn delete_address(
    db: &impl ConnectionTrait,
    customer_id: i64,
    id: i64,
) -> Result<bool, DbErr> {
    let result = address::Entity::delete_many()
        .filter(address::Column::Id.eq(id))
        .filter(address::Column::CustomerId.eq(customer_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn find_address(
    db: &impl ConnectionTrait,
    customer_id: i64,
    id: i64,
) -> Result<Option<Address>, DbErr> {
    let row = address::Entity::find_by_id(id)
        .filter(address::Column::CustomerId.eq(customer_id))
        .one(db)
        .await?;
    Ok(row.map(Into::into))
}

/// The address books of `customer_ids`, each in creation order, in one query.
pub async fn addresses_of(
    db: &impl ConnectionTrait,
    customer_ids: &[i64],
) -> Result<HashMap<i64, Vec<Address>>, DbErr> {
    let rows = address::Entity::find()
        .filter(address::Column::CustomerId.is_in(customer_ids.iter().copied()))
        .order_by_asc(address::Column::CustomerId)
        .order_by_asc(address::Column::Id)
        .all(db)
        .await?;
    let mut books: HashMap<i64, Vec<Address>> = HashMap::new();
    for row in rows {
        books.entry(row.customer_id).or_default().push(row.into());
    }
    Ok(books)
}
