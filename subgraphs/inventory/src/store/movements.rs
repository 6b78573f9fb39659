//! The movement log: append-only, one row per change of on hand or reserved.

use chrono::{DateTime, Utc};
use commerce_kernel::db::statement;
use commerce_kernel::pagination::{Direction, Page, PageRequest};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Value,
};

use super::entities::movement;
use super::{from_millis, to_millis};
use crate::domain::{MovementKind, StockMovement, VariantId, WarehouseId};

/// A movement about to be written.
#[derive(Debug, Clone)]
pub struct NewMovement<'a> {
    pub variant: &'a VariantId,
    pub warehouse: WarehouseId,
    pub kind: MovementKind,
    pub on_hand_delta: i64,
    pub reserved_delta: i64,
    pub reservation_id: Option<i64>,
    pub note: Option<&'a str>,
}

impl From<movement::Model> for StockMovement {
    fn from(row: movement::Model) -> Self {
        Self {
            id: row.id,
            variant_id: VariantId::from_stored(row.variant_id),
            warehouse_id: WarehouseId(row.warehouse_id),
            // Only this module writes the column, always from `MovementKind::as_str`.
            kind: MovementKind::from_stored(&row.kind).unwrap_or(MovementKind::Adjust),
            on_hand_delta: row.on_hand_delta,
            reserved_delta: row.reserved_delta,
            reservation_id: row.reservation_id,
            note: row.note,
            created_at: from_millis(row.created_at),
        }
    }
}

/// Appends movements with multi-row inserts (one statement for the usual single movement).
pub async fn record(
    conn: &impl ConnectionTrait,
    movements: &[NewMovement<'_>],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for chunk in movements.chunks(1000) {
        let sql = format!(
            "INSERT INTO stock_movements (variant_id, warehouse_id, kind, on_hand_delta, \
             reserved_delta, reservation_id, note, created_at) VALUES {}",
            vec!["(?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ")
        );
        let values = chunk
            .iter()
            .flat_map(|m| {
                [
                    Value::from(m.variant.as_str()),
                    m.warehouse.0.into(),
                    m.kind.as_str().into(),
                    m.on_hand_delta.into(),
                    m.reserved_delta.into(),
                    m.reservation_id.into(),
                    m.note.map(str::to_owned).into(),
                    to_millis(now).into(),
                ]
            })
            .collect();
        conn.execute(statement(conn, &sql, values)).await?;
    }
    Ok(())
}

/// Which movements a list shows.
#[derive(Debug, Clone, Default)]
pub struct MovementFilter {
    pub variant: Option<VariantId>,
    pub warehouse: Option<WarehouseId>,
}

impl MovementFilter {
    fn condition(&self) -> Condition {
        let mut condition = Condition::all();
        if let Some(variant) = &self.variant {
            condition = condition.add(movement::Column::VariantId.eq(variant.as_str()));
        }
        if let Some(warehouse) = self.warehouse {
            condition = condition.add(movement::Column::WarehouseId.eq(warehouse.0));
        }
        condition
    }
}

/// Newest first; the cursor is the movement id, which only grows, so pages stay stable while
/// new movements arrive.
pub async fn page(
    conn: &impl ConnectionTrait,
    filter: &MovementFilter,
    request: &PageRequest,
    cursor_id: Option<i64>,
    bound_id: Option<i64>,
) -> Result<Page<StockMovement>, DbErr> {
    // Display order is newest first: "after" a movement means a smaller id.
    let (after, before) = match request.direction {
        Direction::Forward => (cursor_id, bound_id),
        Direction::Backward => (bound_id, cursor_id),
    };
    let mut condition = filter.condition();
    if let Some(after) = after {
        condition = condition.add(movement::Column::Id.lt(after));
    }
    if let Some(before) = before {
        condition = condition.add(movement::Column::Id.gt(before));
    }
    let query = movement::Entity::find().filter(condition);
    let query = match request.direction {
        Direction::Forward => query.order_by_desc(movement::Column::Id),
        Direction::Backward => query.order_by_asc(movement::Column::Id),
    };
    let rows = query.limit(request.fetch_limit()).all(conn).await?;
    Ok(Page::from_rows(rows, request).map(Into::into))
}

pub async fn count(conn: &impl ConnectionTrait, filter: &MovementFilter) -> Result<i64, DbErr> {
    let total = movement::Entity::find()
        .filter(filter.condition())
        .count(conn)
        .await?;
    Ok(i64::try_from(total).unwrap_or(i64::MAX))
}
