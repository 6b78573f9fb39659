//! Stock levels. Every change is one conditional `UPDATE`, so two writers can never both take
//! the last unit: the database re-checks the condition on the row it actually changes.

use chrono::{DateTime, Utc};
use commerce_kernel::db::{placeholders, statement};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Value};

use super::{from_millis, to_millis};
use crate::domain::{StockLevel, VariantId, WarehouseId};

#[derive(FromQueryResult)]
struct LevelRow {
    variant_id: String,
    warehouse_id: i64,
    on_hand: i64,
    reserved: i64,
    updated_at: i64,
}

impl From<LevelRow> for StockLevel {
    fn from(row: LevelRow) -> Self {
        Self {
            variant_id: VariantId::from_stored(row.variant_id),
            warehouse_id: WarehouseId(row.warehouse_id),
            on_hand: row.on_hand,
            reserved: row.reserved,
            updated_at: from_millis(row.updated_at),
        }
    }
}

/// Units held by reservations that are past their expiry but not yet swept: they no longer
/// count as reserved for readers.
const LAPSED_UNITS: &str = "COALESCE((SELECT CAST(SUM(l.quantity) AS BIGINT) \
     FROM reservation_lines l JOIN reservations r ON r.id = l.reservation_id \
     WHERE l.variant_id = s.variant_id AND l.warehouse_id = s.warehouse_id AND l.held = 1 \
     AND r.status = 'active' AND r.expires_at <= ?), 0)";

/// The stock of many variants in one query, as readers should see it at `now`.
pub async fn levels_of(
    conn: &impl ConnectionTrait,
    variants: &[VariantId],
    now: DateTime<Utc>,
) -> Result<Vec<StockLevel>, DbErr> {
    let reserved = format!("s.reserved - {LAPSED_UNITS}");
    select_levels(conn, variants, &reserved, vec![to_millis(now).into()]).await
}

/// Like [`levels_of`], with when each level next changes without a write: the earliest
/// expiry of a live reservation still holding its units (Unix milliseconds), if any. A cached
/// level is good until then (see the service's read-through cache).
pub async fn levels_with_next_lapse(
    conn: &impl ConnectionTrait,
    variants: &[VariantId],
    now: DateTime<Utc>,
) -> Result<Vec<(StockLevel, Option<i64>)>, DbErr> {
    if variants.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT s.variant_id, s.warehouse_id, s.on_hand, s.reserved - {LAPSED_UNITS} AS reserved, \
         s.updated_at, (SELECT MIN(r.expires_at) FROM reservation_lines l \
         JOIN reservations r ON r.id = l.reservation_id WHERE l.variant_id = s.variant_id \
         AND l.warehouse_id = s.warehouse_id AND l.held = 1 AND r.status = 'active' \
         AND r.expires_at > ?) AS next_lapse \
         FROM stock_levels s WHERE s.variant_id IN ({}) ORDER BY s.variant_id, s.warehouse_id",
        placeholders(variants.len())
    );
    let now = to_millis(now);
    let mut values: Vec<Value> = vec![now.into(), now.into()];
    values.extend(variants.iter().map(|v| Value::from(v.as_str())));
    let rows = LapsingLevelRow::find_by_statement(statement(conn, &sql, values))
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let next_lapse = row.next_lapse;
            let level = LevelRow {
                variant_id: row.variant_id,
                warehouse_id: row.warehouse_id,
                on_hand: row.on_hand,
                reserved: row.reserved,
                updated_at: row.updated_at,
            };
            (level.into(), next_lapse)
        })
        .collect())
}

#[derive(FromQueryResult)]
struct LapsingLevelRow {
    variant_id: String,
    warehouse_id: i64,
    on_hand: i64,
    reserved: i64,
    updated_at: i64,
    next_lapse: Option<i64>,
}

/// The stock of one variant with `reserved` exactly as stored, which is what the conditional
/// updates check. Writers plan with this so that their plan and the update agree.
pub async fn stored_levels_of(
    conn: &impl ConnectionTrait,
    variant: &VariantId,
) -> Result<Vec<StockLevel>, DbErr> {
    stored_levels(conn, std::slice::from_ref(variant)).await
}

/// Like [`stored_levels_of`], for many variants in one query.
pub async fn stored_levels(
    conn: &impl ConnectionTrait,
    variants: &[VariantId],
) -> Result<Vec<StockLevel>, DbErr> {
    select_levels(conn, variants, "s.reserved", Vec::new()).await
}

