//! The analytics tables: the log of applied events, the daily rollups (written by additive
//! upserts, so changes from any number of batches add up), the projections the fold reads,
//! and the range reads of the dashboard (one statement each, one row per day and key).

mod sql;

use chrono::DateTime;
use commerce_kernel::Currency;
use commerce_kernel::events::Envelope;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Value};
use uuid::Uuid;

use crate::domain::fold::{Changes, CustomerRow, Keys, Latest, OrderRow, State, StockRow};
use crate::domain::reports::{
    CategorySales, CurrencySales, CustomerCounts, DaySales, LowStock, ProductSales, Refunds,
    SalesTotals,
};
use crate::domain::{DateRange, Day};
use commerce_kernel::db::placeholders;
use sql::{CHUNK, add_columns, execute, insert_returning, insert_rows, query, set_columns};

/// Serialises analytics writers on PostgreSQL (several instances share the consumer groups,
/// and the fold reads rows before it writes them); SQLite's write lock does it there, taken by
/// the transaction's first write.
pub async fn lock(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        // The key is arbitrary; only analytics' own database uses it.
        query(db, "SELECT pg_advisory_xact_lock(4010)", vec![]).await?;
    }
    Ok(())
}

/// Appends `events` to the log; returns the ones it did not hold yet, in their order.
pub async fn log_new(
    db: &impl ConnectionTrait,
    events: &[Envelope],
) -> Result<Vec<Envelope>, DbErr> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let rows = events
        .iter()
        .map(|event| {
            vec![
                event.id.to_string().into(),
                event.event_type.clone().into(),
                i32::try_from(event.version).unwrap_or(i32::MAX).into(),
                event.aggregate_id.clone().into(),
                event.sequence.into(),
                event.time.timestamp_micros().into(),
                event.payload.to_string().into(),
            ]
        })
        .collect();
    let new: std::collections::HashSet<String> = insert_returning(
        db,
        "analytics_events (event_id, event_type, version, aggregate_id, sequence, occurred_at, payload)",
        "ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
        rows,
    )
    .await?
    .into_iter()
    .collect();
    Ok(events
        .iter()
        .filter(|event| new.contains(&event.id.to_string()))
        .cloned()
        .collect())
}

/// Up to `limit` logged events after `after` (time, id), in the order they were written.
pub async fn log_page(
    db: &impl ConnectionTrait,
    after: Option<(i64, String)>,
    limit: usize,
) -> Result<Vec<Envelope>, DbErr> {
    let (at, id) = after.unwrap_or((i64::MIN, String::new()));
    let rows = query(
        db,
        "SELECT event_id, event_type, version, aggregate_id, sequence, occurred_at, payload \
         FROM analytics_events WHERE occurred_at > ? OR (occurred_at = ? AND event_id > ?) \
         ORDER BY occurred_at, event_id LIMIT ?",
        vec![at.into(), at.into(), id.into(), limit_value(limit)],
    )
    .await?;
    rows.iter().map(envelope).collect()
}

fn envelope(row: &QueryResult) -> Result<Envelope, DbErr> {
    let invalid = |what: &str| DbErr::Custom(format!("a logged event has an unreadable {what}"));
    let id: String = row.try_get("", "event_id")?;
    let payload: String = row.try_get("", "payload")?;
    let version: i32 = row.try_get("", "version")?;
    Ok(Envelope {
        id: Uuid::parse_str(&id).map_err(|_| invalid("id"))?,
        event_type: row.try_get("", "event_type")?,
        version: u32::try_from(version).map_err(|_| invalid("version"))?,
        aggregate_id: row.try_get("", "aggregate_id")?,
        sequence: row.try_get("", "sequence")?,
        time: DateTime::from_timestamp_micros(row.try_get("", "occurred_at")?)
            .ok_or_else(|| invalid("time"))?,
        payload: serde_json::from_str(&payload).map_err(|_| invalid("payload"))?,
    })
}

/// Empties every rollup and projection (the log stays), for a rebuild.
pub async fn clear(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    for table in [
        "sales_daily",
        "product_sales_daily",
        "refund_daily",
        "customer_daily",
        "analytics_orders",
        "analytics_customers",
        "customer_order_days",
        "variant_stock",
        "product_categories",
        "category_names",
    ] {
        execute(db, &format!("DELETE FROM {table}"), vec![]).await?;
    }
    Ok(())
}

