//! The analytics test app (a fresh database with a statement counter, the schema, the
//! service) and builders of the events it reads, with the payloads of `docs/events.md`.

use chrono::{DateTime, Duration, TimeZone, Utc};
use commerce_analytics::{AnalyticsSchema, AnalyticsService, AppState};
use commerce_kernel::events::Envelope;
use commerce_testkit::{Backend, SqlCounter, TestDatabase, migrated_database};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

pub struct TestApp {
    pub schema: AnalyticsSchema,
    pub service: AnalyticsService,
    pub statements: SqlCounter,
    _database: TestDatabase,
}

impl TestApp {
    pub async fn new(backend: Backend) -> Self {
        let database =
            migrated_database::<commerce_migrations::analytics::Migrator>(backend, "analytics")
                .await;
        let state = AppState::new(database.db.clone());
        Self {
            schema: commerce_analytics::schema(state.clone()),
            service: state.service,
            statements: database.statements.clone(),
            _database: database,
        }
    }

    /// Runs `query` as staff allowed to read analytics; fails the test on any error.
    pub async fn staff_data(&self, query: &str, variables: Value) -> Value {
        let staff = commerce_testkit::staff(&["analytics:read", "analytics:write"]);
        let response = commerce_testkit::execute_as(&self.schema, staff, query, variables).await;
        assert_eq!(response.get("errors"), None, "{response:#}");
        response["data"].clone()
    }

    /// Delivers `event` as the consumer of its stream would.
    pub async fn deliver(&self, event: &Envelope) {
        let group = format!("analytics-{}", event.domain());
        self.service
            .apply(&group, event)
            .await
            .expect("the event applies");
    }

    /// Every rollup and projection row, in a stable order: what a rebuild must reproduce.
    pub async fn rollups(&self) -> Vec<String> {
        let db = self.service.db();
        let mut rows = Vec::new();
        for (table, order) in [
            ("sales_daily", "currency, day"),
            ("product_sales_daily", "currency, day, product_id"),
            ("refund_daily", "currency, day"),
            ("customer_daily", "day"),
            ("analytics_orders", "order_id"),
            ("analytics_customers", "customer_key"),
            ("customer_order_days", "customer_key, day"),
            ("variant_stock", "variant_id"),
            ("product_categories", "product_id"),
            ("category_names", "category_id"),
        ] {
            let sql = format!("SELECT * FROM {table} ORDER BY {order}");
            let found = db
                .query_all(Statement::from_string(db.get_database_backend(), sql))
                .await
                .expect("reads a rollup");
            for row in found {
                let columns = row.column_names();
                let values: Vec<String> = columns.iter().map(|column| cell(&row, column)).collect();
                rows.push(format!("{table}: {}", values.join(" | ")));
            }
        }
        rows
    }
}

fn cell(row: &sea_orm::QueryResult, column: &str) -> String {
    if let Ok(value) = row.try_get::<Option<i64>>("", column) {
        return format!("{value:?}");
    }
    if let Ok(value) = row.try_get::<Option<i32>>("", column) {
        return format!("{value:?}");
    }
    if let Ok(value) = row.try_get::<Option<bool>>("", column) {
        return format!("{value:?}");
    }
    let value: Option<String> = row.try_get("", column).expect("a readable cell");
    format!("{value:?}")
}

/// Noon (UTC) of `days` after 2026-01-01.
pub fn day(days: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0)
        .single()
        .expect("a time")
        + Duration::days(days)
}

fn envelope(
    event_type: &str,
    aggregate: &str,
    sequence: i64,
    time: DateTime<Utc>,
    payload: Value,
) -> Envelope {
    Envelope {
        id: Uuid::now_v7(),
        event_type: event_type.to_owned(),
        version: 1,
        aggregate_id: aggregate.to_owned(),
        sequence,
        time,
        payload,
    }
}

pub fn order_id(n: i64) -> String {
    commerce_kernel::GlobalId::encode("Order", n)
}

pub fn product_id(n: i64) -> String {
    commerce_testkit::ids::product(n)
}

pub fn variant_id(n: i64) -> String {
    commerce_testkit::ids::variant(n)
}

