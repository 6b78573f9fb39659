//! Collections (hand-picked sets of products) and their memberships.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Value,
};

use super::bulk::insert_rows;
use super::entities::collection;
use super::sql::Sql;
use crate::domain::{Collection, NewCollection, Slug, Text};

impl From<collection::Model> for Collection {
    fn from(row: collection::Model) -> Self {
        Self {
            id: row.id,
            slug: row.slug,
            name: row.name,
            description: row.description,
        }
    }
}

/// Up to `limit` collections in id order, after (or before, when `backward`) `cursor_id`.
pub async fn list_collections(
    db: &impl ConnectionTrait,
    cursor_id: Option<i64>,
    backward: bool,
    limit: u64,
) -> Result<Vec<Collection>, DbErr> {
    let mut query = collection::Entity::find();
    query = match (cursor_id, backward) {
        (Some(id), false) => query.filter(collection::Column::Id.gt(id)),
        (Some(id), true) => query.filter(collection::Column::Id.lt(id)),
        (None, _) => query,
    };
    query = if backward {
        query.order_by_desc(collection::Column::Id)
    } else {
        query.order_by_asc(collection::Column::Id)
    };
    let rows = query.limit(limit).all(db).await?;
    Ok(rows.into_iter().map(Collection::from).collect())
}

pub async fn find_collections(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<Collection>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = collection::Entity::find()
        .filter(collection::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Collection::from).collect())
}

pub async fn find_collection_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<Collection>, DbErr> {
    let row = collection::Entity::find()
        .filter(collection::Column::Slug.eq(slug))
        .one(db)
        .await?;
    Ok(row.map(Collection::from))
}

pub async fn insert_collection(
    db: &impl ConnectionTrait,
    new: &NewCollection,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let row = collection::ActiveModel {
        id: NotSet,
        slug: Set(new.slug.as_str().to_owned()),
        name: Set(new.name.as_str().to_owned()),
        description: Set(new.description.as_str().to_owned()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// False when the collection is unknown.
pub async fn update_collection(
    db: &impl ConnectionTrait,
    id: i64,
    slug: Option<&Slug>,
    name: Option<&Text>,
    description: Option<&Text>,
) -> Result<bool, DbErr> {
    let Some(current) = collection::Entity::find_by_id(id).one(db).await? else {
        return Ok(false);
    };
    let mut row: collection::ActiveModel = current.into();
    if let Some(slug) = slug {
        row.slug = Set(slug.as_str().to_owned());
    }
    if let Some(name) = name {
        row.name = Set(name.as_str().to_owned());
    }
    if let Some(description) = description {
        row.description = Set(description.as_str().to_owned());
    }
    row.update(db).await?;
    Ok(true)
}

pub async fn delete_collection(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let result = collection::Entity::delete_by_id(id).exec(db).await?;
    Ok(result.rows_affected > 0)
}

/// Adds products to a collection; products already in it stay as they are.
pub async fn add_to_collection(
    db: &impl ConnectionTrait,
    collection_id: i64,
    product_ids: &[i64],
) -> Result<(), DbErr> {
    if product_ids.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("INSERT INTO product_collections (collection_id, product_id) VALUES ");
    for (index, &product_id) in product_ids.iter().enumerate() {
        if index > 0 {
            sql.push(", ");
        }
        sql.bind_list([collection_id, product_id]);
    }
    sql.push(" ON CONFLICT DO NOTHING");
    db.execute(sql.build()).await.map(drop)
}

pub async fn remove_from_collection(
    db: &impl ConnectionTrait,
    collection_id: i64,
    product_ids: &[i64],
) -> Result<(), DbErr> {
    if product_ids.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("DELETE FROM product_collections WHERE collection_id = ")
        .bind(collection_id)
        .push(" AND product_id IN ")
        .bind_list(product_ids.iter().copied());
    db.execute(sql.build()).await.map(drop)
}

/// Replaces the collections a product belongs to.
pub(super) async fn set_product_collections(
    db: &impl ConnectionTrait,
    product_id: i64,
    collection_ids: &[i64],
) -> Result<(), DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("DELETE FROM product_collections WHERE product_id = ")
        .bind(product_id);
    db.execute(sql.build()).await?;
    let rows = collection_ids
        .iter()
        .map(|&collection_id| vec![Value::from(collection_id), product_id.into()]);
    insert_rows(
        db,
        "product_collections",
        &["collection_id", "product_id"],
        rows.collect(),
    )
    .await
}

/// (product id, collection) pairs for all these products, in one query.
pub async fn collections_of_products(
    db: &impl ConnectionTrait,
    product_ids: &[i64],
) -> Result<Vec<(i64, Collection)>, DbErr> {
    if product_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT m.product_id, c.id, c.slug, c.name, c.description FROM product_collections m \
         JOIN collections c ON c.id = m.collection_id WHERE m.product_id IN ",
    )
    .bind_list(product_ids.iter().copied())
    .push(" ORDER BY m.product_id, c.id");
    let rows = db.query_all(sql.build()).await?;
    rows.into_iter()
        .map(|row| {
            let collection = Collection {
                id: row.try_get("", "id")?,
                slug: row.try_get("", "slug")?,
                name: row.try_get("", "name")?,
                description: row.try_get("", "description")?,
            };
            Ok((row.try_get("", "product_id")?, collection))
        })
        .collect()
}