fn day(day: Day) -> Value {
    day.0.into()
}

fn limit_value(limit: usize) -> Value {
    i64::try_from(limit).unwrap_or(i64::MAX).into()
}

fn keys<'a>(keys: impl IntoIterator<Item = &'a String>) -> Vec<Value> {
    keys.into_iter().map(|key| key.clone().into()).collect()
}

/// The projection rows `keys` name (those that exist).
pub async fn load(db: &impl ConnectionTrait, wanted: &Keys) -> Result<State, DbErr> {
    let mut state = State::default();
    for chunk in keys(&wanted.orders).chunks(CHUNK) {
        let sql = format!(
            "SELECT order_id, placed, cancelled, day, currency, total, lines \
             FROM analytics_orders WHERE order_id IN ({})",
            placeholders(chunk.len())
        );
        for row in query(db, &sql, chunk.to_vec()).await? {
            let lines: String = row.try_get("", "lines")?;
            let order = OrderRow {
                placed: row.try_get("", "placed")?,
                cancelled: row.try_get("", "cancelled")?,
                day: Day(row.try_get("", "day")?),
                currency: row.try_get("", "currency")?,
                total: row.try_get("", "total")?,
                lines: serde_json::from_str(&lines)
                    .map_err(|e| DbErr::Custom(format!("unreadable order lines: {e}")))?,
            };
            state.orders.insert(row.try_get("", "order_id")?, order);
        }
    }
    for chunk in keys(&wanted.customers).chunks(CHUNK) {
        let sql = format!(
            "SELECT customer_key, first_at, first_day FROM analytics_customers \
             WHERE customer_key IN ({})",
            placeholders(chunk.len())
        );
        for row in query(db, &sql, chunk.to_vec()).await? {
            let customer = CustomerRow {
                first_at: row.try_get("", "first_at")?,
                first_day: Day(row.try_get("", "first_day")?),
            };
            state
                .customers
                .insert(row.try_get("", "customer_key")?, customer);
        }
    }
    let pairs: Vec<&(String, Day)> = wanted.customer_days.iter().collect();
    for chunk in pairs.chunks(CHUNK) {
        let sql = format!(
            "SELECT customer_key, day FROM customer_order_days \
             WHERE (customer_key, day) IN (VALUES {})",
            vec!["(?, ?)"; chunk.len()].join(", ")
        );
        let values = chunk
            .iter()
            .flat_map(|(key, d)| [key.clone().into(), day(*d)])
            .collect();
        for row in query(db, &sql, values).await? {
            state.customer_days.insert((
                row.try_get("", "customer_key")?,
                Day(row.try_get("", "day")?),
            ));
        }
    }
    for chunk in keys(&wanted.variants).chunks(CHUNK) {
        let sql = format!(
            "SELECT variant_id, sequence, available, threshold FROM variant_stock \
             WHERE variant_id IN ({})",
            placeholders(chunk.len())
        );
        for row in query(db, &sql, chunk.to_vec()).await? {
            let stock = StockRow {
                sequence: row.try_get("", "sequence")?,
                available: row.try_get("", "available")?,
                threshold: row.try_get("", "threshold")?,
            };
            state.stock.insert(row.try_get("", "variant_id")?, stock);
        }
    }
    state.product_categories = load_latest(
        db,
        "product_categories",
        "product_id",
        "category_id",
        &wanted.products,
    )
    .await?;
    state.category_names = load_latest(
        db,
        "category_names",
        "category_id",
        "name",
        &wanted.categories,
    )
    .await?;
    Ok(state)
}

async fn load_latest(
    db: &impl ConnectionTrait,
    table: &str,
    key: &str,
    value: &str,
    wanted: &std::collections::BTreeSet<String>,
) -> Result<std::collections::HashMap<String, Latest>, DbErr> {
    let mut found = std::collections::HashMap::new();
    for chunk in keys(wanted).chunks(CHUNK) {
        let sql = format!(
            "SELECT {key}, sequence, {value} FROM {table} WHERE {key} IN ({})",
            placeholders(chunk.len())
        );
        for row in query(db, &sql, chunk.to_vec()).await? {
            let latest = Latest {
                sequence: row.try_get("", "sequence")?,
                value: row.try_get("", value)?,
            };
            found.insert(row.try_get("", key)?, latest);
        }
    }
    Ok(found)
}

