//! Customer accounts.

use chrono::Utc;
use commerce_kernel::pagination::{Page, PageRequest};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
};

use super::entities::customer;
use super::{keyset, nothing_inserted};
use crate::domain::{AddressKind, Credentials, Customer, CustomerError};

pub struct NewCustomer<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
}

impl From<customer::Model> for Customer {
    fn from(row: customer::Model) -> Self {
        Self {
            id: row.id,
            email: row.email,
            first_name: row.first_name,
            last_name: row.last_name,
            phone: row.phone,
            default_shipping_address_id: row.default_shipping_address_id,
            default_billing_address_id: row.default_billing_address_id,
            created_at: row.created_at,
        }
    }
}

/// Inserts a customer; `None` when the email is already registered.
pub async fn insert_customer(
    db: &impl ConnectionTrait,
    new: NewCustomer<'_>,
) -> Result<Option<i64>, DbErr> {
    let now = Utc::now();
    let row = customer::ActiveModel {
        email: Set(new.email.to_owned()),
        password_hash: Set(new.password_hash.to_owned()),
        first_name: Set(new.first_name.to_owned()),
        last_name: Set(new.last_name.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let result = customer::Entity::insert(row)
        .on_conflict(
            OnConflict::column(customer::Column::Email)
                .do_nothing()
                .to_owned(),
        )
        .exec(db)
        .await;
    Ok(nothing_inserted(result)?.map(|inserted| inserted.last_insert_id))
}

pub async fn customer_credentials(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<Credentials>, DbErr> {
    let row = customer::Entity::find()
        .filter(customer::Column::Email.eq(email))
        .one(db)
        .await?;
    Ok(row.map(|row| Credentials {
        id: row.id,
        password_hash: row.password_hash,
    }))
}

pub async fn find_customer(db: &impl ConnectionTrait, id: i64) -> Result<Option<Customer>, DbErr> {
    Ok(customer::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(Into::into))
}

pub async fn find_customer_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<Customer>, DbErr> {
    let row = customer::Entity::find()
        .filter(customer::Column::Email.eq(email))
        .one(db)
        .await?;
    Ok(row.map(Into::into))
}

/// The customers among `ids`, in no particular order (one query for any number of ids).
pub async fn customers_by_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<Customer>, DbErr> {
    let rows = customer::Entity::find()
        .filter(customer::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub struct ProfileUpdate<'a> {
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    /// `Some(None)` clears the phone number.
    pub phone: Option<Option<&'a str>>,
}

pub async fn update_profile(
    db: &impl ConnectionTrait,
    id: i64,
    update: ProfileUpdate<'_>,
) -> Result<(), DbErr> {
    let mut row = customer::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    if let Some(first_name) = update.first_name {
        row.first_name = Set(first_name.to_owned());
    }
    if let Some(last_name) = update.last_name {
        row.last_name = Set(last_name.to_owned());
    }
    if let Some(phone) = update.phone {
        row.phone = Set(phone.map(str::to_owned));
    }
    customer::Entity::update(row).exec(db).await.map(drop)
}

pub async fn set_password_hash(
    db: &impl ConnectionTrait,
    id: i64,
    password_hash: &str,
) -> Result<(), DbErr> {
    customer::Entity::update_many()
        .col_expr(customer::Column::PasswordHash, Expr::value(password_hash))
        .col_expr(customer::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(customer::Column::Id.eq(id))
        .exec(db)
        .await
        .map(drop)
}

fn default_column(kind: AddressKind) -> customer::Column {
    match kind {
        AddressKind::Shipping => customer::Column::DefaultShippingAddressId,
        AddressKind::Billing => customer::Column::DefaultBillingAddressId,
    }
}

pub async fn set_default_address(
    db: &impl ConnectionTrait,
    customer_id: i64,
    kind: AddressKind,
    address_id: i64,
) -> Result<(), DbErr> {
    customer::Entity::update_many()
        .col_expr(default_column(kind), Expr::value(address_id))
        .filter(customer::Column::Id.eq(customer_id))
        .exec(db)
        .await
        .map(drop)
}

/// Clears whichever defaults point at `address_id`, before the address goes.
pub async fn clear_defaults_for(
    db: &impl ConnectionTrait,
    customer_id: i64,
    address_id: i64,
) -> Result<(), DbErr> {
    for kind in [AddressKind::Shipping, AddressKind::Billing] {
        let column = default_column(kind);
        customer::Entity::update_many()
            .col_expr(column, Expr::value(Option::<i64>::None))
            .filter(customer::Column::Id.eq(customer_id))
            .filter(column.eq(address_id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// A page of customers by id (oldest first).
pub async fn customer_page(
    db: &impl ConnectionTrait,
    request: &PageRequest,
) -> Result<Page<Customer>, CustomerError> {
    let query = keyset(
        customer::Entity::find(),
        customer::Column::Id,
        request,
        false,
    )?;
    let rows = query.all(db).await?;
    Ok(Page::from_rows(
        rows.into_iter().map(Customer::from).collect(),
        request,
    ))
}

pub async fn count_customers(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    customer::Entity::find().count(db).await
}
