//! The category tree. Each row stores its path from the root, so "this category and its
//! descendants" is one prefix match and moving a subtree is one update.

use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use super::entities::category;
use super::sql::Sql;
use crate::domain::{Category, CategoryPath, NewCategory, Slug, Text};

impl From<category::Model> for Category {
    fn from(row: category::Model) -> Self {
        Self {
            id: row.id,
            parent_id: row.parent_id,
            slug: row.slug,
            name: row.name,
            path: CategoryPath::from_stored(row.path),
            position: row.position,
        }
    }
}

/// The whole tree, siblings in display order (catalogs have hundreds of categories, not more).
pub async fn all_categories(db: &impl ConnectionTrait) -> Result<Vec<Category>, DbErr> {
    let rows = category::Entity::find()
        .order_by_asc(category::Column::Position)
        .order_by_asc(category::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Category::from).collect())
}

pub async fn find_categories(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<Category>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = category::Entity::find()
        .filter(category::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Category::from).collect())
}

/// Inserts under `new.parent_id` (which the caller has checked exists); returns the id.
pub async fn insert_category(
    db: &impl ConnectionTrait,
    new: &NewCategory,
    parent_path: Option<&CategoryPath>,
) -> Result<i64, DbErr> {
    let row = category::ActiveModel {
        id: NotSet,
        parent_id: Set(new.parent_id),
        slug: Set(new.slug.as_str().to_owned()),
        name: Set(new.name.as_str().to_owned()),
        // The path ends with the row's own id, known only after the insert.
        path: Set(String::new()),
        position: Set(new.position),
    }
    .insert(db)
    .await?;
    let path = parent_path.map_or_else(|| CategoryPath::root(row.id), |p| p.child(row.id));
    let id = row.id;
    let mut row: category::ActiveModel = row.into();
    row.path = Set(path.as_str().to_owned());
    row.update(db).await?;
    Ok(id)
}

/// Changes the labels of a category; false when unknown.
pub async fn rename_category(
    db: &impl ConnectionTrait,
    id: i64,
    slug: Option<&Slug>,
    name: Option<&Text>,
    position: Option<i32>,
) -> Result<bool, DbErr> {
    let Some(current) = category::Entity::find_by_id(id).one(db).await? else {
        return Ok(false);
    };
    let mut row: category::ActiveModel = current.into();
    if let Some(slug) = slug {
        row.slug = Set(slug.as_str().to_owned());
    }
    if let Some(name) = name {
        row.name = Set(name.as_str().to_owned());
    }
    if let Some(position) = position {
        row.position = Set(position);
    }
    row.update(db).await?;
    Ok(true)
}

/// Moves `category` (and its subtree) under `new_parent`; the caller has ruled out cycles.
pub async fn move_category(
    db: &impl ConnectionTrait,
    category: &Category,
    new_parent: Option<&Category>,
) -> Result<(), DbErr> {
    let new_path = new_parent.map_or_else(
        || CategoryPath::root(category.id),
        |parent| parent.path.child(category.id),
    );
    let old_path = category.path.as_str();
    let keep_from = i32::try_from(old_path.len() + 1).expect("paths are short");
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("UPDATE categories SET path = ")
        .bind(new_path.as_str())
        .push(" || SUBSTR(path, ")
        .bind(keep_from)
        .push(") WHERE path LIKE ")
        .bind(format!("{old_path}%"));
    db.execute(sql.build()).await?;
    category::Entity::update_many()
        .col_expr(
            category::Column::ParentId,
            sea_orm::sea_query::Expr::value(new_parent.map(|p| p.id)),
        )
        .filter(category::Column::Id.eq(category.id))
        .exec(db)
        .await
        .map(drop)
}

/// Whether a category has children (those must be moved or deleted first).
pub async fn has_children(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let children = category::Entity::find()
        .filter(category::Column::ParentId.eq(id))
        .count(db)
        .await?;
    Ok(children > 0)
}

/// Deletes a category; its products lose their category. False when unknown.
pub async fn delete_category(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let result = category::Entity::delete_by_id(id).exec(db).await?;
    Ok(result.rows_affected > 0)
}

/// Ids of the products filed directly under a category (to evict them when it goes).
pub async fn product_ids_in_category(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Vec<i64>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT id FROM products WHERE category_id = ")
        .bind(id);
    let rows = db.query_all(sql.build()).await?;
    rows.iter().map(|row| row.try_get("", "id")).collect()
}