/// Adds the rollup changes and saves the projection rows the fold changed.
pub async fn save(
    db: &impl ConnectionTrait,
    state: &State,
    changes: &Changes,
) -> Result<(), DbErr> {
    save_rollups(db, changes).await?;
    save_projections(db, state, changes).await
}

async fn upsert_added(
    db: &impl ConnectionTrait,
    table: &str,
    keys: &[&str],
    counters: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    let columns = [keys, counters].concat().join(", ");
    let tail = format!(
        "ON CONFLICT ({}) DO UPDATE SET {}",
        keys.join(", "),
        add_columns(table, counters)
    );
    insert_rows(db, &format!("{table} ({columns})"), &tail, rows).await
}

async fn upsert_replaced(
    db: &impl ConnectionTrait,
    table: &str,
    keys: &[&str],
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    let all = [keys, columns].concat().join(", ");
    let tail = format!(
        "ON CONFLICT ({}) DO UPDATE SET {}",
        keys.join(", "),
        set_columns(columns)
    );
    insert_rows(db, &format!("{table} ({all})"), &tail, rows).await
}

async fn save_rollups(db: &impl ConnectionTrait, changes: &Changes) -> Result<(), DbErr> {
    let sales = changes
        .sales
        .iter()
        .map(|((currency, d), s)| {
            vec![
                currency.clone().into(),
                day(*d),
                s.orders.into(),
                s.revenue.into(),
                s.items.into(),
                s.cancelled_orders.into(),
                s.cancelled_revenue.into(),
            ]
        })
        .collect();
    upsert_added(
        db,
        "sales_daily",
        &["currency", "day"],
        &[
            "orders",
            "revenue",
            "items",
            "cancelled_orders",
            "cancelled_revenue",
        ],
        sales,
    )
    .await?;
    let products = changes
        .products
        .iter()
        .map(|((currency, d, product), p)| {
            vec![
                currency.clone().into(),
                day(*d),
                product.clone().into(),
                p.units.into(),
                p.revenue.into(),
            ]
        })
        .collect();
    upsert_added(
        db,
        "product_sales_daily",
        &["currency", "day", "product_id"],
        &["units", "revenue"],
        products,
    )
    .await?;
    let refunds = changes
        .refunds
        .iter()
        .map(|((currency, d), r)| {
            vec![
                currency.clone().into(),
                day(*d),
                r.refunds.into(),
                r.amount.into(),
            ]
        })
        .collect();
    upsert_added(
        db,
        "refund_daily",
        &["currency", "day"],
        &["refunds", "amount"],
        refunds,
    )
    .await?;
    let customers = changes
        .customers_daily
        .iter()
        .map(|(d, c)| {
            vec![
                day(*d),
                c.new_customers.into(),
                c.returning_customers.into(),
                c.registered.into(),
            ]
        })
        .collect();
    upsert_added(
        db,
        "customer_daily",
        &["day"],
        &["new_customers", "returning_customers", "registered"],
        customers,
    )
    .await
}

