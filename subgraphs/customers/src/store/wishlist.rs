//! Wishlists: one per customer, products by their catalog global id.

use chrono::Utc;
use commerce_kernel::pagination::{Page, PageRequest};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
};

use super::entities::wishlist_item;
use super::{keyset, nothing_inserted};
use crate::domain::{CustomerError, WishlistItem};

impl From<wishlist_item::Model> for WishlistItem {
    fn from(row: wishlist_item::Model) -> Self {
        Self {
            id: row.id,
            customer_id: row.customer_id,
            product_id: row.product_id,
            added_at: row.added_at,
        }
    }
}

/// Adds the product; adding it again keeps the first entry.
pub async fn add_to_wishlist(
    db: &impl ConnectionTrait,
    customer_id: i64,
    product_id: &str,
) -> Result<(), DbErr> {
    let row = wishlist_item::ActiveModel {
        customer_id: Set(customer_id),
        product_id: Set(product_id.to_owned()),
        added_at: Set(Utc::now()),
        ..Default::default()
    };
    let result = wishlist_item::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                wishlist_item::Column::CustomerId,
                wishlist_item::Column::ProductId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await;
    nothing_inserted(result).map(drop)
}

pub async fn remove_from_wishlist(
    db: &impl ConnectionTrait,
    customer_id: i64,
    product_id: &str,
) -> Result<bool, DbErr> {
    let result = wishlist_item::Entity::delete_many()
        .filter(wishlist_item::Column::CustomerId.eq(customer_id))
        .filter(wishlist_item::Column::ProductId.eq(product_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// A page of the customer's wishlist, most recently added first.
pub async fn wishlist_page(
    db: &impl ConnectionTrait,
    customer_id: i64,
    request: &PageRequest,
) -> Result<Page<WishlistItem>, CustomerError> {
    let query =
        wishlist_item::Entity::find().filter(wishlist_item::Column::CustomerId.eq(customer_id));
    let rows = keyset(query, wishlist_item::Column::Id, request, true)?
        .all(db)
        .await?;
    Ok(Page::from_rows(
        rows.into_iter().map(WishlistItem::from).collect(),
        request,
    ))
}

pub async fn count_wishlist(db: &impl ConnectionTrait, customer_id: i64) -> Result<u64, DbErr> {
    wishlist_item::Entity::find()
        .filter(wishlist_item::Column::CustomerId.eq(customer_id))
        .count(db)
        .await
}
