//! Inventory values and rules, free of I/O: validated inputs, stock arithmetic and the shapes
//! the service hands to the GraphQL layer, and the events inventory publishes.

pub mod events;
mod input;
mod stock;

pub use input::{
    IdempotencyKey, Note, OnHand, Quantity, ReservationTtl, StockDelta, VariantId, WarehouseCode,
    WarehouseId, WarehouseName,
};
pub use stock::{
    Availability, MovementKind, Reservation, ReservationLine, ReservationStatus, StockLevel,
    StockMovement, Warehouse,
};