async fn save_projections(
    db: &impl ConnectionTrait,
    state: &State,
    changes: &Changes,
) -> Result<(), DbErr> {
    let mut orders = Vec::with_capacity(changes.orders.len());
    for id in &changes.orders {
        let order = &state.orders[id];
        let lines = serde_json::to_string(&order.lines)
            .map_err(|e| DbErr::Custom(format!("order lines: {e}")))?;
        orders.push(vec![
            id.clone().into(),
            order.placed.into(),
            order.cancelled.into(),
            day(order.day),
            order.currency.clone().into(),
            order.total.into(),
            lines.into(),
        ]);
    }
    upsert_replaced(
        db,
        "analytics_orders",
        &["order_id"],
        &["placed", "cancelled", "day", "currency", "total", "lines"],
        orders,
    )
    .await?;
    let customers = changes
        .customers
        .iter()
        .map(|key| {
            let customer = state.customers[key];
            vec![
                key.clone().into(),
                customer.first_at.into(),
                day(customer.first_day),
            ]
        })
        .collect();
    upsert_replaced(
        db,
        "analytics_customers",
        &["customer_key"],
        &["first_at", "first_day"],
        customers,
    )
    .await?;
    let days: Vec<Vec<Value>> = changes
        .new_customer_days
        .iter()
        .map(|(key, d)| vec![key.clone().into(), day(*d)])
        .collect();
    if !days.is_empty() {
        insert_rows(
            db,
            "customer_order_days (customer_key, day)",
            "ON CONFLICT (customer_key, day) DO NOTHING",
            days,
        )
        .await?;
    }
    let stock = changes
        .stock
        .iter()
        .map(|id| {
            let row = state.stock[id];
            vec![
                id.clone().into(),
                row.sequence.into(),
                row.available.into(),
                row.threshold.into(),
            ]
        })
        .collect();
    upsert_replaced(
        db,
        "variant_stock",
        &["variant_id"],
        &["sequence", "available", "threshold"],
        stock,
    )
    .await?;
    let latest = |keys: &std::collections::BTreeSet<String>,
                  values: &std::collections::HashMap<String, Latest>| {
        keys.iter()
            .map(|key| {
                let kept = &values[key];
                vec![
                    key.clone().into(),
                    kept.sequence.into(),
                    kept.value.clone().into(),
                ]
            })
            .collect::<Vec<Vec<Value>>>()
    };
    upsert_replaced(
        db,
        "product_categories",
        &["product_id"],
        &["sequence", "category_id"],
        latest(&changes.product_categories, &state.product_categories),
    )
    .await?;
    upsert_replaced(
        db,
        "category_names",
        &["category_id"],
        &["sequence", "name"],
        latest(&changes.category_names, &state.category_names),
    )
    .await
}

fn totals(row: &QueryResult) -> Result<SalesTotals, DbErr> {
    Ok(SalesTotals {
        orders: row.try_get("", "orders")?,
        revenue: row.try_get("", "revenue")?,
        items: row.try_get("", "items")?,
        cancelled_orders: row.try_get("", "cancelled_orders")?,
        cancelled_revenue: row.try_get("", "cancelled_revenue")?,
    })
}

fn currency(row: &QueryResult) -> Result<Currency, DbErr> {
    let code: String = row.try_get("", "currency")?;
    Currency::parse(&code).map_err(|e| DbErr::Custom(format!("stored currency {code:?}: {e}")))
}

/// The days of `range` that have sales in `currency`, in order.
pub async fn sales_by_day(
    db: &impl ConnectionTrait,
    range: DateRange,
    currency: Currency,
) -> Result<Vec<DaySales>, DbErr> {
    let rows = query(
        db,
        "SELECT day, orders, revenue, items, cancelled_orders, cancelled_revenue \
         FROM sales_daily WHERE currency = ? AND day BETWEEN ? AND ? ORDER BY day",
        vec![currency.code().into(), day(range.from), day(range.to)],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DaySales {
                day: Day(row.try_get("", "day")?),
                totals: totals(row)?,
            })
        })
        .collect()
}

/// The sums over `range` per currency, by currency code.
pub async fn sales_summary(
    db: &impl ConnectionTrait,
    range: DateRange,
) -> Result<Vec<CurrencySales>, DbErr> {
    let rows = query(
        db,
        "SELECT currency, CAST(SUM(orders) AS BIGINT) AS orders, \
         CAST(SUM(revenue) AS BIGINT) AS revenue, CAST(SUM(items) AS BIGINT) AS items, \
         CAST(SUM(cancelled_orders) AS BIGINT) AS cancelled_orders, \
         CAST(SUM(cancelled_revenue) AS BIGINT) AS cancelled_revenue \
         FROM sales_daily WHERE day BETWEEN ? AND ? GROUP BY currency ORDER BY currency",
        vec![day(range.from), day(range.to)],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(CurrencySales {
                currency: currency(row)?,
                totals: totals(row)?,
            })
        })
        .collect()
}

