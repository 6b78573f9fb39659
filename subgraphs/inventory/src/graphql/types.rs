//! Output types, separate from the domain so that a table or domain change never silently
//! changes the public schema.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::entities::RequestScope;
use super::int;
use super::loaders::AvailabilityLoader;
use crate::domain::{self, Availability, VariantId, WarehouseId};

/// A place that holds stock.
pub struct Warehouse(pub domain::Warehouse);

#[Object]
impl Warehouse {
    async fn id(&self) -> ID {
        self.0.id.global().into()
    }

    /// Short unique code, such as `ams-1`.
    async fn code(&self) -> &str {
        &self.0.code
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Resolves a warehouse from the request's one read of them.
async fn warehouse(ctx: &Context<'_>, id: WarehouseId) -> Result<Warehouse> {
    let found = RequestScope::of(ctx)?.warehouse(ctx, id).await?;
    // Stock rows reference warehouses by foreign key, so a miss means a broken database.
    let found = found.ok_or_else(|| async_graphql::Error::new("warehouse row missing"))?;
    Ok(Warehouse(found))
}

/// One variant's stock in one warehouse.
pub struct StockLevel(pub domain::StockLevel);

#[Object]
impl StockLevel {
    async fn variant(&self) -> ProductVariant {
        ProductVariant::new(self.0.variant_id.clone())
    }

    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Warehouse> {
        warehouse(ctx, self.0.warehouse_id).await
    }

    /// Units physically in the warehouse.
    async fn on_hand(&self) -> i32 {
        int(self.0.on_hand)
    }

    /// Units held by live reservations (checkouts in progress).
    async fn reserved(&self) -> i32 {
        int(self.0.reserved)
    }

    /// Units that can still be sold: on hand minus reserved.
    async fn available(&self) -> i32 {
        int(self.0.available())
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum StockMovementKind {
    /// Staff set the on-hand count.
    Set,
    /// Staff adjusted the on-hand count by a delta.
    Adjust,
    /// A reservation took units.
    Reserve,
    /// A reservation gave its units back.
    Release,
    /// A reservation shipped: on hand and reserved both dropped.
    Commit,
    /// A reservation lapsed and its units came back.
    Expire,
    /// A committed reservation's units came back (a cancelled order).
    Restock,
}

impl From<domain::MovementKind> for StockMovementKind {
    fn from(kind: domain::MovementKind) -> Self {
        match kind {
            domain::MovementKind::Set => Self::Set,
            domain::MovementKind::Adjust => Self::Adjust,
            domain::MovementKind::Reserve => Self::Reserve,
            domain::MovementKind::Release => Self::Release,
            domain::MovementKind::Commit => Self::Commit,
            domain::MovementKind::Expire => Self::Expire,
            domain::MovementKind::Restock => Self::Restock,
        }
    }
}

/// One entry of the movement log; the log sums to the current levels.
pub struct StockMovement(pub domain::StockMovement);

#[Object]
impl StockMovement {
    async fn id(&self) -> ID {
        commerce_kernel::GlobalId::encode("StockMovement", self.0.id).into()
    }

    async fn variant(&self) -> ProductVariant {
        ProductVariant::new(self.0.variant_id.clone())
    }

    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Warehouse> {
        warehouse(ctx, self.0.warehouse_id).await
    }

    async fn kind(&self) -> StockMovementKind {
        self.0.kind.into()
    }

    async fn on_hand_delta(&self) -> i32 {
        int(self.0.on_hand_delta)
    }

    async fn reserved_delta(&self) -> i32 {
        int(self.0.reserved_delta)
    }

    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ReservationStatus {
    Active,
    Released,
    Committed,
    Expired,
    /// Committed, then its units were put back (the order was cancelled).
    Returned,
}

impl From<domain::ReservationStatus> for ReservationStatus {
    fn from(status: domain::ReservationStatus) -> Self {
        match status {
            domain::ReservationStatus::Active => Self::Active,
            domain::ReservationStatus::Released => Self::Released,
            domain::ReservationStatus::Committed => Self::Committed,
            domain::ReservationStatus::Expired => Self::Expired,
            domain::ReservationStatus::Returned => Self::Returned,
        }
    }
}

/// Units held for a checkout until it commits, releases, or the reservation expires.
pub struct Reservation(pub domain::Reservation);

#[Object]
impl Reservation {
    async fn id(&self) -> ID {
        commerce_kernel::GlobalId::encode("Reservation", self.0.id).into()
    }

    /// The idempotency key it was made with; release and commit name it by this key.
    async fn key(&self) -> &str {
        &self.0.key
    }

    async fn status(&self) -> ReservationStatus {
        self.0.status.into()
    }

    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn lines(&self) -> Vec<ReservationLine> {
        self.0.lines.iter().cloned().map(ReservationLine).collect()
    }
}

/// Units of one variant held in one warehouse.
pub struct ReservationLine(domain::ReservationLine);

#[Object]
impl ReservationLine {
    async fn variant(&self) -> ProductVariant {
        ProductVariant::new(self.0.variant_id.clone())
    }

    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Warehouse> {
        warehouse(ctx, self.0.warehouse_id).await
    }

    async fn quantity(&self) -> i32 {
        int(self.0.quantity)
    }
}

/// The catalog's variant, extended with its stock.
pub struct ProductVariant {
    id: VariantId,
    /// Already read when the variant came in an `_entities` batch.
    stock: Option<Availability>,
}

impl ProductVariant {
    pub fn new(id: VariantId) -> Self {
        Self { id, stock: None }
    }

    pub fn with_stock(id: VariantId, stock: Availability) -> Self {
        Self {
            id,
            stock: Some(stock),
        }
    }

    async fn availability(&self, ctx: &Context<'_>) -> Result<Availability> {
        if let Some(stock) = &self.stock {
            return Ok(stock.clone());
        }
        let loader = ctx.data::<DataLoader<AvailabilityLoader>>()?;
        Ok(loader.load_one(self.id.clone()).await?.unwrap_or_default())
    }
}

#[Object]
impl ProductVariant {
    async fn id(&self) -> ID {
        self.id.as_str().into()
    }

    /// Units that can be sold now, across warehouses.
    async fn available(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(int(self.availability(ctx).await?.available()))
    }

    async fn in_stock(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.availability(ctx).await?.in_stock())
    }

    /// Stock per warehouse (warehouses that never held the variant are left out).
    async fn stock(&self, ctx: &Context<'_>) -> Result<Vec<StockLevel>> {
        let levels = self.availability(ctx).await?.levels;
        Ok(levels.into_iter().map(StockLevel).collect())
    }
}

/// The catalog's product, extended with whether any of its variants is in stock. The router
/// supplies the variant ids (`@requires`), so inventory keeps no product→variant mapping.
pub struct Product {
    pub id: ID,
    pub variants: Vec<VariantId>,
    pub in_stock: bool,
}

#[Object]
impl Product {
    async fn id(&self) -> &ID {
        &self.id
    }

    #[graphql(external)]
    async fn variants(&self) -> Vec<ProductVariant> {
        self.variants
            .iter()
            .cloned()
            .map(ProductVariant::new)
            .collect()
    }

    #[graphql(requires = "variants { id }")]
    async fn in_stock(&self) -> bool {
        self.in_stock
    }
}
