//! Repository functions over the orders tables: the only module that knows their layout.
//! Every function takes any connection or transaction, so the service decides the boundaries.
//! Status changes are conditional updates (`WHERE status = <from>`), so concurrent changes of
//! one order never both apply.

mod children;
mod entities;
mod search;

pub use children::{
    deliver_fulfillments, events_of, fulfillment, fulfillments_of, insert_events,
    insert_fulfillment, insert_lines, lines_of, set_fulfilled, set_returned, ship_fulfillment,
};
pub use search::{count, page};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use commerce_kernel::{Currency, Money};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter};

use crate::domain::{NewOrder, Order, OrderError, OrderId, OrderStatus, Totals};
use entities::order;

/// Times are stored as Unix microseconds (see the migration for why).
pub fn to_micros(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

pub fn from_micros(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, OrderError> {
    Ok(serde_json::to_string(value).context("serializing a stored copy")?)
}

fn from_json<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> Result<T, OrderError> {
    Ok(serde_json::from_str(text).with_context(|| format!("reading stored {column}"))?)
}

impl TryFrom<order::Model> for Order {
    type Error = OrderError;

    fn try_from(row: order::Model) -> Result<Self, OrderError> {
        let currency = Currency::parse(&row.currency)
            .with_context(|| format!("order {} has currency {:?}", row.id, row.currency))?;
        let money = |amount| Money::new(amount, currency);
        let status = OrderStatus::from_stored(&row.status)
            .with_context(|| format!("order {} has status {:?}", row.id, row.status))?;
        Ok(Self {
            id: OrderId(row.id),
            number: row.number,
            status,
            currency,
            customer_id: row.customer_id,
            email: row.email,
            placed_at: from_micros(row.placed_at),
            updated_at: from_micros(row.updated_at),
            shipping_address: from_json("shipping_address", &row.shipping_address)?,
            billing_address: from_json("billing_address", &row.billing_address)?,
            shipping_method: row
                .shipping_method
                .as_deref()
                .map(|text| from_json("shipping_method", text))
                .transpose()?,
            totals: Totals {
                subtotal: money(row.subtotal),
                discount_total: money(row.discount_total),
                shipping_total: money(row.shipping_total),
                tax_total: money(row.tax_total),
                total: money(row.total),
                tax_inclusive: row.tax_inclusive,
            },
            coupon_codes: from_json("coupon_codes", &row.coupon_codes)?,
            payment_intent_id: row.payment_intent_id,
            reservation_key: row.reservation_key,
            checkout_id: row.checkout_id,
            captured: money(row.captured_amount),
            refunded: money(row.refunded_amount),
        })
    }
}

fn to_orders(rows: Vec<order::Model>) -> Result<Vec<Order>, OrderError> {
    rows.into_iter().map(Order::try_from).collect()
}

#[derive(FromQueryResult)]
struct Number {
    last_number: i64,
}

/// Takes the next order number. The update locks the counter row until the transaction ends,
/// so concurrent placements take numbers one after the other, and a rollback returns it.
pub async fn next_number(conn: &impl ConnectionTrait) -> Result<i64, OrderError> {
    let column = sea_orm::sea_query::Alias::new("last_number");
    let update = Query::update()
        .table(sea_orm::sea_query::Alias::new("order_counters"))
        .value(column.clone(), Expr::col(column.clone()).add(1))
        .and_where(Expr::col(sea_orm::sea_query::Alias::new("name")).eq("orders"))
        .returning_col(column)
        .to_owned();
    let statement = conn.get_database_backend().build(&update);
    let row = Number::find_by_statement(statement)
        .one(conn)
        .await?
        .context("the order counter row is missing")?;
    Ok(row.last_number)
}

/// Stores a new order under its idempotency key; `None` when the key already has one.
pub async fn insert_order(
    conn: &impl ConnectionTrait,
    number: i64,
    key: &str,
    request_hash: &str,
    order: &NewOrder,
    at: DateTime<Utc>,
) -> Result<Option<OrderId>, OrderError> {
    let totals = &order.totals;
    let row = order::ActiveModel {
        number: Set(number),
        idempotency_key: Set(key.to_owned()),
        request_hash: Set(request_hash.to_owned()),
        checkout_id: Set(order.checkout_id.clone()),
        status: Set(OrderStatus::Placed.as_str().to_owned()),
        currency: Set(order.currency.code().to_owned()),
        customer_id: Set(order.customer_id.clone()),
        email: Set(order.email.clone()),
        placed_at: Set(to_micros(at)),
        updated_at: Set(to_micros(at)),
        shipping_address: Set(json(&order.shipping_address)?),
        billing_address: Set(json(&order.billing_address)?),
        shipping_method: Set(order.shipping_method.as_ref().map(json).transpose()?),
        subtotal: Set(totals.subtotal.amount),
        discount_total: Set(totals.discount_total.amount),
        shipping_total: Set(totals.shipping_total.amount),
        tax_total: Set(totals.tax_total.amount),
        total: Set(totals.total.amount),
        tax_inclusive: Set(totals.tax_inclusive),
        coupon_codes: Set(json(&order.coupon_codes)?),
        payment_intent_id: Set(order.payment_intent_id.clone()),
        reservation_key: Set(order.reservation_key.clone()),
        captured_amount: Set(0),
        refunded_amount: Set(0),
        ..Default::default()
    };
    let inserted = order::Entity::insert(row)
        .on_conflict(
            OnConflict::column(order::Column::IdempotencyKey)
                .do_nothing()
                .to_owned(),
        )
        .exec(conn)
        .await;
    match inserted {
        Ok(result) => Ok(Some(OrderId(result.last_insert_id))),
        Err(DbErr::RecordNotInserted) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// The order placed under an idempotency key, with the hash of the request that placed it.
pub async fn find_by_key(
    conn: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<(Order, String)>, OrderError> {
    let Some(row) = order::Entity::find()
        .filter(order::Column::IdempotencyKey.eq(key))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let hash = row.request_hash.clone();
    Ok(Some((Order::try_from(row)?, hash)))
}

pub async fn find_order(
    conn: &impl ConnectionTrait,
    id: OrderId,
) -> Result<Option<Order>, OrderError> {
    order::Entity::find_by_id(id.0)
        .one(conn)
        .await?
        .map(Order::try_from)
        .transpose()
}

/// The orders with these ids, in one query; unknown ids are left out.
pub async fn find_orders(
    conn: &impl ConnectionTrait,
    ids: &[OrderId],
) -> Result<Vec<Order>, OrderError> {
    let rows = order::Entity::find()
        .filter(order::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(conn)
        .await?;
    to_orders(rows)
}

/// The orders with these numbers, in one query.
pub async fn find_by_numbers(
    conn: &impl ConnectionTrait,
    numbers: &[i64],
) -> Result<Vec<Order>, OrderError> {
    let rows = order::Entity::find()
        .filter(order::Column::Number.is_in(numbers.iter().copied()))
        .all(conn)
        .await?;
    to_orders(rows)
}

/// What a status change also sets on the order.
#[derive(Debug, Clone, Copy, Default)]
pub struct Amounts {
    pub captured: Option<i64>,
    pub refunded: Option<i64>,
}

/// Moves `order` to `to` if it is still as it was read (same status, amounts and update
/// time); whether it did. The whole read state is the condition, so of two concurrent changes
/// of one order (two refunds, two fulfillments) only the first applies.
pub async fn transition(
    conn: &impl ConnectionTrait,
    order: &Order,
    to: OrderStatus,
    amounts: Amounts,
    at: DateTime<Utc>,
) -> Result<bool, OrderError> {
    let mut update = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(to.as_str()))
        .col_expr(order::Column::UpdatedAt, Expr::value(to_micros(at)))
        .filter(order::Column::Id.eq(order.id.0))
        .filter(order::Column::Status.eq(order.status.as_str()))
        .filter(order::Column::UpdatedAt.eq(to_micros(order.updated_at)))
        .filter(order::Column::CapturedAmount.eq(order.captured.amount))
        .filter(order::Column::RefundedAmount.eq(order.refunded.amount));
    if let Some(captured) = amounts.captured {
        update = update.col_expr(order::Column::CapturedAmount, Expr::value(captured));
    }
    if let Some(refunded) = amounts.refunded {
        update = update.col_expr(order::Column::RefundedAmount, Expr::value(refunded));
    }
    let result = update.exec(conn).await?;
    Ok(result.rows_affected == 1)
}
