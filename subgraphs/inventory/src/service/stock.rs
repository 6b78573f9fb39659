//! Staff changes: warehouses and stock levels, each applied once per idempotency key.

use std::slice;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseTransaction, SqlErr};
use serde::Serialize;

use super::idempotent::run_once;
use super::{InventoryError, InventoryService, events};
use crate::domain::{
    IdempotencyKey, MovementKind, Note, OnHand, StockDelta, StockLevel, VariantId, Warehouse,
    WarehouseCode, WarehouseId, WarehouseName,
};
use crate::store::movements::NewMovement;
use crate::store::{stock, warehouses};

#[derive(Debug, Clone, Serialize)]
pub struct NewWarehouse {
    pub code: WarehouseCode,
    pub name: WarehouseName,
}

/// Sets the on-hand count (after a stock take, say).
#[derive(Debug, Clone, Serialize)]
pub struct SetStock {
    pub variant: VariantId,
    pub warehouse: WarehouseId,
    pub on_hand: OnHand,
    pub note: Option<Note>,
}

/// Changes the on-hand count by a delta (a delivery, damage, a correction).
#[derive(Debug, Clone, Serialize)]
pub struct AdjustStock {
    pub variant: VariantId,
    pub warehouse: WarehouseId,
    pub delta: StockDelta,
    pub note: Option<Note>,
}

impl InventoryService {
    pub async fn create_warehouse(
        &self,
        key: &IdempotencyKey,
        input: NewWarehouse,
    ) -> Result<Warehouse, InventoryError> {
        run_once(
            &self.db,
            &self.clock,
            key,
            "createWarehouse",
            &input,
            |txn, now| {
                let input = input.clone();
                Box::pin(async move { create_warehouse_in(txn, &input, now).await })
            },
        )
        .await
    }

    pub async fn set_stock(
        &self,
        key: &IdempotencyKey,
        input: SetStock,
    ) -> Result<StockLevel, InventoryError> {
        // Lapsed reservations must not keep holding units the new count is checked against.
        self.expire_lapsed_of(slice::from_ref(&input.variant))
            .await?;
        let low_stock = self.low_stock;
        let level = run_once(
            &self.db,
            &self.clock,
            key,
            "setStock",
            &input,
            |txn, now| {
                let input = input.clone();
                Box::pin(async move { set_stock_in(txn, &input, now, low_stock).await })
            },
        )
        .await?;
        self.evict_stock([&input.variant]).await;
        Ok(level)
    }

    pub async fn adjust_stock(
        &self,
        key: &IdempotencyKey,
        input: AdjustStock,
    ) -> Result<StockLevel, InventoryError> {
        self.expire_lapsed_of(slice::from_ref(&input.variant))
            .await?;
        let low_stock = self.low_stock;
        let level = run_once(
            &self.db,
            &self.clock,
            key,
            "adjustStock",
            &input,
            |txn, now| {
                let input = input.clone();
                Box::pin(async move { adjust_stock_in(txn, &input, now, low_stock).await })
            },
        )
        .await?;
        self.evict_stock([&input.variant]).await;
        Ok(level)
    }
}

async fn create_warehouse_in(
    txn: &DatabaseTransaction,
    input: &NewWarehouse,
    now: DateTime<Utc>,
) -> Result<Warehouse, InventoryError> {
    let taken = || InventoryError::WarehouseCodeTaken(input.code.as_str().to_owned());
    if warehouses::find_by_code(txn, &input.code).await?.is_some() {
        return Err(taken());
    }
    warehouses::insert(txn, &input.code, &input.name, now)
        .await
        .map_err(|error| match error.sql_err() {
            // Another key created the same code between our check and insert (PostgreSQL).
            Some(SqlErr::UniqueConstraintViolation(_)) => taken(),
            _ => error.into(),
        })
}

async fn set_stock_in(
    txn: &DatabaseTransaction,
    input: &SetStock,
    now: DateTime<Utc>,
    low_stock: i64,
) -> Result<StockLevel, InventoryError> {
    let (variant, warehouse) = (&input.variant, input.warehouse);
    prepare_row(txn, variant, warehouse, now).await?;
    let (previous, reserved) = stock::lock(txn, variant, warehouse).await?;
    let on_hand = input.on_hand.get();
    if !stock::set_on_hand(txn, variant, warehouse, on_hand, now).await? {
        // Reserved units cannot be counted away: report it as taking more than is free.
        return Err(InventoryError::InsufficientStock {
            variant: variant.clone(),
            warehouse: Some(warehouse),
            requested: previous - on_hand,
            available: previous - reserved,
        });
    }
    if on_hand != previous {
        let note = input.note.as_ref().map(Note::as_str);
        let movement = on_hand_movement(
            variant,
            warehouse,
            note,
            MovementKind::Set,
            on_hand - previous,
        );
        events::record(txn, &[movement], now, low_stock).await?;
    }
    current_level(txn, variant, warehouse, now).await
}

async fn adjust_stock_in(
    txn: &DatabaseTransaction,
    input: &AdjustStock,
    now: DateTime<Utc>,
    low_stock: i64,
) -> Result<StockLevel, InventoryError> {
    let (variant, warehouse, delta) = (&input.variant, input.warehouse, input.delta.get());
    prepare_row(txn, variant, warehouse, now).await?;
    if !stock::add_on_hand(txn, variant, warehouse, delta, now).await? {
        let level = current_level(txn, variant, warehouse, now).await?;
        return Err(InventoryError::InsufficientStock {
            variant: variant.clone(),
            warehouse: Some(warehouse),
            requested: -delta,
            available: level.available(),
        });
    }
    let note = input.note.as_ref().map(Note::as_str);
    let movement = on_hand_movement(variant, warehouse, note, MovementKind::Adjust, delta);
    events::record(txn, &[movement], now, low_stock).await?;
    current_level(txn, variant, warehouse, now).await
}

/// Checks the warehouse and makes sure the level row exists for the conditional update.
async fn prepare_row(
    txn: &DatabaseTransaction,
    variant: &VariantId,
    warehouse: WarehouseId,
    now: DateTime<Utc>,
) -> Result<(), InventoryError> {
    if !warehouses::exists(txn, warehouse).await? {
        return Err(InventoryError::WarehouseNotFound(warehouse));
    }
    stock::ensure(txn, variant, warehouse, now).await?;
    Ok(())
}

/// The movement of a staff change to on hand.
fn on_hand_movement<'a>(
    variant: &'a VariantId,
    warehouse: WarehouseId,
    note: Option<&'a str>,
    kind: MovementKind,
    delta: i64,
) -> NewMovement<'a> {
    NewMovement {
        variant,
        warehouse,
        kind,
        on_hand_delta: delta,
        reserved_delta: 0,
        reservation_id: None,
        note,
    }
}

async fn current_level(
    txn: &DatabaseTransaction,
    variant: &VariantId,
    warehouse: WarehouseId,
    now: DateTime<Utc>,
) -> Result<StockLevel, InventoryError> {
    let level = stock::level(txn, variant, warehouse, now)
        .await?
        .context("a stock level vanished inside its transaction")?;
    Ok(level)
}
