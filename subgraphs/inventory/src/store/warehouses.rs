//! Warehouses.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use super::entities::warehouse;
use super::{from_millis, to_millis};
use crate::domain::{Warehouse, WarehouseCode, WarehouseId, WarehouseName};

impl From<warehouse::Model> for Warehouse {
    fn from(row: warehouse::Model) -> Self {
        Self {
            id: WarehouseId(row.id),
            code: row.code,
            name: row.name,
            created_at: from_millis(row.created_at),
        }
    }
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    code: &WarehouseCode,
    name: &WarehouseName,
    now: DateTime<Utc>,
) -> Result<Warehouse, DbErr> {
    let row = warehouse::ActiveModel {
        code: Set(code.as_str().to_owned()),
        name: Set(name.as_str().to_owned()),
        created_at: Set(to_millis(now)),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(row.into())
}

pub async fn find_by_code(
    conn: &impl ConnectionTrait,
    code: &WarehouseCode,
) -> Result<Option<Warehouse>, DbErr> {
    let row = warehouse::Entity::find()
        .filter(warehouse::Column::Code.eq(code.as_str()))
        .one(conn)
        .await?;
    Ok(row.map(Into::into))
}

pub async fn exists(conn: &impl ConnectionTrait, id: WarehouseId) -> Result<bool, DbErr> {
    Ok(warehouse::Entity::find_by_id(id.0)
        .one(conn)
        .await?
        .is_some())
}

/// Every warehouse, by code; a shop has a handful, so no pagination.
pub async fn all(conn: &impl ConnectionTrait) -> Result<Vec<Warehouse>, DbErr> {
    let rows = warehouse::Entity::find()
        .order_by_asc(warehouse::Column::Code)
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}