/// The `first` products with the most revenue in `currency` over `range` (then units).
pub async fn top_products(
    db: &impl ConnectionTrait,
    range: DateRange,
    currency: Currency,
    first: usize,
) -> Result<Vec<ProductSales>, DbErr> {
    let rows = query(
        db,
        "SELECT product_id, CAST(SUM(units) AS BIGINT) AS units, \
         CAST(SUM(revenue) AS BIGINT) AS revenue FROM product_sales_daily \
         WHERE currency = ? AND day BETWEEN ? AND ? GROUP BY product_id \
         HAVING SUM(units) > 0 ORDER BY revenue DESC, units DESC, product_id LIMIT ?",
        vec![
            currency.code().into(),
            day(range.from),
            day(range.to),
            limit_value(first),
        ],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ProductSales {
                product_id: row.try_get("", "product_id")?,
                units: row.try_get("", "units")?,
                revenue: row.try_get("", "revenue")?,
            })
        })
        .collect()
}

/// The `first` categories with the most revenue in `currency` over `range`, each the sum of
/// the products in it now (then units).
pub async fn top_categories(
    db: &impl ConnectionTrait,
    range: DateRange,
    currency: Currency,
    first: usize,
) -> Result<Vec<CategorySales>, DbErr> {
    let rows = query(
        db,
        "SELECT pc.category_id AS category_id, cn.name AS name, \
         CAST(SUM(p.units) AS BIGINT) AS units, CAST(SUM(p.revenue) AS BIGINT) AS revenue \
         FROM product_sales_daily p \
         JOIN product_categories pc ON pc.product_id = p.product_id \
         LEFT JOIN category_names cn ON cn.category_id = pc.category_id \
         WHERE p.currency = ? AND p.day BETWEEN ? AND ? AND pc.category_id IS NOT NULL \
         GROUP BY pc.category_id, cn.name HAVING SUM(p.units) > 0 \
         ORDER BY revenue DESC, units DESC, category_id LIMIT ?",
        vec![
            currency.code().into(),
            day(range.from),
            day(range.to),
            limit_value(first),
        ],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(CategorySales {
                category_id: row.try_get("", "category_id")?,
                name: row.try_get("", "name")?,
                units: row.try_get("", "units")?,
                revenue: row.try_get("", "revenue")?,
            })
        })
        .collect()
}

pub async fn customer_counts(
    db: &impl ConnectionTrait,
    range: DateRange,
) -> Result<CustomerCounts, DbErr> {
    let rows = query(
        db,
        "SELECT CAST(COALESCE(SUM(new_customers), 0) AS BIGINT) AS new_customers, \
         CAST(COALESCE(SUM(returning_customers), 0) AS BIGINT) AS returning_customers, \
         CAST(COALESCE(SUM(registered), 0) AS BIGINT) AS registered \
         FROM customer_daily WHERE day BETWEEN ? AND ?",
        vec![day(range.from), day(range.to)],
    )
    .await?;
    match rows.first() {
        Some(row) => Ok(CustomerCounts {
            new_customers: row.try_get("", "new_customers")?,
            returning_customers: row.try_get("", "returning_customers")?,
            registered: row.try_get("", "registered")?,
        }),
        None => Ok(CustomerCounts::default()),
    }
}

pub async fn refunds(db: &impl ConnectionTrait, range: DateRange) -> Result<Vec<Refunds>, DbErr> {
    let rows = query(
        db,
        "SELECT currency, CAST(SUM(refunds) AS BIGINT) AS refunds, \
         CAST(SUM(amount) AS BIGINT) AS amount FROM refund_daily \
         WHERE day BETWEEN ? AND ? GROUP BY currency ORDER BY currency",
        vec![day(range.from), day(range.to)],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Refunds {
                currency: currency(row)?,
                refunds: row.try_get("", "refunds")?,
                amount: row.try_get("", "amount")?,
            })
        })
        .collect()
}

/// Variants whose available units are below the threshold they last fell under, fewest first.
pub async fn low_stock(db: &impl ConnectionTrait, first: usize) -> Result<Vec<LowStock>, DbErr> {
    let rows = query(
        db,
        "SELECT variant_id, available, threshold FROM variant_stock \
         WHERE threshold IS NOT NULL AND available < threshold \
         ORDER BY available, variant_id LIMIT ?",
        vec![limit_value(first)],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(LowStock {
                variant_id: row.try_get("", "variant_id")?,
                available: row.try_get("", "available")?,
                threshold: row.try_get("", "threshold")?,
            })
        })
        .collect()
}