async fn select_levels(
    conn: &impl ConnectionTrait,
    variants: &[VariantId],
    reserved: &str,
    mut values: Vec<Value>,
) -> Result<Vec<StockLevel>, DbErr> {
    if variants.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT s.variant_id, s.warehouse_id, s.on_hand, {reserved} AS reserved, s.updated_at \
         FROM stock_levels s WHERE s.variant_id IN ({}) ORDER BY s.variant_id, s.warehouse_id",
        placeholders(variants.len())
    );
    values.extend(variants.iter().map(|v| Value::from(v.as_str())));
    let rows = LevelRow::find_by_statement(statement(conn, &sql, values))
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// One level as readers see it, if the row exists.
pub async fn level(
    conn: &impl ConnectionTrait,
    variant: &VariantId,
    warehouse: WarehouseId,
    now: DateTime<Utc>,
) -> Result<Option<StockLevel>, DbErr> {
    let levels = levels_of(conn, std::slice::from_ref(variant), now).await?;
    Ok(levels.into_iter().find(|l| l.warehouse_id == warehouse))
}

/// Creates an empty row so later updates have something to change; a no-op if it exists.
pub async fn ensure(
    conn: &impl ConnectionTrait,
    variant: &VariantId,
    warehouse: WarehouseId,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let sql = "INSERT INTO stock_levels (variant_id, warehouse_id, on_hand, reserved, updated_at) \
               VALUES (?, ?, 0, 0, ?) ON CONFLICT (variant_id, warehouse_id) DO NOTHING";
    let values = vec![
        variant.as_str().into(),
        warehouse.0.into(),
        to_millis(now).into(),
    ];
    conn.execute(statement(conn, sql, values)).await?;
    Ok(())
}

#[derive(FromQueryResult)]
struct Counts {
    on_hand: i64,
    reserved: i64,
}

/// Reads a row's raw counts, locking it on PostgreSQL. On SQLite the transaction already holds
/// the database's write lock (it began with a write), so nobody can change the row meanwhile.
pub async fn lock(
    conn: &impl ConnectionTrait,
    variant: &VariantId,
    warehouse: WarehouseId,
) -> Result<(i64, i64), DbErr> {
    let lock = match conn.get_database_backend() {
        DbBackend::Postgres => " FOR UPDATE",
        _ => "",
    };
    let sql = format!(
        "SELECT on_hand, reserved FROM stock_levels WHERE variant_id = ? AND warehouse_id = ?{lock}"
    );
    let values = vec![variant.as_str().into(), warehouse.0.into()];
    let row = Counts::find_by_statement(statement(conn, &sql, values))
        .one(conn)
        .await?
        .ok_or_else(|| {
            DbErr::RecordNotFound("stock level vanished inside its transaction".into())
        })?;
    Ok((row.on_hand, row.reserved))
}

/// A conditional change of one row: `SET <assignments> WHERE <row> AND <condition>`.
struct Change<'a> {
    assignments: &'a str,
    assignment_values: Vec<Value>,
    condition: &'a str,
    condition_values: Vec<Value>,
}

impl Change<'_> {
    /// Applies the change; returns whether the row met the condition (and so changed).
    async fn apply(
        self,
        conn: &impl ConnectionTrait,
        variant: &VariantId,
        warehouse: WarehouseId,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let sql = format!(
            "UPDATE stock_levels SET {}, updated_at = ? \
             WHERE variant_id = ? AND warehouse_id = ? AND {}",
            self.assignments, self.condition
        );
        let mut values = self.assignment_values;
        values.extend([
            to_millis(now).into(),
            variant.as_str().into(),
            warehouse.0.into(),
        ]);
        values.extend(self.condition_values);
        let result = conn.execute(statement(conn, &sql, values)).await?;
        Ok(result.rows_affected() == 1)
    }
}

/// Sets on hand, unless that would drop it below what is reserved.
pub async fn set_on_hand(
    conn: &impl ConnectionTrait,
    variant: &VariantId,
    warehouse: WarehouseId,
    on_hand: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Change {
        assignments: "on_hand = ?",
        assignment_values: vec![on_hand.into()],
        condition: "reserved <= ?",
        condition_values: vec![on_hand.into()],
    }
    .apply(conn, variant, warehouse, now)
    .await
}

