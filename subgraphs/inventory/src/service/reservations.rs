//! The reserve / release / commit cycle checkout uses. A reservation holds units until it is
//! committed (they ship), released, or it expires; expired reservations stop counting at once
//! for readers and are released by the sweeper or by the next write that touches their stock.

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::{DateTime, Utc};
use commerce_kernel::db::begin_write;
use commerce_kernel::idempotency;
use sea_orm::DatabaseTransaction;
use serde::Serialize;

use super::error::retrying;
use super::idempotent::run_once;
use super::{InventoryError, InventoryService, events};
use crate::domain::{
    Availability, IdempotencyKey, MovementKind, Quantity, Reservation, ReservationLine,
    ReservationStatus, ReservationTtl, VariantId, WarehouseId,
};
use crate::store::movements::NewMovement;
use crate::store::reservations::{self as store, Expiry, Lookup};
use crate::store::stock;

/// Most lines one reservation may hold (a checkout's cart lines).
pub const MAX_LINES: usize = 100;
/// Re-reads of a variant's stock after losing a race for a warehouse. Each lost race means a
/// competitor committed a change to that row, so this only bounds pathological churn.
const ALLOCATION_ROUNDS: usize = 64;
/// How many lapsed reservations one sweep releases.
const SWEEP_BATCH: u64 = 500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReserveLine {
    pub variant: VariantId,
    pub quantity: Quantity,
}

impl InventoryService {
    /// Reserves every line or nothing, for `ttl`. `key` makes retries safe: a replay returns
    /// the reservation it made; the same key with other lines is a conflict.
    pub async fn reserve(
        &self,
        key: &IdempotencyKey,
        lines: Vec<ReserveLine>,
        ttl: ReservationTtl,
    ) -> Result<Reservation, InventoryError> {
        let lines = merge_lines(lines)?;
        let variants: Vec<VariantId> = lines.iter().map(|l| l.variant.clone()).collect();
        self.expire_lapsed_of(&variants).await?;
        let hash = idempotency::request_hash("reserve", &(&lines, ttl.millis()))?;
        let reservation = retrying(|| self.reserve_once(key, &lines, ttl, &hash)).await?;
        self.evict_stock(&variants).await;
        Ok(reservation)
    }

    async fn reserve_once(
        &self,
        key: &IdempotencyKey,
        lines: &[ReserveLine],
        ttl: ReservationTtl,
        hash: &str,
    ) -> Result<Reservation, InventoryError> {
        let txn = begin_write(&self.db).await?;
        let now = self.clock.now();
        let expires_at = now + chrono::Duration::milliseconds(ttl.millis());
        let Some(id) = store::claim(&txn, key.as_str(), hash, expires_at, now).await? else {
            return self.replay_reservation(&txn, key, hash, now).await;
        };
        let mut taken = Vec::new();
        for line in lines {
            taken.extend(take_stock(&txn, line, now).await?);
        }
        store::insert_lines(&txn, id, &taken).await?;
        let kind = MovementKind::Reserve;
        record_movements(&txn, id, &taken, kind, now, self.low_stock).await?;
        txn.commit().await?;
        Ok(Reservation {
            id,
            key: key.as_str().to_owned(),
            status: ReservationStatus::Active,
            expires_at,
            created_at: now,
            lines: taken,
        })
    }