/// An order of `lines` ((product, quantity, line total)) placed at `time`; `customer` is a
/// customer number, or `None` for the guest `guest@example.com`.
pub fn placed(
    order: i64,
    time: DateTime<Utc>,
    customer: Option<i64>,
    currency: &str,
    lines: &[(i64, i64, &str)],
) -> Envelope {
    let total: f64 = lines
        .iter()
        .map(|(_, _, total)| total.parse::<f64>().expect("a decimal"))
        .sum();
    let decimals = if currency == "JPY" { 0 } else { 2 };
    let lines: Vec<Value> = lines
        .iter()
        .map(|(product, quantity, total)| {
            json!({
                "variantId": variant_id(*product),
                "productId": product_id(*product),
                "quantity": quantity,
                "total": total,
            })
        })
        .collect();
    envelope(
        "orders.order_placed",
        &order_id(order),
        1,
        time,
        json!({
            "orderId": order_id(order),
            "number": 1000 + order,
            "checkoutId": format!("checkout-{order}"),
            "customerId": customer.map(|n| commerce_kernel::GlobalId::encode("Customer", n)),
            "email": customer.map_or("guest@example.com".to_owned(), |n| format!("c{n}@example.com")),
            "currency": currency,
            "total": format!("{total:.decimals$}"),
            "lines": lines,
        }),
    )
}

pub fn status_changed(
    order: i64,
    sequence: i64,
    time: DateTime<Utc>,
    from: &str,
    to: &str,
) -> Envelope {
    envelope(
        "orders.order_status_changed",
        &order_id(order),
        sequence,
        time,
        json!({ "orderId": order_id(order), "number": 1000 + order, "from": from, "to": to }),
    )
}

pub fn refunded(intent: i64, time: DateTime<Utc>, amount: &str, currency: &str) -> Envelope {
    let intent = commerce_kernel::GlobalId::encode("PaymentIntent", intent);
    envelope(
        "payments.payment_refunded",
        &intent,
        2,
        time,
        json!({ "intentId": intent, "reference": "checkout-1", "amount": amount, "currency": currency }),
    )
}

pub fn stock_changed(variant: i64, sequence: i64, available: i64) -> Envelope {
    envelope(
        "inventory.stock_changed",
        &variant_id(variant),
        sequence,
        day(0),
        json!({
            "variantId": variant_id(variant),
            "reason": "ADJUST",
            "onHand": available,
            "reserved": 0,
            "available": available,
            "changes": [],
        }),
    )
}

pub fn stock_low(variant: i64, sequence: i64, available: i64) -> Envelope {
    envelope(
        "inventory.stock_low",
        &variant_id(variant),
        sequence,
        day(0),
        json!({ "variantId": variant_id(variant), "available": available, "threshold": 5 }),
    )
}

pub fn category_id(n: i64) -> String {
    commerce_kernel::GlobalId::encode("Category", n)
}

/// `catalog.product_changed` stating the product's category (`None`: none).
pub fn product_moved(product: i64, sequence: i64, category: Option<i64>) -> Envelope {
    envelope(
        "catalog.product_changed",
        &product_id(product),
        sequence,
        day(0),
        json!({
            "productId": product_id(product),
            "change": if sequence == 1 { "CREATED" } else { "UPDATED" },
            "slugs": [format!("p{product}")],
            "categoryId": category.map(category_id),
        }),
    )
}

/// `catalog.category_changed`: created or renamed to `name`, or deleted (`None`).
pub fn category_named(category: i64, sequence: i64, name: Option<&str>) -> Envelope {
    let change = match (name, sequence) {
        (None, _) => "DELETED",
        (Some(_), 1) => "CREATED",
        (Some(_), _) => "UPDATED",
    };
    envelope(
        "catalog.category_changed",
        &category_id(category),
        sequence,
        day(0),
        json!({ "categoryId": category_id(category), "change": change, "name": name }),
    )
}

/// `customers.customer_registered` at `time`.
pub fn registered(customer: i64, time: DateTime<Utc>) -> Envelope {
    let id = commerce_kernel::GlobalId::encode("Customer", customer);
    envelope(
        "customers.customer_registered",
        &id,
        1,
        time,
        json!({ "customerId": id, "email": format!("c{customer}@example.com"), "registeredAt": time }),
    )
}
