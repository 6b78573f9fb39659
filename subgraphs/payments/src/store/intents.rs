//! Payment intents: inserted on authorization, then changed only by compare-and-set updates on
//! a row the transaction has locked.

use chrono::{DateTime, Utc};
use commerce_kernel::Currency;
use commerce_kernel::db::{placeholders, statement};
use commerce_kernel::pagination::{Direction, Page, PageRequest};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Value};

use super::{from_millis, to_millis};
use crate::domain::{CardSummary, IntentId, IntentStatus, PaymentIntent};

const COLUMNS: &str = "id, reference, order_id, customer_id, email, currency, amount_authorized, \
                       amount_captured, amount_refunded, status, provider, provider_reference, \
                       card_brand, card_last4, created_at, updated_at";

#[derive(Debug, FromQueryResult)]
struct Row {
    id: i64,
    reference: String,
    order_id: Option<String>,
    customer_id: Option<String>,
    email: Option<String>,
    currency: String,
    amount_authorized: i64,
    amount_captured: i64,
    amount_refunded: i64,
    status: String,
    provider: String,
    provider_reference: Option<String>,
    card_brand: Option<String>,
    card_last4: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for PaymentIntent {
    type Error = DbErr;

    fn try_from(row: Row) -> Result<Self, DbErr> {
        let corrupt = |what: &str| DbErr::Custom(format!("payment intent {}: {what}", row.id));
        let card = match (row.card_brand, row.card_last4) {
            (Some(brand), Some(last4)) => Some(CardSummary { brand, last4 }),
            _ => None,
        };
        Ok(Self {
            id: IntentId(row.id),
            currency: Currency::parse(&row.currency).map_err(|_| corrupt("unknown currency"))?,
            status: IntentStatus::from_stored(&row.status)
                .ok_or_else(|| corrupt("unknown status"))?,
            reference: row.reference,
            order_id: row.order_id,
            customer_id: row.customer_id,
            email: row.email,
            authorized: row.amount_authorized,
            captured: row.amount_captured,
            refunded: row.amount_refunded,
            provider: row.provider,
            provider_reference: row.provider_reference,
            card,
            created_at: from_millis(row.created_at),
            updated_at: from_millis(row.updated_at),
        })
    }
}

async fn select(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<PaymentIntent>, DbErr> {
    Row::find_by_statement(statement(conn, sql, values))
        .all(conn)
        .await?
        .into_iter()
        .map(PaymentIntent::try_from)
        .collect()
}

/// A new intent's columns; the id is assigned on insert.
pub struct NewIntent<'a> {
    pub reference: &'a str,
    pub customer_id: Option<&'a str>,
    pub email: Option<&'a str>,
    pub currency: Currency,
    pub authorized: i64,
    pub status: IntentStatus,
    pub provider: &'a str,
    pub provider_reference: Option<&'a str>,
    pub card: Option<&'a CardSummary>,
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    intent: &NewIntent<'_>,
    now: DateTime<Utc>,
) -> Result<IntentId, DbErr> {
    let sql = "INSERT INTO payment_intents (reference, customer_id, email, currency, \
               amount_authorized, amount_captured, amount_refunded, status, provider, \
               provider_reference, card_brand, card_last4, created_at, updated_at) \
               VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
    let values = vec![
        intent.reference.into(),
        intent.customer_id.map(str::to_owned).into(),
        intent.email.map(str::to_owned).into(),
        intent.currency.code().into(),
        intent.authorized.into(),
        intent.status.as_str().into(),
        intent.provider.into(),
        intent.provider_reference.map(str::to_owned).into(),
        intent.card.map(|card| card.brand.clone()).into(),
        intent.card.map(|card| card.last4.clone()).into(),
        to_millis(now).into(),
        to_millis(now).into(),
    ];
    let row = conn
        .query_one(statement(conn, sql, values))
        .await?
        .ok_or_else(|| DbErr::Custom("INSERT ... RETURNING gave no row".into()))?;
    Ok(IntentId(row.try_get_by_index(0)?))
}

pub async fn find(
    conn: &impl ConnectionTrait,
    id: IntentId,
) -> Result<Option<PaymentIntent>, DbErr> {
    let sql = format!("SELECT {COLUMNS} FROM payment_intents WHERE id = ?");
    Ok(select(conn, &sql, vec![id.0.into()]).await?.pop())
}

/// Reads an intent and locks its row until the transaction ends, so movements of one intent
/// apply one after the other on fresh amounts. SQLite has no row locks: there the transaction
/// already holds the database's write lock (its first statement was a write).
pub async fn lock(
    conn: &impl ConnectionTrait,
    id: IntentId,
) -> Result<Option<PaymentIntent>, DbErr> {
    let lock = match conn.get_database_backend() {
        DbBackend::Postgres => " FOR UPDATE",
        _ => "",
    };
    let sql = format!("SELECT {COLUMNS} FROM payment_intents WHERE id = ?{lock}");
    Ok(select(conn, &sql, vec![id.0.into()]).await?.pop())
}

/// The intent the provider knows by `reference` (its authorization), locked like [`lock`].
pub async fn lock_by_provider_reference(
    conn: &impl ConnectionTrait,
    provider: &str,
    reference: &str,
) -> Result<Option<PaymentIntent>, DbErr> {
    let lock = match conn.get_database_backend() {
        DbBackend::Postgres => " FOR UPDATE",
        _ => "",
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM payment_intents WHERE provider = ? AND provider_reference = ?{lock}"
    );
    Ok(select(conn, &sql, vec![provider.into(), reference.into()])
        .await?
        .pop())
}

/// Every intent made under `reference`, oldest first, each locked like [`lock`].
pub async fn lock_by_reference(
    conn: &impl ConnectionTrait,
    reference: &str,
) -> Result<Vec<PaymentIntent>, DbErr> {
    let lock = match conn.get_database_backend() {
        DbBackend::Postgres => " FOR UPDATE",
        _ => "",
    };
    let sql =
        format!("SELECT {COLUMNS} FROM payment_intents WHERE reference = ? ORDER BY id{lock}");
    select(conn, &sql, vec![reference.into()]).await
}

/// The intents with these ids, in one query; unknown ids are left out.
pub async fn find_many(
    conn: &impl ConnectionTrait,
    ids: &[IntentId],
) -> Result<Vec<PaymentIntent>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM payment_intents WHERE id IN ({})",
        placeholders(ids.len())
    );
    select(conn, &sql, ids.iter().map(|id| id.0.into()).collect()).await
}

