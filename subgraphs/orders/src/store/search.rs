//! Order lists: the staff search and a customer's orders, as keyset pages over
//! `(sort key, id)` with every filter in the `WHERE`.

use commerce_kernel::pagination::{Cursor, Direction, Page, PageRequest};
use sea_orm::sea_query::Order as SqlOrder;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use super::entities::order;
use super::{to_micros, to_orders};
use crate::domain::{Order, OrderError, OrderFilter, OrderSort, SortField};

fn filtered(filter: &OrderFilter) -> Select<order::Entity> {
    use order::Column as C;
    let mut select = order::Entity::find();
    if !filter.statuses.is_empty() {
        select = select.filter(C::Status.is_in(filter.statuses.iter().map(|s| s.as_str())));
    }
    if let Some(from) = filter.placed_from {
        select = select.filter(C::PlacedAt.gte(to_micros(from)));
    }
    if let Some(to) = filter.placed_to {
        select = select.filter(C::PlacedAt.lte(to_micros(to)));
    }
    if let Some(customer) = &filter.customer_id {
        select = select.filter(C::CustomerId.eq(customer.as_str()));
    }
    for (bound, at_least) in [(filter.total_min, true), (filter.total_max, false)] {
        if let Some(bound) = bound {
            select = select.filter(C::Currency.eq(bound.currency.code()));
            select = select.filter(if at_least {
                C::Total.gte(bound.amount)
            } else {
                C::Total.lte(bound.amount)
            });
        }
    }
    if let Some(number) = filter.number {
        select = select.filter(C::Number.eq(number));
    }
    if let Some(email) = &filter.email {
        select = select.filter(C::Email.eq(email.as_str()));
    }
    select
}

fn column(field: SortField) -> order::Column {
    match field {
        SortField::Number => order::Column::Number,
        SortField::PlacedAt => order::Column::PlacedAt,
        SortField::Total => order::Column::Total,
    }
}

/// The rows strictly after `cursor` when reading in descending (or ascending) order.
fn beyond(field: SortField, cursor: &Cursor, descending: bool) -> Result<Condition, OrderError> {
    let key = cursor.i64_at(0).map_err(OrderError::InvalidPage)?;
    let id = cursor.i64_at(1).map_err(OrderError::InvalidPage)?;
    let column = column(field);
    let (past_key, past_id) = if descending {
        (column.lt(key), order::Column::Id.lt(id))
    } else {
        (column.gt(key), order::Column::Id.gt(id))
    };
    Ok(Condition::any()
        .add(past_key)
        .add(Condition::all().add(column.eq(key)).add(past_id)))
}

/// One page of the orders matching `filter`, in `sort`.
pub async fn page(
    conn: &impl ConnectionTrait,
    filter: &OrderFilter,
    sort: OrderSort,
    request: &PageRequest,
) -> Result<Page<Order>, OrderError> {
    // Reading backward walks the display order in reverse; `Page::from_rows` flips it back.
    let descending = sort.descending == (request.direction == Direction::Forward);
    let mut select = filtered(filter);
    if let Some(cursor) = &request.cursor {
        select = select.filter(beyond(sort.field, cursor, descending)?);
    }
    if let Some(bound) = &request.bound {
        select = select.filter(beyond(sort.field, bound, !descending)?);
    }
    let direction = if descending {
        SqlOrder::Desc
    } else {
        SqlOrder::Asc
    };
    let rows = select
        .order_by(column(sort.field), direction.clone())
        .order_by(order::Column::Id, direction)
        .limit(request.fetch_limit())
        .all(conn)
        .await?;
    Ok(Page::from_rows(to_orders(rows)?, request))
}

/// How many orders match `filter`.
pub async fn count(conn: &impl ConnectionTrait, filter: &OrderFilter) -> Result<i64, OrderError> {
    let count = filtered(filter).count(conn).await?;
    Ok(i64::try_from(count).map_err(anyhow::Error::from)?)
}
