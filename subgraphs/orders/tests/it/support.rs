//! An orders app on a fresh database, with a SQL statement counter, orders placed as checkout
//! would place them, and the committed documents the tests run.

use commerce_kernel::GlobalId;
use commerce_kernel::internal::InternalClient;
use commerce_kernel::viewer::Viewer;
use commerce_orders::domain::{Order, OrderId};
use commerce_orders::{AppState, OrdersSchema, OrdersService, Remote};
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
        let mut config = database.config.config();
        for service in ["payments", "inventory"] {
            config
                .services
                .insert(service.to_owned(), closed_port_url());
        }
        let client = InternalClient::from_config(&config, "orders").expect("an internal client");
        let state = AppState {
            service: OrdersService::new(database.db.clone(), Remote::new(client)),
            live: commerce_kernel::events::LiveEvents::new("orders"),
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

    /// Places order input `input` (see [`order_input`]) under `key` as the checkout saga
    /// does: the committed internal document, with a service token.
    pub async fn place_with(&self, key: &str, input: Value) -> Order {
        let variables = json!({ "input": input, "idempotencyKey": key });
        let response = self
            .execute_as(
                commerce_testkit::service("checkout"),
                PLACE_ORDER,
                variables,
            )
            .await;
        let id = response["data"]["placeOrder"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no order placed: {response}"));
        let id = OrderId::parse(id).expect("an Order id");
        self.service()
            .order(id)
            .await
            .expect("reads the order")
            .expect("the placed order exists")
    }

    /// Places a one-line order of customer `customer` (none: a guest) totalling `total`.
    pub async fn place(&self, customer: Option<i64>, total: &str) -> Order {
        let key = format!("saga-{}", uuid());
        self.place_with(&key, order_input(customer, total)).await
    }
}

/// A URL where nothing listens: payments and inventory are down for these tests (their
/// real calls run in the lead's whole-graph tests).
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds a free port");
    let port = listener.local_addr().expect("has an address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}/graphql")
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

pub const MARK_PAID: &str = r#"
mutation ($id: ID!, $key: String!) {
  markOrderPaid(orderId: $id, idempotencyKey: $key) {
    __typename
    ... on InvalidOrderTransition { from to }
  }
}"#;

/// A placed order that checkout then marked paid.
pub async fn paid(app: &TestApp) -> Order {
    let order = app.place(Some(1), "28.90").await;
    let variables = json!({ "id": order.id.global(), "key": format!("paid-{}", order.number) });
    let response = app
        .execute_as(commerce_testkit::service("checkout"), MARK_PAID, variables)
        .await;
    assert_eq!(
        response["data"]["markOrderPaid"]["__typename"],
        json!("Order"),
        "{response}"
    );
    app.service()
        .order(order.id)
        .await
        .expect("reads")
        .expect("exists")
}