/// The intents attached to any of these orders, oldest first, in one query.
pub async fn of_orders(
    conn: &impl ConnectionTrait,
    order_ids: &[String],
) -> Result<Vec<PaymentIntent>, DbErr> {
    if order_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM payment_intents WHERE order_id IN ({}) ORDER BY id",
        placeholders(order_ids.len())
    );
    select(
        conn,
        &sql,
        order_ids.iter().map(|id| id.as_str().into()).collect(),
    )
    .await
}

/// Writes `after`'s amounts and status if the row still holds `before`'s: the row is locked,
/// so a mismatch means a bug, and the caller fails instead of overwriting a movement.
pub async fn compare_and_set(
    conn: &impl ConnectionTrait,
    before: &PaymentIntent,
    after: &PaymentIntent,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let sql = "UPDATE payment_intents SET amount_captured = ?, amount_refunded = ?, status = ?, \
               updated_at = ? WHERE id = ? AND amount_captured = ? AND amount_refunded = ? \
               AND status = ?";
    let values = vec![
        after.captured.into(),
        after.refunded.into(),
        after.status.as_str().into(),
        to_millis(now).into(),
        before.id.0.into(),
        before.captured.into(),
        before.refunded.into(),
        before.status.as_str().into(),
    ];
    let result = conn.execute(statement(conn, sql, values)).await?;
    Ok(result.rows_affected() == 1)
}

/// Attaches an intent to an order unless it already belongs to one. Returns whether it did.
pub async fn attach_order(
    conn: &impl ConnectionTrait,
    id: IntentId,
    order_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let sql = "UPDATE payment_intents SET order_id = ?, updated_at = ? \
               WHERE id = ? AND order_id IS NULL";
    let values = vec![order_id.into(), to_millis(now).into(), id.0.into()];
    let result = conn.execute(statement(conn, sql, values)).await?;
    Ok(result.rows_affected() == 1)
}

/// What a staff search of intents filters on; every field set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntentFilter {
    pub status: Option<IntentStatus>,
    pub reference: Option<String>,
    pub order_id: Option<String>,
    pub customer_id: Option<String>,
}

impl IntentFilter {
    /// `WHERE` conditions and their values.
    fn conditions(&self) -> (Vec<&'static str>, Vec<Value>) {
        let mut conditions = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        if let Some(status) = self.status {
            conditions.push("status = ?");
            values.push(status.as_str().into());
        }
        let texts = [
            ("reference = ?", &self.reference),
            ("order_id = ?", &self.order_id),
            ("customer_id = ?", &self.customer_id),
        ];
        for (condition, value) in texts {
            if let Some(value) = value {
                conditions.push(condition);
                values.push(value.as_str().into());
            }
        }
        (conditions, values)
    }
}

fn where_sql(conditions: &[&str]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    }
}

/// One page of the intents matching `filter`, newest first: "after" an intent means a
/// smaller id. `cursor_id` and `bound_id` are the ids of the request's cursors.
pub async fn page(
    conn: &impl ConnectionTrait,
    filter: &IntentFilter,
    request: &PageRequest,
    cursor_id: Option<i64>,
    bound_id: Option<i64>,
) -> Result<Page<PaymentIntent>, DbErr> {
    let (after, before) = match request.direction {
        Direction::Forward => (cursor_id, bound_id),
        Direction::Backward => (bound_id, cursor_id),
    };
    let (mut conditions, mut values) = filter.conditions();
    if let Some(after) = after {
        conditions.push("id < ?");
        values.push(after.into());
    }
    if let Some(before) = before {
        conditions.push("id > ?");
        values.push(before.into());
    }
    let order = match request.direction {
        Direction::Forward => "DESC",
        Direction::Backward => "ASC",
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM payment_intents{} ORDER BY id {order} LIMIT {}",
        where_sql(&conditions),
        request.fetch_limit()
    );
    let rows = select(conn, &sql, values).await?;
    Ok(Page::from_rows(rows, request))
}

/// How many intents match `filter`.
pub async fn count(conn: &impl ConnectionTrait, filter: &IntentFilter) -> Result<i64, DbErr> {
    let (conditions, values) = filter.conditions();
    let sql = format!(
        "SELECT COUNT(*) FROM payment_intents{}",
        where_sql(&conditions)
    );
    let row = conn
        .query_one(statement(conn, &sql, values))
        .await?
        .ok_or_else(|| DbErr::Custom("COUNT gave no row".into()))?;
    row.try_get_by_index(0)
}
