//! Placing an order: the checkout saga's last write. The saga id is the idempotency key, so a
//! retried or concurrent placement returns the order the first one made.

use anyhow::Context as _;
use commerce_kernel::db::begin_write;
use commerce_kernel::events::Outbox;
use commerce_kernel::idempotency;

use serde_json::json;
use tracing::instrument;

use super::error::retrying;
use super::{OrderError, OrdersService, load, now};
use crate::domain::events::OrderPlaced;
use crate::domain::{Actor, EventKind, IdempotencyKey, NewEvent, NewOrder, Order};
use crate::store;

impl OrdersService {
    /// Places `order` once per `key`: the number comes from a counter row updated in the
    /// order's own transaction, so numbers have no gaps. A replay with the same request
    /// returns the first order; the same key with another request is `KeyReused`.
    #[instrument(skip_all, fields(key = key.as_str()))]
    pub async fn place(
        &self,
        key: &IdempotencyKey,
        order: &NewOrder,
        actor: &Actor,
    ) -> Result<Order, OrderError> {
        let hash = idempotency::request_hash("placeOrder", order)?;
        if let Some(existing) = self.placed(key, &hash).await? {
            return Ok(existing);
        }
        retrying(|| self.place_once(key, order, actor, &hash)).await
    }

    async fn place_once(
        &self,
        key: &IdempotencyKey,
        order: &NewOrder,
        actor: &Actor,
        hash: &str,
    ) -> Result<Order, OrderError> {
        let txn = begin_write(&self.db).await?;
        let at = now();
        // The counter update comes first: it takes the lock that serialises placements
        // (SQLite's write lock, PostgreSQL's row lock) before anything is read.
        let number = store::next_number(&txn).await?;
        let Some(id) = store::insert_order(&txn, number, key.as_str(), hash, order, at).await?
        else {
            // A concurrent placement with this key committed first; the rollback returns
            // the number.
            txn.rollback().await?;
            let placed = self.placed(key, hash).await?;
            return Ok(placed.context("an order key conflicted but no order has it")?);
        };
        store::insert_lines(&txn, id, &order.lines).await?;
        let placed =
            NewEvent::new(EventKind::Placed, format!("Order {number} placed")).with_data(json!({
                "checkoutId": order.checkout_id,
                "total": order.totals.total.to_decimal_string(),
                "currency": order.currency.code(),
            }));
        store::insert_events(&txn, id, actor, &[placed], at).await?;
        let created = load(&txn, id).await?;
        Outbox::append(&txn, &OrderPlaced::of(&created, &order.lines)).await?;
        txn.commit().await?;
        tracing::info!(number, "order placed");
        Ok(created)
    }

    /// The order already placed with `key`, if its request was the same.
    async fn placed(&self, key: &IdempotencyKey, hash: &str) -> Result<Option<Order>, OrderError> {
        match store::find_by_key(&self.db, key.as_str()).await? {
            Some((order, stored)) if stored == hash => Ok(Some(order)),
            Some(_) => Err(OrderError::KeyReused {
                key: key.as_str().to_owned(),
            }),
            None => Ok(None),
        }
    }
}
