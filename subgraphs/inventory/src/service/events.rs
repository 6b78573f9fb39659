//! Stock changes as events: every write that moves stock records its movements and, in the
//! same transaction, one `inventory.stock_changed` per variant (and `inventory.stock_low` when
//! it falls below the threshold).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use commerce_kernel::events::{NewEvent, Outbox};
use sea_orm::DatabaseTransaction;

use super::InventoryError;
use crate::domain::events::{Move, stock_events};
use crate::domain::{MovementKind, VariantId};
use crate::store::movements::{self, NewMovement};
use crate::store::stock;

/// Below this many available units a variant's stock is low, unless configured otherwise.
pub const DEFAULT_LOW_STOCK_THRESHOLD: i64 = 5;

/// Appends `moves` to the movement log and publishes the variants' new stock, inside `txn`,
/// after the stock rows were changed. All moves of one call share their kind.
pub(super) async fn record(
    txn: &DatabaseTransaction,
    moves: &[NewMovement<'_>],
    now: DateTime<Utc>,
    low_stock: i64,
) -> Result<(), InventoryError> {
    let Some(first) = moves.first() else {
        return Ok(());
    };
    movements::record(txn, moves, now).await?;
    let kind: MovementKind = first.kind;
    // Variant order: the aggregates' sequence rows are locked in one order by every writer.
    let mut by_variant: BTreeMap<&VariantId, Vec<Move>> = BTreeMap::new();
    for m in moves {
        by_variant.entry(m.variant).or_default().push((
            m.warehouse,
            m.on_hand_delta,
            m.reserved_delta,
        ));
    }
    let variants: Vec<VariantId> = by_variant.keys().map(|v| (*v).clone()).collect();
    let levels = stock::stored_levels(txn, &variants).await?;
    let mut events = Vec::with_capacity(by_variant.len());
    for (variant, variant_moves) in &by_variant {
        let after: Vec<_> = levels
            .iter()
            .filter(|l| &l.variant_id == *variant)
            .collect();
        let (changed, low) = stock_events(variant, kind, &after, variant_moves, low_stock);
        events.push(NewEvent::of(&changed)?);
        if let Some(low) = low {
            events.push(NewEvent::of(&low)?);
        }
    }
    Outbox::append_all(txn, events).await?;
    Ok(())
}
