//! An orders app on a fresh database, with a SQL statement counter, orders placed as checkout
//! would place them, and the committed documents the tests run.

use commerce_kernel::GlobalId;
use commerce_kernel::viewer::Viewer;
use commerce_orders::domain::{Actor, IdempotencyKey, Order, RawOrder};
use commerce_orders::{AppState, OrdersSchema, OrdersService};
use commerce_testkit::{Backend, SqlCounter, TestDatabase, migrated_database};
use serde_json::{Value, json};

pub const PLACE_ORDER: &str =
    include_str!("../../../../schema/operations/internal/orders/place_order.graphql");

pub struct TestApp {
    pub state: AppState,
    pub schema: OrdersSchema,
    pub statements: SqlCounter,
    _database: TestDatabase,
}

impl TestApp {
    pub async fn new(backend: Backend) -> Self {
        let database =
            migrated_database::<commerce_migrations::orders::Migrator>(backend, "orders").await;
        let state = AppState {
            service: OrdersService::new(database.db.clone()),
        };
        Self {
            schema: commerce_orders::schema(state.clone()),
            state,
            statements: database.statements.clone(),
            _database: database,
        }
    }

    pub fn service(&self) -> &OrdersService {
        &self.state.service
    }

    /// Runs an operation as `viewer`, as the HTTP layer does after verifying a token.
    pub async fn execute_as(&self, viewer: Viewer, query: &str, variables: Value) -> Value {
        commerce_testkit::execute_as(&self.schema, viewer, query, variables).await
    }

    /// Places order input `input` (see [`order_input`]) under `key` through the service, as
    /// the internal mutation does.
    pub async fn place_with(&self, key: &str, input: Value) -> Order {
        let raw = raw(input);
        let order = raw.parse().expect("a valid order");
        self.service()
            .place(
                &IdempotencyKey::parse(key).expect("a valid key"),
                &order,
                &Actor("service:checkout".to_owned()),
            )
            .await
            .expect("places the order")
    }

    /// Places a one-line order of customer `customer` (none: a guest) totalling `total`.
    pub async fn place(&self, customer: Option<i64>, total: &str) -> Order {
        let key = format!("saga-{}", uuid());
        self.place_with(&key, order_input(customer, total)).await
    }
}

fn uuid() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// Staff holding `permissions`.
pub fn staff(permissions: &[&str]) -> Viewer {
    commerce_testkit::staff(permissions)
}

pub fn reader() -> Viewer {
    staff(&["orders:read"])
}

pub fn writer() -> Viewer {
    staff(&["orders:read", "orders:write"])
}

pub fn customer(n: i64) -> Viewer {
    commerce_testkit::customer(n, &[])
}

pub fn customer_id(n: i64) -> String {
    GlobalId::encode("Customer", n)
}

/// A `PlaceOrderInput` as checkout sends it: two lines (2 × 10.00 and 1 × 5.00 in EUR) whose
/// grand total is `total`.
pub fn order_input(customer: Option<i64>, total: &str) -> Value {
    json!({
        "checkoutId": "checkout-1",
        "customerId": customer.map(customer_id),
        "email": "Ada@Example.com",
        "currency": "EUR",
        "lines": [
            {
                "variantId": commerce_testkit::ids::variant(1),
                "productId": commerce_testkit::ids::product(1),
                "sku": "SHIRT-BLUE-M",
                "productName": "Shirt",
                "variantName": "Blue / M",
                "quantity": 2,
                "unitPrice": "10.00",
                "discount": "0.00",
                "tax": "3.19",
                "total": "20.00"
            },
            {
                "variantId": commerce_testkit::ids::variant(2),
                "productId": commerce_testkit::ids::product(2),
                "sku": "SOCKS",
                "productName": "Socks",
                "variantName": null,
                "quantity": 1,
                "unitPrice": "5.00",
                "discount": "0.50",
                "tax": "0.72",
                "total": "4.50"
            }
        ],
        "shippingAddress": address(),
        "billingAddress": null,
        "shippingMethod": { "id": "standard", "name": "Standard", "price": "4.90" },
        "totals": {
            "subtotal": "24.50",
            "discountTotal": "0.50",
            "shippingTotal": "4.90",
            "taxTotal": "3.91",
            "total": total,
            "taxInclusive": true
        },
        "couponCodes": ["WELCOME"],
        "paymentIntentId": GlobalId::encode("PaymentIntent", 1),
        "reservationKey": "reservation-1"
    })
}

