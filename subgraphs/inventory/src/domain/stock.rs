//! Stock shapes and rules: availability arithmetic, movement kinds, reservation states, and
//! how a requested quantity is spread over warehouses.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{VariantId, WarehouseId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warehouse {
    pub id: WarehouseId,
    pub code: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// One variant's stock in one warehouse. `reserved` counts live reservations only: units held
/// by a reservation past its expiry are already free, even before the sweeper releases them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLevel {
    pub variant_id: VariantId,
    pub warehouse_id: WarehouseId,
    pub on_hand: i64,
    pub reserved: i64,
    pub updated_at: DateTime<Utc>,
}

impl StockLevel {
    pub fn available(&self) -> i64 {
        (self.on_hand - self.reserved).max(0)
    }
}

/// A variant's stock across warehouses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Availability {
    pub levels: Vec<StockLevel>,
}

impl Availability {
    pub fn available(&self) -> i64 {
        self.levels.iter().map(StockLevel::available).sum()
    }

    pub fn in_stock(&self) -> bool {
        self.available() > 0
    }

    /// Splits `quantity` over warehouses: one warehouse that can ship it all if any (the one
    /// with the most stock, so small warehouses are not drained first), else the fewest
    /// warehouses taking the most from each. `None` when the total is not enough.
    pub fn allocate(&self, quantity: i64) -> Option<Vec<(WarehouseId, i64)>> {
        let mut candidates: Vec<(WarehouseId, i64)> = self
            .levels
            .iter()
            .map(|level| (level.warehouse_id, level.available()))
            .filter(|(_, available)| *available > 0)
            .collect();
        candidates.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut remaining = quantity;
        let mut plan = Vec::new();
        for (warehouse, available) in candidates {
            let take = remaining.min(available);
            plan.push((warehouse, take));
            remaining -= take;
            if remaining == 0 {
                return Some(plan);
            }
        }
        None
    }
}

/// Why stock moved. Every change to `on_hand` or `reserved` writes one movement, so the log
/// sums to the current levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MovementKind {
    Set,
    Adjust,
    Reserve,
    Release,
    Commit,
    Expire,
    /// Units of a committed reservation came back (a cancelled order's stock).
    Restock,
}

impl MovementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Set => "set",
            Self::Adjust => "adjust",
            Self::Reserve => "reserve",
            Self::Release => "release",
            Self::Commit => "commit",
            Self::Expire => "expire",
            Self::Restock => "restock",
        }
    }

    pub fn from_stored(value: &str) -> Option<Self> {
        [
            Self::Set,
            Self::Adjust,
            Self::Reserve,
            Self::Release,
            Self::Commit,
            Self::Expire,
            Self::Restock,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == value)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockMovement {
    pub id: i64,
    pub variant_id: VariantId,
    pub warehouse_id: WarehouseId,
    pub kind: MovementKind,
    pub on_hand_delta: i64,
    pub reserved_delta: i64,
    pub reservation_id: Option<i64>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A reservation's life: `Active` until checkout commits it, the caller releases it, or it
/// lapses and the sweeper marks it `Expired`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReservationStatus {
    Active,
    Released,
    Committed,
    Expired,
    /// Committed, then its units were put back (the order was cancelled).
    Returned,
}

impl ReservationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Released => "released",
            Self::Committed => "committed",
            Self::Expired => "expired",
            Self::Returned => "returned",
        }
    }

    pub fn from_stored(value: &str) -> Option<Self> {
        [
            Self::Active,
            Self::Released,
            Self::Committed,
            Self::Expired,
            Self::Returned,
        ]
        .into_iter()
        .find(|status| status.as_str() == value)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservationLine {
    pub variant_id: VariantId,
    pub warehouse_id: WarehouseId,
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    pub id: i64,
    pub key: String,
    pub status: ReservationStatus,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub lines: Vec<ReservationLine>,
}

impl Reservation {
    /// The state a reader should see: an active reservation past its expiry holds nothing.
    pub fn effective_status(&self, now: DateTime<Utc>) -> ReservationStatus {
        match self.status {
            ReservationStatus::Active if self.expires_at <= now => ReservationStatus::Expired,
            status => status,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(warehouse: i64, on_hand: i64, reserved: i64) -> StockLevel {
        StockLevel {
            variant_id: VariantId::from_stored("v".to_owned()),
            warehouse_id: WarehouseId(warehouse),
            on_hand,
            reserved,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn availability_sums_what_is_not_reserved() {
        let stock = Availability {
            levels: vec![level(1, 5, 2), level(2, 0, 0)],
        };
        assert_eq!(stock.available(), 3);
        assert!(stock.in_stock());
        assert!(!Availability::default().in_stock());
    }

    #[test]
    fn allocates_from_one_warehouse_when_it_can_ship_everything() {
        let stock = Availability {
            levels: vec![level(1, 3, 0), level(2, 8, 1)],
        };
        assert_eq!(stock.allocate(5), Some(vec![(WarehouseId(2), 5)]));
        assert_eq!(
            stock.allocate(9),
            Some(vec![(WarehouseId(2), 7), (WarehouseId(1), 2)])
        );
        assert_eq!(stock.allocate(11), None);
    }

    #[test]
    fn stored_names_round_trip() {
        for kind in ["set", "adjust", "reserve", "release", "commit", "expire"] {
            assert_eq!(
                MovementKind::from_stored(kind).map(MovementKind::as_str),
                Some(kind)
            );
        }
        assert_eq!(
            ReservationStatus::from_stored("committed"),
            Some(ReservationStatus::Committed)
        );
        assert_eq!(ReservationStatus::from_stored("nope"), None);
    }
}
