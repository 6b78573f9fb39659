//! Multi-row inserts, in chunks that stay under both backends' bind-parameter limits, and the
//! bulk load behind the demo seed.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};

use super::products::VariantLists;
use super::sql::Sql;
use super::to_json;
use crate::domain::{Attribute, Category, Collection, Product, Variant};

/// SQLite allows 32,766 bound values per statement, PostgreSQL 65,535.
const MAX_BOUND_VALUES: usize = 30_000;

/// Inserts `rows` (each with one value per column) with as few statements as the limits allow.
pub(super) async fn insert_rows(
    db: &impl ConnectionTrait,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), DbErr> {
    let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut sql = Sql::new(db.get_database_backend());
        sql.push(&head);
        let mut first = true;
        while sql.bound_values() + columns.len() <= MAX_BOUND_VALUES {
            let Some(row) = rows.next() else { break };
            if !first {
                sql.push(", ");
            }
            first = false;
            sql.bind_list(row);
        }
        db.execute(sql.build()).await?;
    }
    Ok(())
}

/// A whole catalog with its ids chosen by the caller, for the demo seed.
pub struct SeedCatalog {
    pub categories: Vec<Category>,
    pub collections: Vec<Collection>,
    pub products: Vec<Product>,
    pub variants: Vec<Variant>,
    /// (collection id, product id)
    pub memberships: Vec<(i64, i64)>,
    pub now: DateTime<Utc>,
}

/// Loads `catalog` (call it inside a transaction); parents come before their children.
pub async fn insert_seed(db: &impl ConnectionTrait, catalog: &SeedCatalog) -> Result<(), DbErr> {
    let categories = catalog.categories.iter().map(|c| {
        vec![
            c.id.into(),
            c.parent_id.into(),
            c.slug.clone().into(),
            c.name.clone().into(),
            c.path.as_str().into(),
            c.position.into(),
        ]
    });
    let columns = ["id", "parent_id", "slug", "name", "path", "position"];
    insert_rows(db, "categories", &columns, categories.collect()).await?;
    let collections = catalog.collections.iter().map(|c| {
        vec![
            c.id.into(),
            c.slug.clone().into(),
            c.name.clone().into(),
            c.description.clone().into(),
            catalog.now.into(),
        ]
    });
    let columns = ["id", "slug", "name", "description", "created_at"];
    insert_rows(db, "collections", &columns, collections.collect()).await?;
    insert_seed_products(db, &catalog.products, &catalog.variants).await?;
    insert_seed_variants(db, &catalog.variants, catalog.now).await?;
    let memberships = catalog
        .memberships
        .iter()
        .map(|&(collection, product)| vec![collection.into(), product.into()]);
    let columns = ["collection_id", "product_id"];
    insert_rows(db, "product_collections", &columns, memberships.collect()).await?;
    reset_id_sequences(db).await
}

async fn insert_seed_products(
    db: &impl ConnectionTrait,
    products: &[Product],
    variants: &[Variant],
) -> Result<(), DbErr> {
    let mut lists: HashMap<i64, Vec<&Variant>> = HashMap::new();
    for variant in variants {
        lists.entry(variant.product_id).or_default().push(variant);
    }
    let rows = products.iter().map(|p| {
        let list = lists.get(&p.id).map_or(&[][..], Vec::as_slice);
        let lists = VariantLists::of(list.iter().copied());
        vec![
            p.id.into(),
            p.slug.clone().into(),
            p.name.clone().into(),
            p.description.clone().into(),
            p.status.as_str().into(),
            p.category_id.into(),
            to_json(&p.attributes).into(),
            to_json(&p.image_urls).into(),
            p.created_at.into(),
            p.updated_at.into(),
            lists.variants.into(),
            lists.options.into(),
        ]
    });
    let columns = [
        "id",
        "slug",
        "name",
        "description",
        "status",
        "category_id",
        "attributes",
        "image_urls",
        "created_at",
        "updated_at",
        "variants",
        "variant_options",
    ];
    insert_rows(db, "products", &columns, rows.collect()).await?;
    let attributes = products.iter().flat_map(|p| {
        p.attributes.iter().map(|Attribute { name, value }| {
            vec![p.id.into(), name.as_str().into(), value.as_str().into()]
        })
    });
    insert_rows(
        db,
        "product_attributes",
        &["product_id", "name", "value"],
        attributes.collect(),
    )
    .await
}

async fn insert_seed_variants(
    db: &impl ConnectionTrait,
    variants: &[Variant],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let rows = variants.iter().map(|v| {
        vec![
            v.id.into(),
            v.product_id.into(),
            v.sku.as_str().into(),
            v.name.as_str().into(),
            to_json(&v.options).into(),
            v.position.into(),
            v.weight_grams.into(),
            now.into(),
        ]
    });
    let columns = [
        "id",
        "product_id",
        "sku",
        "name",
        "options",
        "position",
        "weight_grams",
        "created_at",
    ];
    insert_rows(db, "product_variants", &columns, rows.collect()).await
}

/// Explicit ids bypass PostgreSQL's identity sequences; move them past the loaded rows.
/// (SQLite's AUTOINCREMENT already tracks the largest id.)
async fn reset_id_sequences(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for table in ["categories", "collections", "products", "product_variants"] {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
             COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        );
        db.execute(Statement::from_string(DbBackend::Postgres, sql))
            .await?;
    }
    Ok(())
}

pub async fn count_products(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let statement = Statement::from_string(
        db.get_database_backend(),
        "SELECT COUNT(*) AS n FROM products",
    );
    let row = db.query_one(statement).await?;
    row.map_or(Ok(0), |row| row.try_get("", "n"))
}

/// Every product id with its variant ids, in id order (what a finished seed returns).
pub async fn seeded_ids(db: &impl ConnectionTrait) -> Result<Vec<(i64, Vec<i64>)>, DbErr> {
    let statement = Statement::from_string(
        db.get_database_backend(),
        "SELECT p.id AS product_id, v.id AS variant_id FROM products p \
         LEFT JOIN product_variants v ON v.product_id = p.id \
         ORDER BY p.id, v.position, v.id",
    );
    let mut ids: Vec<(i64, Vec<i64>)> = Vec::new();
    for row in db.query_all(statement).await? {
        let product_id: i64 = row.try_get("", "product_id")?;
        let variant_id: Option<i64> = row.try_get("", "variant_id")?;
        if ids.last().is_none_or(|(last, _)| *last != product_id) {
            ids.push((product_id, Vec::new()));
        }
        if let (Some(variant_id), Some((_, variants))) = (variant_id, ids.last_mut()) {
            variants.push(variant_id);
        }
    }
    Ok(ids)
}