fn address() -> Value {
    json!({
        "firstName": "Ada",
        "lastName": "Lovelace",
        "company": null,
        "line1": "12 St James's Square",
        "line2": null,
        "city": "London",
        "region": null,
        "postalCode": "SW1Y 4JH",
        "countryCode": "GB",
        "phone": null
    })
}

/// The JSON input as the domain's raw order (what the GraphQL layer converts it to).
pub fn raw(input: Value) -> RawOrder {
    let text = |value: &Value| value.as_str().map(str::to_owned);
    let address = |value: &Value| commerce_orders::domain::RawAddress {
        first_name: text(&value["firstName"]).unwrap_or_default(),
        last_name: text(&value["lastName"]).unwrap_or_default(),
        company: text(&value["company"]),
        line1: text(&value["line1"]).unwrap_or_default(),
        line2: text(&value["line2"]),
        city: text(&value["city"]).unwrap_or_default(),
        region: text(&value["region"]),
        postal_code: text(&value["postalCode"]).unwrap_or_default(),
        country_code: text(&value["countryCode"]).unwrap_or_default(),
        phone: text(&value["phone"]),
    };
    let totals = &input["totals"];
    let method = &input["shippingMethod"];
    RawOrder {
        checkout_id: text(&input["checkoutId"]).unwrap_or_default(),
        customer_id: text(&input["customerId"]),
        email: text(&input["email"]).unwrap_or_default(),
        currency: text(&input["currency"]).unwrap_or_default(),
        lines: input["lines"]
            .as_array()
            .map(|lines| {
                lines
                    .iter()
                    .map(|line| commerce_orders::domain::RawLine {
                        variant_id: text(&line["variantId"]).unwrap_or_default(),
                        product_id: text(&line["productId"]).unwrap_or_default(),
                        sku: text(&line["sku"]).unwrap_or_default(),
                        product_name: text(&line["productName"]).unwrap_or_default(),
                        variant_name: text(&line["variantName"]),
                        quantity: line["quantity"]
                            .as_i64()
                            .and_then(|q| i32::try_from(q).ok())
                            .unwrap_or_default(),
                        unit_price: text(&line["unitPrice"]).unwrap_or_default(),
                        discount: text(&line["discount"]).unwrap_or_default(),
                        tax: text(&line["tax"]).unwrap_or_default(),
                        total: text(&line["total"]).unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        shipping_address: address(&input["shippingAddress"]),
        billing_address: input["billingAddress"]
            .is_object()
            .then(|| address(&input["billingAddress"])),
        shipping_method: method
            .is_object()
            .then(|| commerce_orders::domain::RawShippingMethod {
                id: text(&method["id"]).unwrap_or_default(),
                name: text(&method["name"]).unwrap_or_default(),
                price: text(&method["price"]).unwrap_or_default(),
            }),
        totals: commerce_orders::domain::RawTotals {
            subtotal: text(&totals["subtotal"]).unwrap_or_default(),
            discount_total: text(&totals["discountTotal"]).unwrap_or_default(),
            shipping_total: text(&totals["shippingTotal"]).unwrap_or_default(),
            tax_total: text(&totals["taxTotal"]).unwrap_or_default(),
            total: text(&totals["total"]).unwrap_or_default(),
            tax_inclusive: totals["taxInclusive"].as_bool().unwrap_or_default(),
        },
        coupon_codes: input["couponCodes"]
            .as_array()
            .map(|codes| codes.iter().filter_map(text).collect())
            .unwrap_or_default(),
        payment_intent_id: text(&input["paymentIntentId"]),
        reservation_key: text(&input["reservationKey"]),
    }
}
