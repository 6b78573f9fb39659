//! Products and variants: reads by id, slug and product, and the writes behind the mutations.

use chrono::{DateTime, Utc};
use compact_str::CompactString;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set, Value,
};

use super::bulk::insert_rows;
use super::entities::{product, variant};
use super::sql::Sql;
use super::{from_json, to_json};
use crate::domain::{
    Attribute, NewProduct, NewVariant, Product, ProductPatch, ProductStatus, Variant, VariantPatch,
};

/// A `products` row as read, its text borrowed (from a model or straight from the driver's
/// row): the one place that turns a row into a [`Product`].
pub(super) struct ProductColumns<'a> {
    pub id: i64,
    pub slug: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub status: &'a str,
    pub category_id: Option<i64>,
    pub attributes: &'a str,
    pub image_urls: &'a str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<ProductColumns<'_>> for Product {
    type Error = DbErr;

    fn try_from(row: ProductColumns<'_>) -> Result<Self, DbErr> {
        let status = ProductStatus::parse("status", row.status)
            .map_err(|error| DbErr::Custom(error.to_string()))?;
        Ok(Self {
            id: row.id,
            status,
            category_id: row.category_id,
            attributes: from_json("products.attributes", row.attributes)?,
            image_urls: from_json("products.image_urls", row.image_urls)?,
            slug: row.slug.to_owned(),
            name: row.name.to_owned(),
            description: row.description.to_owned(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl TryFrom<product::Model> for Product {
    type Error = DbErr;

    fn try_from(row: product::Model) -> Result<Self, DbErr> {
        Product::try_from(ProductColumns {
            id: row.id,
            slug: &row.slug,
            name: &row.name,
            description: &row.description,
            status: &row.status,
            category_id: row.category_id,
            attributes: &row.attributes,
            image_urls: &row.image_urls,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl TryFrom<variant::Model> for Variant {
    type Error = DbErr;

    fn try_from(row: variant::Model) -> Result<Self, DbErr> {
        Ok(Self {
            id: row.id,
            product_id: row.product_id,
            options: from_json("product_variants.options", &row.options)?,
            sku: row.sku.into(),
            name: row.name.into(),
            position: row.position,
            weight_grams: row.weight_grams,
        })
    }
}

pub(super) fn products_from(rows: Vec<product::Model>) -> Result<Vec<Product>, DbErr> {
    rows.into_iter().map(Product::try_from).collect()
}

/// The products with these ids, in no particular order; unknown ids are left out.
pub async fn find_products(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<Product>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = product::Entity::find()
        .filter(product::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    products_from(rows)
}

pub async fn find_product_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<Product>, DbErr> {
    let row = product::Entity::find()
        .filter(product::Column::Slug.eq(slug))
        .one(db)
        .await?;
    row.map(Product::try_from).transpose()
}

/// Variants of all these products in one query, ordered by product, then position: read from
/// each product's variant list, one row per product whatever its number of variants.
pub async fn variants_of_products(
    db: &impl ConnectionTrait,
    product_ids: &[i64],
) -> Result<Vec<Variant>, DbErr> {
    if product_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT id, variants, variant_options FROM products WHERE id IN ")
        .bind_list(product_ids.iter().copied())
        .push(" ORDER BY id");
    let mut variants = Vec::new();
    for row in db.query_all(sql.build()).await? {
        let product_id: i64 = row.try_get("", "id")?;
        let list: String = row.try_get("", "variants")?;
        let options: String = row.try_get("", "variant_options")?;
        variants.extend(variant_list(product_id, &list, Some(&options))?);
    }
    Ok(variants)
}

/// A variant as a product's variant list (`products.variants`) holds it: `[id, sku, name,
/// position, weight_grams]`, its options apart (`products.variant_options`) and its product
/// the row's. Its own type, so that the stored form never follows a domain change by accident.
#[derive(serde::Serialize, serde::Deserialize)]
struct ListedVariant(i64, CompactString, CompactString, i32, Option<i32>);

/// A product's variants as its two list columns, both in display order: `variants` and, in a
/// column of its own, each variant's options. A page that shows no options (most do not)
/// then neither sends nor parses them: they were most of a list's text.
pub(super) struct VariantLists {
    pub variants: String,
    pub options: String,
}

impl VariantLists {
    pub fn of<'a>(variants: impl IntoIterator<Item = &'a Variant>) -> Self {
        let mut variants: Vec<&Variant> = variants.into_iter().collect();
        variants.sort_by_key(|v| (v.position, v.id));
        let listed: Vec<ListedVariant> = variants
            .iter()
            .map(|v| {
                ListedVariant(
                    v.id,
                    v.sku.clone(),
                    v.name.clone(),
                    v.position,
                    v.weight_grams,
                )
            })
            .collect();
        let options: Vec<&[Attribute]> = variants.iter().map(|v| &v.options[..]).collect();
        Self {
            variants: to_json(&listed),
            options: to_json(&options),
        }
    }
}

/// The variants of product `product_id` from its variant list and, when given, their
/// options' list; without it their options are left empty.
pub(super) fn variant_list(
    product_id: i64,
    variants: &str,
    options: Option<&str>,
) -> Result<Vec<Variant>, DbErr> {
    let listed: Vec<ListedVariant> = from_json("products.variants", variants)?;
    let options = match options {
        Some(json) => {
            let options: Vec<Vec<Attribute>> = from_json("products.variant_options", json)?;
            if options.len() != listed.len() {
                return Err(DbErr::Custom(format!(
                    "product {product_id}: {} variants but {} lists of options",
                    listed.len(),
                    options.len()
                )));
            }
            options
        }
        None => Vec::new(),
    };
    let mut options = options.into_iter();
    Ok(listed
        .into_iter()
        .map(
            |ListedVariant(id, sku, name, position, weight_grams)| Variant {
                id,
                product_id,
                sku,
                name,
                options: options.next().unwrap_or_default(),
                position,
                weight_grams,
            },
        )
        .collect())
}

pub async fn find_variants(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<Variant>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = variant::Entity::find()
        .filter(variant::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    rows.into_iter().map(Variant::try_from).collect()
}

/// Inserts a product with its attributes, variants and collection memberships; returns its id.
pub async fn insert_product(
    db: &impl ConnectionTrait,
    new: &NewProduct,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let row = product::ActiveModel {
        id: NotSet,
        slug: Set(new.slug.as_str().to_owned()),
        name: Set(new.name.as_str().to_owned()),
        description: Set(new.description.as_str().to_owned()),
        status: Set(new.status.as_str().to_owned()),
        category_id: Set(new.category_id),
        attributes: Set(to_json(&new.attributes)),
        image_urls: Set(to_json(&image_strings(&new.image_urls))),
        created_at: Set(now),
        updated_at: Set(now),
        // Both lists start as the columns' default (`[]`); `variants_changed` below writes them.
        variants: NotSet,
        variant_options: NotSet,
    }
    .insert(db)
    .await?;
    replace_attributes(db, row.id, &new.attributes).await?;
    insert_variants(db, row.id, &new.variants, 0, now).await?;
    variants_changed(db, row.id, now).await?;
    super::collections::set_product_collections(db, row.id, &new.collection_ids).await?;
    Ok(row.id)
}

fn image_strings(urls: &[crate::domain::ImageUrl]) -> Vec<&str> {
    urls.iter().map(|url| url.as_str()).collect()
}

/// Applies `patch`; returns false when the product does not exist.
pub async fn update_product(
    db: &impl ConnectionTrait,
    id: i64,
    patch: &ProductPatch,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let Some(current) = product::Entity::find_by_id(id).one(db).await? else {
        return Ok(false);
    };
    let mut row: product::ActiveModel = current.into();
    if let Some(slug) = &patch.slug {
        row.slug = Set(slug.as_str().to_owned());
    }
    if let Some(name) = &patch.name {
        row.name = Set(name.as_str().to_owned());
    }
    if let Some(description) = &patch.description {
        row.description = Set(description.as_str().to_owned());
    }
    if let Some(status) = patch.status {
        row.status = Set(status.as_str().to_owned());
    }
    if let Some(category_id) = patch.category_id {
        row.category_id = Set(category_id);
    }
    if let Some(attributes) = &patch.attributes {
        row.attributes = Set(to_json(attributes));
        replace_attributes(db, id, attributes).await?;
    }
    if let Some(urls) = &patch.image_urls {
        row.image_urls = Set(to_json(&image_strings(urls)));
    }
    if let Some(collection_ids) = &patch.collection_ids {
        super::collections::set_product_collections(db, id, collection_ids).await?;
    }
    row.updated_at = Set(now);
    row.update(db).await?;
    Ok(true)
}

/// Deletes a product (its variants, attributes and memberships cascade); false if unknown.
pub async fn delete_product(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let result = product::Entity::delete_by_id(id).exec(db).await?;
    Ok(result.rows_affected > 0)
}

async fn replace_attributes(
    db: &impl ConnectionTrait,
    product_id: i64,
    attributes: &[Attribute],
) -> Result<(), DbErr> {
    let mut delete = Sql::new(db.get_database_backend());
    delete
        .push("DELETE FROM product_attributes WHERE product_id = ")
        .bind(product_id);
    db.execute(delete.build()).await?;
    let rows = attributes.iter().map(|attribute| {
        vec![
            Value::from(product_id),
            attribute.name.as_str().into(),
            attribute.value.as_str().into(),
        ]
    });
    insert_rows(
        db,
        "product_attributes",
        &["product_id", "name", "value"],
        rows.collect(),
    )
    .await
}

/// Inserts variants at positions `first_position..`.
async fn insert_variants(
    db: &impl ConnectionTrait,
    product_id: i64,
    variants: &[NewVariant],
    first_position: i32,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let rows = variants
        .iter()
        .zip(first_position..)
        .map(|(variant, position)| {
            vec![
                Value::from(product_id),
                variant.sku.as_str().into(),
                variant.name.as_str().into(),
                to_json(&variant.options).into(),
                position.into(),
                variant.weight_grams.into(),
                now.into(),
            ]
        });
    let columns = [
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

/// Adds a variant after the product's last one; returns its id.
pub async fn insert_variant(
    db: &impl ConnectionTrait,
    product_id: i64,
    new: &NewVariant,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let last = variant::Entity::find()
        .filter(variant::Column::ProductId.eq(product_id))
        .order_by_desc(variant::Column::Position)
        .one(db)
        .await?;
    let row = variant::ActiveModel {
        id: NotSet,
        product_id: Set(product_id),
        sku: Set(new.sku.as_str().to_owned()),
        name: Set(new.name.as_str().to_owned()),
        options: Set(to_json(&new.options)),
        position: Set(last.map_or(0, |v| v.position + 1)),
        weight_grams: Set(new.weight_grams),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    variants_changed(db, product_id, now).await?;
    Ok(row.id)
}

/// Applies `patch`; returns the variant's product id, or `None` when the variant is unknown.
pub async fn update_variant(
    db: &impl ConnectionTrait,
    id: i64,
    patch: &VariantPatch,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let Some(current) = variant::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let product_id = current.product_id;
    let mut row: variant::ActiveModel = current.into();
    if let Some(sku) = &patch.sku {
        row.sku = Set(sku.as_str().to_owned());
    }
    if let Some(name) = &patch.name {
        row.name = Set(name.as_str().to_owned());
    }
    if let Some(options) = &patch.options {
        row.options = Set(to_json(options));
    }
    if let Some(position) = patch.position {
        row.position = Set(position);
    }
    if let Some(grams) = patch.weight_grams {
        row.weight_grams = Set(Some(grams));
    }
    row.update(db).await?;
    variants_changed(db, product_id, now).await?;
    Ok(Some(product_id))
}

/// Deletes a variant; returns its product id, or `None` when unknown.
pub async fn delete_variant(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let Some(current) = variant::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    variant::Entity::delete_by_id(id).exec(db).await?;
    variants_changed(db, current.product_id, now).await?;
    Ok(Some(current.product_id))
}

/// Marks the product updated and rewrites its variant list from `product_variants`; every
/// variant write ends here, in its transaction. The product's row is locked first, so two
/// concurrent writes to one product's variants each list what the other committed.
async fn variants_changed(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    product::Entity::update_many()
        .col_expr(product::Column::UpdatedAt, Expr::value(now))
        .filter(product::Column::Id.eq(id))
        .exec(db)
        .await?;
    let rows = variant::Entity::find()
        .filter(variant::Column::ProductId.eq(id))
        .all(db)
        .await?;
    let variants = rows
        .into_iter()
        .map(Variant::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let lists = VariantLists::of(&variants);
    product::Entity::update_many()
        .col_expr(product::Column::Variants, Expr::value(lists.variants))
        .col_expr(product::Column::VariantOptions, Expr::value(lists.options))
        .filter(product::Column::Id.eq(id))
        .exec(db)
        .await
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(id: i64, position: i32, options: &[(&str, &str)]) -> Variant {
        Variant {
            id,
            product_id: 7,
            sku: format!("SKU-{id}").into(),
            name: format!("Variant {id}").into(),
            options: options
                .iter()
                .map(|(name, value)| Attribute {
                    name: (*name).into(),
                    value: (*value).into(),
                })
                .collect(),
            position,
            weight_grams: Some(100),
        }
    }

    /// The two lists read back as the variants written, in display order; without the
    /// options' list, with their options empty.
    #[test]
    fn the_variant_lists_read_back_in_display_order() {
        let second = variant(1, 1, &[("size", "M")]);
        let first = variant(2, 0, &[("size", "S"), ("colour", "Red")]);
        let lists = VariantLists::of([&second, &first]);
        let read = variant_list(7, &lists.variants, Some(&lists.options)).expect("lists");
        assert_eq!(read, [first.clone(), second.clone()]);
        let without = variant_list(7, &lists.variants, None).expect("a list");
        let bare = |v: &Variant| Variant {
            options: Vec::new(),
            ..v.clone()
        };
        assert_eq!(without, [bare(&first), bare(&second)]);
    }

    /// Lists that disagree are an error, not variants with options missing or misplaced.
    #[test]
    fn options_that_do_not_match_the_variants_are_an_error() {
        let lists = VariantLists::of([&variant(1, 0, &[]), &variant(2, 1, &[])]);
        let error = variant_list(7, &lists.variants, Some("[[]]")).expect_err("a mismatch");
        assert!(
            error.to_string().contains("2 variants but 1 lists"),
            "{error}"
        );
    }
}