/// Adds `delta` (maybe negative) to on hand, unless that would eat into reserved units.
pub async fn add_on_hand(
    conn: &impl ConnectionTrait,
    variant: &VariantId,
    warehouse: WarehouseId,
    delta: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Change {
        assignments: "on_hand = on_hand + ?",
        assignment_values: vec![delta.into()],
        condition: "on_hand - reserved + ? >= 0",
        condition_values: vec![delta.into()],
    }
    .apply(conn, variant, warehouse, now)
    .await
}

/// Reserves `quantity` units if that many are free right now.
pub async fn reserve(
    conn: &impl ConnectionTrait,
    variant: &VariantId,
    warehouse: WarehouseId,
    quantity: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Change {
        assignments: "reserved = reserved + ?",
        assignment_values: vec![quantity.into()],
        condition: "on_hand - reserved >= ?",
        condition_values: vec![quantity.into()],
    }
    .apply(conn, variant, warehouse, now)
    .await
}

/// Gives back reserved units (release or expiry).
pub async fn unreserve(
    conn: &impl ConnectionTrait,
    variant: &VariantId,
    warehouse: WarehouseId,
    quantity: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Change {
        assignments: "reserved = reserved - ?",
        assignment_values: vec![quantity.into()],
        condition: "reserved >= ?",
        condition_values: vec![quantity.into()],
    }
    .apply(conn, variant, warehouse, now)
    .await
}

/// Turns reserved units into shipped ones: both counts drop.
pub async fn ship_reserved(
    conn: &impl ConnectionTrait,
    variant: &VariantId,
    warehouse: WarehouseId,
    quantity: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Change {
        assignments: "on_hand = on_hand - ?, reserved = reserved - ?",
        assignment_values: vec![quantity.into(), quantity.into()],
        condition: "reserved >= ?",
        condition_values: vec![quantity.into()],
    }
    .apply(conn, variant, warehouse, now)
    .await
}

/// A batch of new rows, for the demo seed.
pub struct NewLevel<'a> {
    pub variant: &'a VariantId,
    pub warehouse: WarehouseId,
    pub on_hand: i64,
}

/// Inserts rows with multi-row statements, sized to stay under every backend's bind limit.
pub async fn insert_many(
    conn: &impl ConnectionTrait,
    rows: &[NewLevel<'_>],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for chunk in rows.chunks(2000) {
        let sql = format!(
            "INSERT INTO stock_levels (variant_id, warehouse_id, on_hand, reserved, updated_at) \
             VALUES {}",
            vec!["(?, ?, ?, 0, ?)"; chunk.len()].join(", ")
        );
        let values = chunk
            .iter()
            .flat_map(|row| {
                [
                    Value::from(row.variant.as_str()),
                    row.warehouse.0.into(),
                    row.on_hand.into(),
                    to_millis(now).into(),
                ]
            })
            .collect();
        conn.execute(statement(conn, &sql, values)).await?;
    }
    Ok(())
}

/// A level next to what the movement log and live reservations say it should be.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Ledger {
    pub variant_id: String,
    pub warehouse_id: i64,
    pub on_hand: i64,
    pub reserved: i64,
    pub logged_on_hand: i64,
    pub logged_reserved: i64,
    pub held_by_reservations: i64,
}

/// Every level whose counts disagree with the log or with active reservations.
pub async fn discrepancies(conn: &impl ConnectionTrait) -> Result<Vec<Ledger>, DbErr> {
    let sql = "SELECT * FROM (SELECT s.variant_id, s.warehouse_id, s.on_hand, s.reserved, \
         COALESCE((SELECT CAST(SUM(m.on_hand_delta) AS BIGINT) FROM stock_movements m \
           WHERE m.variant_id = s.variant_id AND m.warehouse_id = s.warehouse_id), 0) AS logged_on_hand, \
         COALESCE((SELECT CAST(SUM(m.reserved_delta) AS BIGINT) FROM stock_movements m \
           WHERE m.variant_id = s.variant_id AND m.warehouse_id = s.warehouse_id), 0) AS logged_reserved, \
         COALESCE((SELECT CAST(SUM(l.quantity) AS BIGINT) FROM reservation_lines l \
           JOIN reservations r ON r.id = l.reservation_id WHERE r.status = 'active' \
           AND l.variant_id = s.variant_id AND l.warehouse_id = s.warehouse_id), 0) AS held_by_reservations \
         FROM stock_levels s) t \
         WHERE on_hand <> logged_on_hand OR reserved <> logged_reserved \
         OR reserved <> held_by_reservations OR reserved > on_hand OR reserved < 0";
    Ledger::find_by_statement(statement(conn, sql, Vec::new()))
        .all(conn)
        .await
}