    async fn replay_reservation(
        &self,
        txn: &DatabaseTransaction,
        key: &IdempotencyKey,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Reservation, InventoryError> {
        let stored = store::find_by_key(txn, key.as_str())
            .await?
            .context("a claimed reservation key has no reservation")?;
        if stored.request_hash != hash {
            return Err(InventoryError::KeyReused {
                key: key.as_str().to_owned(),
            });
        }
        let mut reservation = stored.reservation;
        reservation.status = reservation.effective_status(now);
        Ok(reservation)
    }

    /// Gives the units back. Releasing twice, or releasing an expired reservation, is fine;
    /// releasing a committed one is a conflict.
    pub async fn release(&self, key: &str) -> Result<Reservation, InventoryError> {
        let reservation = retrying(|| self.close_once(key, ReservationStatus::Released)).await?;
        self.evict_reserved(&reservation).await;
        Ok(reservation)
    }

    /// Ships the reserved units: on hand and reserved both drop. Only a live reservation can
    /// be committed; committing twice returns the committed reservation.
    pub async fn commit(&self, key: &str) -> Result<Reservation, InventoryError> {
        let reservation = retrying(|| self.close_once(key, ReservationStatus::Committed)).await?;
        self.evict_reserved(&reservation).await;
        Ok(reservation)
    }

    /// Forgets the cached stock of a reservation's variants after a write changed it.
    async fn evict_reserved(&self, reservation: &Reservation) {
        self.evict_stock(reservation.lines.iter().map(|line| &line.variant_id))
            .await;
    }

    async fn close_once(
        &self,
        key: &str,
        to: ReservationStatus,
    ) -> Result<Reservation, InventoryError> {
        let txn = begin_write(&self.db).await?;
        let now = self.clock.now();
        let expiry = match to {
            ReservationStatus::Committed => Expiry::LiveAt(now),
            _ => Expiry::Any,
        };
        let closed = store::close(&txn, Lookup::Key(key), to, expiry).await?;
        let stored = store::find_by_key(&txn, key)
            .await?
            .ok_or_else(|| InventoryError::ReservationNotFound(key.to_owned()))?;
        let mut reservation = stored.reservation;
        if closed.is_none() {
            return already_closed(reservation, to, now);
        }
        let kind = match to {
            ReservationStatus::Committed => MovementKind::Commit,
            _ => MovementKind::Release,
        };
        let lines = &reservation.lines;
        give_back(&txn, reservation.id, lines, kind, now, self.low_stock).await?;
        txn.commit().await?;
        reservation.status = to;
        Ok(reservation)
    }

    /// Puts a committed reservation's units back on hand (a cancelled order), once: each unit
    /// comes back with a `restock` movement and the reservation becomes `returned`. A
    /// reservation still active (its order was cancelled before checkout committed it) is
    /// released instead; a released, expired or returned one is left as it is. `idempotency`
    /// makes retries return the first result.
    pub async fn return_units(
        &self,
        idempotency: &IdempotencyKey,
        key: &str,
    ) -> Result<Reservation, InventoryError> {
        let key = key.to_owned();
        let low_stock = self.low_stock;
        let reservation = run_once(
            &self.db,
            &self.clock,
            idempotency,
            "returnReservation",
            &key,
            |txn, now| {
                let key = key.clone();
                Box::pin(async move { return_units_in(txn, &key, now, low_stock).await })
            },
        )
        .await?;
        self.evict_reserved(&reservation).await;
        Ok(reservation)
    }

    /// Releases lapsed reservations, up to a batch; returns how many. The sweeper calls this
    /// on a timer.
    pub async fn expire_lapsed(&self) -> Result<usize, InventoryError> {
        self.expire(None).await
    }

    /// Releases lapsed reservations holding any of `variants`, before a write checks them.
    pub(super) async fn expire_lapsed_of(
        &self,
        variants: &[VariantId],
    ) -> Result<usize, InventoryError> {
        self.expire(Some(variants)).await
    }

    async fn expire(&self, variants: Option<&[VariantId]>) -> Result<usize, InventoryError> {
        let now = self.clock.now();
        let ids = store::lapsed(&self.db, now, variants, SWEEP_BATCH).await?;
        let mut expired = 0;
        for id in ids {
            if retrying(|| self.expire_one(id)).await? {
                expired += 1;
            }
        }
        Ok(expired)
    }

    async fn expire_one(&self, id: i64) -> Result<bool, InventoryError> {
        let txn = begin_write(&self.db).await?;
        let now = self.clock.now();
        let expired = ReservationStatus::Expired;
        if store::close(&txn, Lookup::Id(id), expired, Expiry::LapsedAt(now))
            .await?
            .is_none()
        {
            return Ok(false);
        }
        let lines = store::lines_of(&txn, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        give_back(&txn, id, &lines, MovementKind::Expire, now, self.low_stock).await?;
        txn.commit().await?;
        self.evict_stock(lines.iter().map(|line| &line.variant_id))
            .await;
        Ok(true)
    }
}

async fn return_units_in(
    txn: &DatabaseTransaction,
    key: &str,
    now: DateTime<Utc>,
    low_stock: i64,
) -> Result<Reservation, InventoryError> {
    let stored = store::find_by_key(txn, key)
        .await?
        .ok_or_else(|| InventoryError::ReservationNotFound(key.to_owned()))?;
    let mut reservation = stored.reservation;
    if store::mark_returned(txn, key).await?.is_some() {
        for line in &reservation.lines {
            let (variant, warehouse) = (&line.variant_id, line.warehouse_id);
            if !stock::add_on_hand(txn, variant, warehouse, line.quantity, now).await? {
                let message = format!("reservation {key:?} shipped from a stock row that is gone");
                return Err(anyhow::anyhow!(message).into());
            }
        }
        record_movements(
            txn,
            reservation.id,
            &reservation.lines,
            MovementKind::Restock,
            now,
            low_stock,
        )
        .await?;
        reservation.status = ReservationStatus::Returned;
        return Ok(reservation);
    }
    let closed = store::close(
        txn,
        Lookup::Key(key),
        ReservationStatus::Released,
        Expiry::Any,
    );
    if closed.await?.is_some() {
        give_back(
            txn,
            reservation.id,
            &reservation.lines,
            MovementKind::Release,
            now,
            low_stock,
        )
        .await?;
        reservation.status = ReservationStatus::Released;
        return Ok(reservation);
    }
    reservation.status = reservation.effective_status(now);
    Ok(reservation)
}

/// The answer when a close found the reservation no longer active: fine if it is already in
/// the asked state (or, for a release, expired), a conflict otherwise.
fn already_closed(
    mut reservation: Reservation,
    to: ReservationStatus,
    now: DateTime<Utc>,
) -> Result<Reservation, InventoryError> {
    let status = reservation.effective_status(now);
    let settled =
        status == to || (to == ReservationStatus::Released && status == ReservationStatus::Expired);
    if settled {
        reservation.status = status;
        return Ok(reservation);
    }
    Err(InventoryError::ReservationClosed {
        key: reservation.key,
        status,
    })
}

/// Sums lines of the same variant and sorts them, so that concurrent reservations lock stock
/// rows in one order.
fn merge_lines(lines: Vec<ReserveLine>) -> Result<Vec<ReserveLine>, InventoryError> {
    let bad = |message: String| {
        InventoryError::InvalidInput(commerce_kernel::KernelError::new(
            commerce_kernel::ErrorCode::BadUserInput,
            message,
        ))
    };
    if lines.is_empty() || lines.len() > MAX_LINES {
        return Err(bad(format!("a reservation needs 1-{MAX_LINES} lines")));
    }
    let mut merged: BTreeMap<VariantId, i64> = BTreeMap::new();
    for line in lines {
        *merged.entry(line.variant).or_default() += line.quantity.get();
    }
    merged
        .into_iter()
        .map(|(variant, quantity)| {
            let quantity = Quantity::parse(quantity)?;
            Ok(ReserveLine { variant, quantity })
        })
        .collect()
}

/// Reserves one line's units, from one warehouse if possible. Each reservation is a
/// conditional update; when a concurrent reservation won a warehouse first, the stock is read
/// again and the rest planned anew.
async fn take_stock(
    txn: &DatabaseTransaction,
    line: &ReserveLine,
    now: DateTime<Utc>,
) -> Result<Vec<ReservationLine>, InventoryError> {
    let requested = line.quantity.get();
    let mut taken: BTreeMap<WarehouseId, i64> = BTreeMap::new();
    let mut remaining = requested;
    let mut available = 0;
    for _ in 0..ALLOCATION_ROUNDS {
        // Stored counts, not the reader's view: lapsed holds were swept before this
        // transaction, and planning with what the update checks means a lost race is the only
        // reason an update can fail.
        let levels = stock::stored_levels_of(txn, &line.variant).await?;
        let stock = Availability { levels };
        available = stock.available();
        let Some(plan) = stock.allocate(remaining) else {
            break;
        };
        for (warehouse, quantity) in plan {
            if stock::reserve(txn, &line.variant, warehouse, quantity, now).await? {
                *taken.entry(warehouse).or_default() += quantity;
                remaining -= quantity;
            }
        }
        if remaining == 0 {
            return Ok(taken
                .into_iter()
                .map(|(warehouse_id, quantity)| ReservationLine {
                    variant_id: line.variant.clone(),
                    warehouse_id,
                    quantity,
                })
                .collect());
        }
    }
    Err(InventoryError::InsufficientStock {
        variant: line.variant.clone(),
        warehouse: None,
        requested,
        // Units this attempt took come back when it rolls back.
        available: available + (requested - remaining),
    })
}

/// Undoes a reservation's hold: released and expired units become free, committed ones ship.
async fn give_back(
    txn: &DatabaseTransaction,
    reservation_id: i64,
    lines: &[ReservationLine],
    kind: MovementKind,
    now: DateTime<Utc>,
    low_stock: i64,
) -> Result<(), InventoryError> {
    for line in lines {
        let (variant, warehouse, quantity) = (&line.variant_id, line.warehouse_id, line.quantity);
        let changed = match kind {
            MovementKind::Commit => {
                stock::ship_reserved(txn, variant, warehouse, quantity, now).await?
            }
            _ => stock::unreserve(txn, variant, warehouse, quantity, now).await?,
        };
        if !changed {
            let message = format!("reservation {reservation_id} holds units its stock row lacks");
            return Err(anyhow::anyhow!(message).into());
        }
    }
    store::unhold_lines(txn, reservation_id).await?;
    record_movements(txn, reservation_id, lines, kind, now, low_stock).await
}

async fn record_movements(
    txn: &DatabaseTransaction,
    reservation_id: i64,
    lines: &[ReservationLine],
    kind: MovementKind,
    now: DateTime<Utc>,
    low_stock: i64,
) -> Result<(), InventoryError> {
    let (on_hand_sign, reserved_sign) = match kind {
        MovementKind::Reserve => (0, 1),
        MovementKind::Commit => (-1, -1),
        MovementKind::Restock => (1, 0),
        _ => (0, -1),
    };
    let rows: Vec<NewMovement<'_>> = lines
        .iter()
        .map(|line| NewMovement {
            variant: &line.variant_id,
            warehouse: line.warehouse_id,
            kind,
            on_hand_delta: on_hand_sign * line.quantity,
            reserved_delta: reserved_sign * line.quantity,
            reservation_id: Some(reservation_id),
            note: None,
        })
        .collect();
    events::record(txn, &rows, now, low_stock).await
}

#[cfg(test)]
mod tests {
    use commerce_kernel::GlobalId;

    use super::*;

    fn line(n: i64, quantity: i64) -> ReserveLine {
        ReserveLine {
            variant: VariantId::parse(&GlobalId::encode("ProductVariant", n)).expect("valid id"),
            quantity: Quantity::parse(quantity).expect("valid quantity"),
        }
    }

    fn reservation(status: ReservationStatus, expires_in_seconds: i64) -> Reservation {
        let now = DateTime::UNIX_EPOCH;
        Reservation {
            id: 1,
            key: "k".to_owned(),
            status,
            expires_at: now + chrono::Duration::seconds(expires_in_seconds),
            created_at: now,
            lines: Vec::new(),
        }
    }

    #[test]
    fn lines_of_one_variant_merge_and_sort() {
        let merged = merge_lines(vec![line(2, 1), line(1, 2), line(2, 3)]).expect("valid");
        assert_eq!(merged, vec![line(1, 2), line(2, 4)]);
        assert!(merge_lines(Vec::new()).is_err());
        assert!(merge_lines((0..101).map(|n| line(n, 1)).collect()).is_err());
    }

    #[test]
    fn closing_twice_is_fine_but_crossing_states_is_a_conflict() {
        let now = DateTime::UNIX_EPOCH;
        let committed = reservation(ReservationStatus::Committed, 60);
        let to_commit = already_closed(committed.clone(), ReservationStatus::Committed, now);
        assert_eq!(
            to_commit.map(|r| r.status).ok(),
            Some(ReservationStatus::Committed)
        );
        let to_release = already_closed(committed, ReservationStatus::Released, now);
        assert!(matches!(
            to_release,
            Err(InventoryError::ReservationClosed { .. })
        ));
        // A lapsed reservation counts as released, never as committed.
        let lapsed = reservation(ReservationStatus::Active, -1);
        let released = already_closed(lapsed.clone(), ReservationStatus::Released, now);
        assert_eq!(
            released.map(|r| r.status).ok(),
            Some(ReservationStatus::Expired)
        );
        let committed = already_closed(lapsed, ReservationStatus::Committed, now);
        assert!(matches!(
            committed,
            Err(InventoryError::ReservationClosed { .. })
        ));
    }
}
