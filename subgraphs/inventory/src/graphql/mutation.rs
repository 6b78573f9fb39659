//! Mutation root. Staff changes take an `idempotencyKey`: a replay returns the first result
//! and changes nothing; reusing a key for another request fails with `CONFLICT`. The
//! reservation mutations are the service-level API checkout calls. Every mutation needs
//! `inventory:write` (see `access`), checked before its input is read.

use async_graphql::{Context, ID, InputObject, Object, Result};
use commerce_kernel::ClientResultExt;

use super::access::{require_service, require_writer};
use super::results::{
    CreateWarehouseResult, ReservationResult, ReserveStockResult, StockChangeResult,
};
use super::types::{Reservation, StockLevel, Warehouse};
use crate::domain::{
    IdempotencyKey, Note, OnHand, Quantity, ReservationTtl, StockDelta, VariantId, WarehouseCode,
    WarehouseId, WarehouseName,
};
use crate::service::{AdjustStock, InventoryService, NewWarehouse, ReserveLine, SetStock};

pub struct Mutation;

#[derive(InputObject)]
pub struct CreateWarehouseInput {
    /// 1-32 lowercase letters, digits or dashes, unique.
    code: String,
    name: String,
}

#[derive(InputObject)]
pub struct SetStockInput {
    variant_id: ID,
    warehouse_id: ID,
    /// The counted units, zero or more; cannot go below what is reserved.
    on_hand: i32,
    note: Option<String>,
}

#[derive(InputObject)]
pub struct AdjustStockInput {
    variant_id: ID,
    warehouse_id: ID,
    /// Units added (positive) or removed (negative); never zero.
    delta: i32,
    note: Option<String>,
}

#[derive(InputObject)]
pub struct ReserveLineInput {
    variant_id: ID,
    quantity: i32,
}

#[derive(InputObject)]
pub struct ReserveStockInput {
    lines: Vec<ReserveLineInput>,
    /// How long the units are held, 1-86400 seconds.
    ttl_seconds: i32,
}

fn key(value: &str) -> Result<IdempotencyKey> {
    IdempotencyKey::parse(value).or_client()
}

#[Object]
impl Mutation {
    async fn create_warehouse(
        &self,
        ctx: &Context<'_>,
        input: CreateWarehouseInput,
        #[graphql(
            desc = "Makes retries safe: a replay returns the first result and changes \
                          nothing; the same key with a different request is a CONFLICT error."
        )]
        idempotency_key: String,
    ) -> Result<CreateWarehouseResult> {
        require_writer(ctx)?;
        let input = NewWarehouse {
            code: WarehouseCode::parse(&input.code).or_client()?,
            name: WarehouseName::parse(&input.name).or_client()?,
        };
        let outcome = ctx
            .data::<InventoryService>()?
            .create_warehouse(&key(&idempotency_key)?, input)
            .await;
        CreateWarehouseResult::from_result(outcome.map(Warehouse))
    }

    async fn set_stock(
        &self,
        ctx: &Context<'_>,
        input: SetStockInput,
        #[graphql(
            desc = "Makes retries safe: a replay returns the first result and changes \
                          nothing; the same key with a different request is a CONFLICT error."
        )]
        idempotency_key: String,
    ) -> Result<StockChangeResult> {
        require_writer(ctx)?;
        let input = SetStock {
            variant: VariantId::parse(&input.variant_id).or_client()?,
            warehouse: WarehouseId::parse(&input.warehouse_id).or_client()?,
            on_hand: OnHand::parse(input.on_hand).or_client()?,
            note: Note::parse(input.note.as_deref()).or_client()?,
        };
        let outcome = ctx
            .data::<InventoryService>()?
            .set_stock(&key(&idempotency_key)?, input)
            .await;
        stock_change(outcome)
    }

    async fn adjust_stock(
        &self,
        ctx: &Context<'_>,
        input: AdjustStockInput,
        #[graphql(
            desc = "Makes retries safe: a replay returns the first result and changes \
                          nothing; the same key with a different request is a CONFLICT error."
        )]
        idempotency_key: String,
    ) -> Result<StockChangeResult> {
        require_writer(ctx)?;
        let input = AdjustStock {
            variant: VariantId::parse(&input.variant_id).or_client()?,
            warehouse: WarehouseId::parse(&input.warehouse_id).or_client()?,
            delta: StockDelta::parse(input.delta).or_client()?,
            note: Note::parse(input.note.as_deref()).or_client()?,
        };
        let outcome = ctx
            .data::<InventoryService>()?
            .adjust_stock(&key(&idempotency_key)?, input)
            .await;
        stock_change(outcome)
    }

    /// Holds units for a checkout, all lines or none. The key names the reservation for
    /// `releaseReservation` and `commitReservation`.
    async fn reserve_stock(
        &self,
        ctx: &Context<'_>,
        input: ReserveStockInput,
        #[graphql(
            desc = "Makes retries safe: a replay returns the first result and changes \
                          nothing; the same key with a different request is a CONFLICT error."
        )]
        idempotency_key: String,
    ) -> Result<ReserveStockResult> {
        require_writer(ctx)?;
        let lines = input
            .lines
            .iter()
            .map(|line| {
                Ok(ReserveLine {
                    variant: VariantId::parse(&line.variant_id)?,
                    quantity: Quantity::parse(i64::from(line.quantity))?,
                })
            })
            .collect::<Result<Vec<_>, commerce_kernel::KernelError>>()
            .or_client()?;
        let ttl = ReservationTtl::parse(i64::from(input.ttl_seconds)).or_client()?;
        let outcome = ctx
            .data::<InventoryService>()?
            .reserve(&key(&idempotency_key)?, lines, ttl)
            .await;
        ReserveStockResult::from_result(outcome.map(Reservation))
    }

    /// Gives a reservation's units back; releasing twice is harmless.
    async fn release_reservation(
        &self,
        ctx: &Context<'_>,
        key: String,
    ) -> Result<ReservationResult> {
        require_writer(ctx)?;
        let outcome = ctx.data::<InventoryService>()?.release(&key).await;
        reservation_result(outcome)
    }

    /// Ships a live reservation's units; committing twice is harmless.
    async fn commit_reservation(
        &self,
        ctx: &Context<'_>,
        key: String,
    ) -> Result<ReservationResult> {
        require_writer(ctx)?;
        let outcome = ctx.data::<InventoryService>()?.commit(&key).await;
        reservation_result(outcome)
    }

    /// Internal (orders, cancelling an order): puts a committed reservation's units back on
    /// hand with `restock` movements, once; an active one is released instead.
    #[graphql(inaccessible)]
    async fn return_reservation(
        &self,
        ctx: &Context<'_>,
        key: String,
        #[graphql(
            desc = "Makes retries safe: a replay returns the first result and changes \
                          nothing; the same key with a different request is a CONFLICT error."
        )]
        idempotency_key: String,
    ) -> Result<ReservationResult> {
        require_service(ctx)?;
        let idempotency = self::key(&idempotency_key)?;
        let outcome = ctx
            .data::<InventoryService>()?
            .return_units(&idempotency, &key)
            .await;
        reservation_result(outcome)
    }
}

fn stock_change(
    outcome: Result<crate::domain::StockLevel, crate::service::InventoryError>,
) -> Result<StockChangeResult> {
    StockChangeResult::from_result(outcome.map(StockLevel))
}

fn reservation_result(
    outcome: Result<crate::domain::Reservation, crate::service::InventoryError>,
) -> Result<ReservationResult> {
    ReservationResult::from_result(outcome.map(Reservation))
}
