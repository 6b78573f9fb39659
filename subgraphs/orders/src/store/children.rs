//! An order's lines, timeline and fulfillments: inserted with their order, read for many
//! orders at once (one query per kind, for the DataLoaders).

use std::collections::HashMap;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use commerce_kernel::{Currency, Money};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::entities::{fulfillment, fulfillment_line, order_event, order_line};
use super::{from_json, from_micros, json, to_micros};
use crate::domain::{
    Actor, EventKind, Fulfillment, FulfillmentId, FulfillmentLine, FulfillmentStatus, NewEvent,
    NewLine, OrderError, OrderEvent, OrderId, OrderLine, OrderLineId,
};

pub async fn insert_lines(
    conn: &impl ConnectionTrait,
    order_id: OrderId,
    lines: &[NewLine],
) -> Result<(), OrderError> {
    let rows = lines
        .iter()
        .enumerate()
        .map(|(position, line)| order_line::ActiveModel {
            order_id: Set(order_id.0),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            variant_id: Set(line.variant_id.clone()),
            product_id: Set(line.product_id.clone()),
            sku: Set(line.sku.clone()),
            product_name: Set(line.product_name.clone()),
            variant_name: Set(line.variant_name.clone()),
            quantity: Set(line.quantity),
            unit_price: Set(line.unit_price.amount),
            discount: Set(line.discount.amount),
            tax: Set(line.tax.amount),
            total: Set(line.total.amount),
            fulfilled_quantity: Set(0),
            returned_quantity: Set(0),
            ..Default::default()
        });
    order_line::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The lines of these orders in their cart order, in one query. `currencies` gives each
/// order's currency (lines store minor units only).
pub async fn lines_of(
    conn: &impl ConnectionTrait,
    currencies: &HashMap<OrderId, Currency>,
) -> Result<HashMap<OrderId, Vec<OrderLine>>, OrderError> {
    let rows = order_line::Entity::find()
        .filter(order_line::Column::OrderId.is_in(currencies.keys().map(|id| id.0)))
        .order_by_asc(order_line::Column::OrderId)
        .order_by_asc(order_line::Column::Position)
        .all(conn)
        .await?;
    let mut lines: HashMap<OrderId, Vec<OrderLine>> = HashMap::new();
    for row in rows {
        let order_id = OrderId(row.order_id);
        let currency = *currencies
            .get(&order_id)
            .context("a line of an order that was not asked for")?;
        let money = |amount| Money::new(amount, currency);
        lines.entry(order_id).or_default().push(OrderLine {
            id: OrderLineId(row.id),
            order_id,
            variant_id: row.variant_id,
            product_id: row.product_id,
            sku: row.sku,
            product_name: row.product_name,
            variant_name: row.variant_name,
            quantity: row.quantity,
            unit_price: money(row.unit_price),
            discount: money(row.discount),
            tax: money(row.tax),
            total: money(row.total),
            fulfilled_quantity: row.fulfilled_quantity,
            returned_quantity: row.returned_quantity,
        });
    }
    Ok(lines)
}

/// Sets a line's fulfilled quantity if it is still `from`; whether it did.
pub async fn set_fulfilled(
    conn: &impl ConnectionTrait,
    line: OrderLineId,
    from: i64,
    to: i64,
) -> Result<bool, OrderError> {
    let result = order_line::Entity::update_many()
        .col_expr(order_line::Column::FulfilledQuantity, Expr::value(to))
        .filter(order_line::Column::Id.eq(line.0))
        .filter(order_line::Column::FulfilledQuantity.eq(from))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Sets a line's returned quantity if it is still `from`; whether it did.
pub async fn set_returned(
    conn: &impl ConnectionTrait,
    line: OrderLineId,
    from: i64,
    to: i64,
) -> Result<bool, OrderError> {
    let result = order_line::Entity::update_many()
        .col_expr(order_line::Column::ReturnedQuantity, Expr::value(to))
        .filter(order_line::Column::Id.eq(line.0))
        .filter(order_line::Column::ReturnedQuantity.eq(from))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn insert_events(
    conn: &impl ConnectionTrait,
    order_id: OrderId,
    actor: &Actor,
    events: &[NewEvent],
    at: DateTime<Utc>,
) -> Result<(), OrderError> {
    if events.is_empty() {
        return Ok(());
    }
    let rows = events
        .iter()
        .map(|event| {
            Ok(order_event::ActiveModel {
                order_id: Set(order_id.0),
                at: Set(to_micros(at)),
                actor: Set(actor.0.clone()),
                kind: Set(event.kind.as_str().to_owned()),
                message: Set(event.message.clone()),
                data: Set(event.data.as_ref().map(json).transpose()?),
                ..Default::default()
            })
        })
        .collect::<Result<Vec<_>, OrderError>>()?;
    order_event::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The timelines of these orders, oldest event first, in one query.
pub async fn events_of(
    conn: &impl ConnectionTrait,
    orders: &[OrderId],
) -> Result<HashMap<OrderId, Vec<OrderEvent>>, OrderError> {
    let rows = order_event::Entity::find()
        .filter(order_event::Column::OrderId.is_in(orders.iter().map(|id| id.0)))
        .order_by_asc(order_event::Column::OrderId)
        .order_by_asc(order_event::Column::Id)
        .all(conn)
        .await?;
    let mut events: HashMap<OrderId, Vec<OrderEvent>> = HashMap::new();
    for row in rows {
        let kind = EventKind::from_stored(&row.kind)
            .with_context(|| format!("event {} has kind {:?}", row.id, row.kind))?;
        events
            .entry(OrderId(row.order_id))
            .or_default()
            .push(OrderEvent {
                id: row.id,
                order_id: OrderId(row.order_id),
                at: from_micros(row.at),
                actor: row.actor,
                kind,
                message: row.message,
                data: row
                    .data
                    .as_deref()
                    .map(|text| from_json("event data", text))
                    .transpose()?,
            });
    }
    Ok(events)
}

/// Stores a fulfillment with its lines; returns its id.
pub async fn insert_fulfillment(
    conn: &impl ConnectionTrait,
    order_id: OrderId,
    warehouse_id: &str,
    tracking_numbers: &[String],
    lines: &[FulfillmentLine],
    at: DateTime<Utc>,
) -> Result<FulfillmentId, OrderError> {
    let row = fulfillment::ActiveModel {
        order_id: Set(order_id.0),
        warehouse_id: Set(warehouse_id.to_owned()),
        status: Set(FulfillmentStatus::Fulfilled.as_str().to_owned()),
        tracking_numbers: Set(json(&tracking_numbers)?),
        created_at: Set(to_micros(at)),
        shipped_at: Set(None),
        ..Default::default()
    };
    let id = fulfillment::Entity::insert(row)
        .exec(conn)
        .await?
        .last_insert_id;
    let rows = lines.iter().map(|line| fulfillment_line::ActiveModel {
        fulfillment_id: Set(id),
        order_line_id: Set(line.order_line_id.0),
        quantity: Set(line.quantity),
        ..Default::default()
    });
    fulfillment_line::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(FulfillmentId(id))
}

/// Marks a fulfillment shipped (with its tracking numbers) if it was not yet; whether it did.
pub async fn ship_fulfillment(
    conn: &impl ConnectionTrait,
    id: FulfillmentId,
    tracking_numbers: &[String],
    at: DateTime<Utc>,
) -> Result<bool, OrderError> {
    let result = fulfillment::Entity::update_many()
        .col_expr(
            fulfillment::Column::Status,
            Expr::value(FulfillmentStatus::Shipped.as_str()),
        )
        .col_expr(
            fulfillment::Column::TrackingNumbers,
            Expr::value(json(&tracking_numbers)?),
        )
        .col_expr(fulfillment::Column::ShippedAt, Expr::value(to_micros(at)))
        .filter(fulfillment::Column::Id.eq(id.0))
        .filter(fulfillment::Column::Status.eq(FulfillmentStatus::Fulfilled.as_str()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Marks every shipped fulfillment of an order delivered.
pub async fn deliver_fulfillments(
    conn: &impl ConnectionTrait,
    order_id: OrderId,
) -> Result<(), OrderError> {
    fulfillment::Entity::update_many()
        .col_expr(
            fulfillment::Column::Status,
            Expr::value(FulfillmentStatus::Delivered.as_str()),
        )
        .filter(fulfillment::Column::OrderId.eq(order_id.0))
        .filter(fulfillment::Column::Status.eq(FulfillmentStatus::Shipped.as_str()))
        .exec(conn)
        .await?;
    Ok(())
}

/// One fulfillment with its lines.
pub async fn fulfillment(
    conn: &impl ConnectionTrait,
    id: FulfillmentId,
) -> Result<Option<Fulfillment>, OrderError> {
    let Some(row) = fulfillment::Entity::find_by_id(id.0).one(conn).await? else {
        return Ok(None);
    };
    let order_id = OrderId(row.order_id);
    let mut all = with_lines(conn, vec![row]).await?;
    Ok(all.remove(&order_id).and_then(|mut list| list.pop()))
}

/// The fulfillments of these orders, oldest first: two queries whatever the number of orders.
pub async fn fulfillments_of(
    conn: &impl ConnectionTrait,
    orders: &[OrderId],
) -> Result<HashMap<OrderId, Vec<Fulfillment>>, OrderError> {
    let rows = fulfillment::Entity::find()
        .filter(fulfillment::Column::OrderId.is_in(orders.iter().map(|id| id.0)))
        .order_by_asc(fulfillment::Column::OrderId)
        .order_by_asc(fulfillment::Column::Id)
        .all(conn)
        .await?;
    with_lines(conn, rows).await
}

async fn with_lines(
    conn: &impl ConnectionTrait,
    rows: Vec<fulfillment::Model>,
) -> Result<HashMap<OrderId, Vec<Fulfillment>>, OrderError> {
    let mut result: HashMap<OrderId, Vec<Fulfillment>> = HashMap::new();
    if rows.is_empty() {
        return Ok(result);
    }
    let line_rows = fulfillment_line::Entity::find()
        .filter(fulfillment_line::Column::FulfillmentId.is_in(rows.iter().map(|row| row.id)))
        .order_by_asc(fulfillment_line::Column::Id)
        .all(conn)
        .await?;
    let mut lines: HashMap<i64, Vec<FulfillmentLine>> = HashMap::new();
    for line in line_rows {
        lines
            .entry(line.fulfillment_id)
            .or_default()
            .push(FulfillmentLine {
                order_line_id: OrderLineId(line.order_line_id),
                quantity: line.quantity,
            });
    }
    for row in rows {
        let status = FulfillmentStatus::from_stored(&row.status)
            .with_context(|| format!("fulfillment {} has status {:?}", row.id, row.status))?;
        result
            .entry(OrderId(row.order_id))
            .or_default()
            .push(Fulfillment {
                id: FulfillmentId(row.id),
                order_id: OrderId(row.order_id),
                warehouse_id: row.warehouse_id,
                status,
                tracking_numbers: from_json("tracking numbers", &row.tracking_numbers)?,
                created_at: from_micros(row.created_at),
                shipped_at: row.shipped_at.map(from_micros),
                lines: lines.remove(&row.id).unwrap_or_default(),
            });
    }
    Ok(result)
}
