//! Use cases of the orders domain: placing an order (idempotent by the checkout's saga id,
//! numbered without gaps), its lifecycle, and the batched reads behind the GraphQL fields.
//! Placing and every change of status publish an event in their transaction; placed orders
//! are confirmed by mail (`confirmation`).

mod confirmation;
mod error;
mod idempotent;
mod lifecycle;
mod payments;
mod place;
mod remote;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use commerce_kernel::Currency;
use commerce_kernel::events::Outbox;
use commerce_kernel::pagination::{Page, PageRequest};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction};

pub use confirmation::OrderConfirmations;
pub use error::OrderError;
pub use lifecycle::Fulfill;
pub use payments::ReturnLines;
pub use remote::Remote;

use crate::domain::events::OrderStatusChanged;
use crate::domain::{
    Actor, Fulfillment, FulfillmentId, NewEvent, Order, OrderEvent, OrderFilter, OrderId,
    OrderLine, OrderSort, OrderStatus,
};
use crate::store::{self, Amounts};

#[derive(Clone)]
pub struct OrdersService {
    db: DatabaseConnection,
    remote: Remote,
}

/// Current time at the database's precision (microseconds), so cursors round-trip exactly.
pub fn now() -> DateTime<Utc> {
    let micros = Utc::now().timestamp_micros();
    DateTime::from_timestamp_micros(micros).expect("the current time is in range")
}

impl OrdersService {
    /// The service over its database, calling payments and inventory through `remote`.
    pub fn new(db: DatabaseConnection, remote: Remote) -> Self {
        Self { db, remote }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub async fn order(&self, id: OrderId) -> Result<Option<Order>, OrderError> {
        store::find_order(&self.db, id).await
    }

    /// Orders by id in one query, for DataLoaders and entity batches.
    pub async fn orders(&self, ids: &[OrderId]) -> Result<Vec<Order>, OrderError> {
        store::find_orders(&self.db, ids).await
    }

    /// Orders by number in one query.
    pub async fn orders_by_number(&self, numbers: &[i64]) -> Result<Vec<Order>, OrderError> {
        store::find_by_numbers(&self.db, numbers).await
    }

    /// The lines of a batch of orders (given with their currencies), in one query.
    pub async fn lines(
        &self,
        orders: &HashMap<OrderId, Currency>,
    ) -> Result<HashMap<OrderId, Vec<OrderLine>>, OrderError> {
        store::lines_of(&self.db, orders).await
    }

    /// The timelines of a batch of orders, in one query.
    pub async fn timelines(
        &self,
        orders: &[OrderId],
    ) -> Result<HashMap<OrderId, Vec<OrderEvent>>, OrderError> {
        store::events_of(&self.db, orders).await
    }

    /// The fulfillments of a batch of orders, in two queries.
    pub async fn fulfillments(
        &self,
        orders: &[OrderId],
    ) -> Result<HashMap<OrderId, Vec<Fulfillment>>, OrderError> {
        store::fulfillments_of(&self.db, orders).await
    }

    pub async fn fulfillment(&self, id: FulfillmentId) -> Result<Option<Fulfillment>, OrderError> {
        store::fulfillment(&self.db, id).await
    }

    /// A page of the orders matching `filter`, with how many match in all.
    pub async fn search(
        &self,
        filter: &OrderFilter,
        sort: OrderSort,
        request: &PageRequest,
    ) -> Result<(Page<Order>, i64), OrderError> {
        let page = store::page(&self.db, filter, sort, request).await?;
        let total = store::count(&self.db, filter).await?;
        Ok((page, total))
    }
}

/// The order `id` inside a transaction, or `OrderNotFound`.
async fn load(conn: &impl ConnectionTrait, id: OrderId) -> Result<Order, OrderError> {
    store::find_order(conn, id)
        .await?
        .ok_or_else(|| OrderError::OrderNotFound { id: id.global() })
}

/// Applies a checked status change (or, with `to == order.status`, a change that keeps the
/// status) to the order as it was read, appends `events` to its timeline, and returns the
/// order as it is now. A concurrent change of the order in between is a `Concurrent` error.
///
/// A change of status also publishes `orders.order_status_changed`, in the same transaction.
async fn apply(
    txn: &DatabaseTransaction,
    order: &Order,
    to: OrderStatus,
    amounts: Amounts,
    actor: &Actor,
    events: &[NewEvent],
    at: DateTime<Utc>,
) -> Result<Order, OrderError> {
    if !store::transition(txn, order, to, amounts, at).await? {
        return Err(OrderError::Concurrent {
            id: order.id.global(),
        });
    }
    store::insert_events(txn, order.id, actor, events, at).await?;
    if to != order.status {
        Outbox::append(txn, &OrderStatusChanged::new(order, to)).await?;
    }
    load(txn, order.id).await
}
