//! The events inventory publishes (stream `inventory`), documented in `docs/events.md`, and
//! the rule for when stock counts as low.

use commerce_kernel::events::Event;
use serde::{Deserialize, Serialize};

use super::{MovementKind, StockLevel, VariantId, WarehouseId};

/// A variant's stock changed: its totals over every warehouse afterwards, and what moved.
/// Counts are as stored: units held by a lapsed reservation stay reserved until it is swept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockChanged {
    pub variant_id: String,
    /// What moved the stock: `SET`, `ADJUST`, `RESERVE`, `RELEASE`, `COMMIT`, `EXPIRE` or
    /// `RESTOCK` (as the movement log says).
    pub reason: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    pub changes: Vec<WarehouseChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WarehouseChange {
    pub warehouse_id: String,
    pub on_hand_delta: i64,
    pub reserved_delta: i64,
}

impl Event for StockChanged {
    const TYPE: &'static str = "inventory.stock_changed";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        self.variant_id.clone()
    }
}

/// A variant's available units fell below the low-stock threshold (`low_stock_threshold`);
/// published once as it crosses, again only after it has been back at or above.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockLow {
    pub variant_id: String,
    pub available: i64,
    pub threshold: i64,
}

impl Event for StockLow {
    const TYPE: &'static str = "inventory.stock_low";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        self.variant_id.clone()
    }
}

/// One warehouse's part of a change: (warehouse, on hand delta, reserved delta).
pub type Move = (WarehouseId, i64, i64);

/// The events of one variant's change, given its levels after the change (every warehouse)
/// and the moves that made them.
pub fn stock_events(
    variant: &VariantId,
    reason: MovementKind,
    after: &[&StockLevel],
    moves: &[Move],
    threshold: i64,
) -> (StockChanged, Option<StockLow>) {
    let on_hand: i64 = after.iter().map(|level| level.on_hand).sum();
    let reserved: i64 = after.iter().map(|level| level.reserved).sum();
    let available = (on_hand - reserved).max(0);
    let moved: i64 = moves
        .iter()
        .map(|(_, on_hand, reserved)| on_hand - reserved)
        .sum();
    let before = (on_hand - reserved - moved).max(0);
    let low = (before >= threshold && available < threshold).then(|| StockLow {
        variant_id: variant.as_str().to_owned(),
        available,
        threshold,
    });
    let changed = StockChanged {
        variant_id: variant.as_str().to_owned(),
        reason: reason.as_str().to_uppercase(),
        on_hand,
        reserved,
        available,
        changes: moves
            .iter()
            .map(
                |&(warehouse, on_hand_delta, reserved_delta)| WarehouseChange {
                    warehouse_id: warehouse.global(),
                    on_hand_delta,
                    reserved_delta,
                },
            )
            .collect(),
    };
    (changed, low)
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use commerce_kernel::GlobalId;

    use super::*;

    fn level(warehouse: i64, on_hand: i64, reserved: i64) -> StockLevel {
        StockLevel {
            variant_id: variant(),
            warehouse_id: WarehouseId(warehouse),
            on_hand,
            reserved,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    fn variant() -> VariantId {
        VariantId::parse(&GlobalId::encode("ProductVariant", 1)).expect("a variant id")
    }

    #[test]
    fn totals_cover_every_warehouse_and_low_stock_fires_only_when_crossing() {
        let (a, b) = (level(1, 10, 4), level(2, 3, 0));
        // 2 reserved in warehouse 1: available 9 → 7 with a threshold of 8 crosses.
        let (changed, low) = stock_events(
            &variant(),
            MovementKind::Reserve,
            &[&a, &b],
            &[(WarehouseId(1), 0, 2)],
            8,
        );
        assert_eq!(
            (changed.on_hand, changed.reserved, changed.available),
            (13, 4, 9)
        );
        assert_eq!(changed.reason, "RESERVE");
        assert_eq!(changed.changes[0].warehouse_id, WarehouseId(1).global());
        assert_eq!(low, None, "9 is not below 8");
        let (_, low) = stock_events(
            &variant(),
            MovementKind::Reserve,
            &[&a, &b],
            &[(WarehouseId(1), 0, 2)],
            10,
        );
        assert_eq!(
            low.map(|l| (l.available, l.threshold)),
            Some((9, 10)),
            "11 → 9 crosses 10"
        );
        // Already below before the change: no second alert.
        let (_, low) = stock_events(
            &variant(),
            MovementKind::Reserve,
            &[&a, &b],
            &[(WarehouseId(1), 0, 2)],
            20,
        );
        assert_eq!(low, None);
        // Going back up never alerts.
        let (_, low) = stock_events(
            &variant(),
            MovementKind::Release,
            &[&a, &b],
            &[(WarehouseId(1), 0, -2)],
            10,
        );
        assert_eq!(low, None);
    }
}
