//! A checkout app wired to real catalog, inventory, pricing and customers subgraphs, each
//! served on a free port over one test configuration (so they share the service-token key),
//! with a small shop: a published product with two variants, a draft product, stock, EUR
//! prices and German VAT, and a shipping zone for Germany.

use std::collections::BTreeMap;
use std::sync::Arc;

use commerce_checkout::{AppState, CheckoutSchema};
use commerce_kernel::auth::Verifier;
use commerce_kernel::viewer::Viewer;
use commerce_testkit::{Backend, SqlCounter, TestConfig, execute_as, staff, test_config};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub struct TestShop {
    pub schema: CheckoutSchema,
    /// The checkout database (its outbox holds the sagas' events).
    pub db: sea_orm::DatabaseConnection,
    pub statements: SqlCounter,
    /// Variants of the published product: the first has 10 units at 19.90 EUR, the second 3
    /// units at 24.90 EUR, the other 18 have 10 units at 5.00 EUR.
    pub variants: Vec<String>,
    /// A variant of a draft product, in stock and priced.
    pub draft_variant: String,
    pub inventory: commerce_inventory::InventorySchema,
    pub pricing: commerce_pricing::PricingSchema,
    pub customers: commerce_customers::CustomersSchema,
    /// Where every variant is stocked.
    pub warehouse: String,
    shutdown: CancellationToken,
    _config: TestConfig,
}

impl Drop for TestShop {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A URL on which nothing listens.
async fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let addr = listener.local_addr().expect("bound");
    drop(listener);
    format!("http://{addr}/graphql")
}

async fn serve(app: axum::Router, shutdown: &CancellationToken) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let addr = listener.local_addr().expect("bound");
    let shutdown = shutdown.clone().cancelled_owned();
    tokio::spawn(commerce_kernel::server::serve_until(
        listener, app, shutdown,
    ));
    format!("http://{addr}/graphql")
}

/// Runs `query` on `schema` as `viewer` and fails the test on any error.
pub async fn ok<Q, M, S>(
    schema: &async_graphql::Schema<Q, M, S>,
    viewer: Viewer,
    query: &str,
    variables: Value,
) -> Value
where
    Q: async_graphql::ObjectType + 'static,
    M: async_graphql::ObjectType + 'static,
    S: async_graphql::SubscriptionType + 'static,
{
    let response = execute_as(schema, viewer, query, variables).await;
    assert!(response.get("errors").is_none(), "{response:#}");
    response["data"].clone()
}

impl TestShop {
    pub async fn new(backend: Backend) -> Self {
        let config = test_config(backend).await;
        let shutdown = CancellationToken::new();
        let verifier = Arc::new(Verifier::from_config(&config).expect("a verifier"));

        let catalog = commerce_catalog::state(&config).await.expect("catalog");
        let catalog_schema = commerce_catalog::schema(catalog.clone());
        let inventory = commerce_inventory::state(&config).await.expect("inventory");
        let inventory_schema = commerce_inventory::schema(inventory.clone());
        let pricing = commerce_pricing::state(&config).await.expect("pricing");
        let pricing_schema = commerce_pricing::schema(pricing.clone());
        let customers = commerce_customers::state(&config).await.expect("customers");
        let mut services = BTreeMap::new();
        for (name, app) in [
            (
                "catalog",
                commerce_kernel::server::graphql_app(
                    catalog_schema.clone(),
                    catalog.db.clone(),
                    verifier.clone(),
                ),
            ),
            (
                "inventory",
                commerce_kernel::server::graphql_app(
                    inventory_schema.clone(),
                    inventory.db.clone(),
                    verifier.clone(),
                ),
            ),
            (
                "pricing",
                commerce_kernel::server::graphql_app(
                    pricing_schema.clone(),
                    pricing.db.clone(),
                    verifier.clone(),
                ),
            ),
            (
                "customers",
                commerce_kernel::server::graphql_app(
                    commerce_customers::schema(customers.clone()),
                    customers.db.clone(),
                    verifier.clone(),
                ),
            ),
        ] {
            services.insert(name.to_owned(), serve(app, &shutdown).await);
        }
        // Payments and orders are not part of this shop: calls to them fail as a service
        // that is down does (the stack's tests run the whole saga).
        for name in ["payments", "orders"] {
            services.insert(name.to_owned(), closed_port_url().await);
        }
        let mut checkout_config = config.config();
        checkout_config.services = services;
        let mut db = commerce_kernel::db::connect_and_migrate::<
            commerce_migrations::checkout::Migrator,
        >(&checkout_config, "checkout")
        .await
        .expect("checkout database");
        let statements = SqlCounter::attach(&mut db);
        let state = AppState::new(db, &checkout_config).expect("checkout");
        commerce_checkout::demo::seed(&state)
            .await
            .expect("demo shipping");

        let (variants, draft_variant, warehouse) =
            stock_the_shop(&catalog_schema, &inventory_schema, &pricing_schema).await;
        Self {
            db: state.service.db().clone(),
            schema: commerce_checkout::schema(state),
            statements,
            variants,
            draft_variant,
            inventory: inventory_schema,
            pricing: pricing_schema,
            customers: commerce_customers::schema(customers),
            warehouse,
            shutdown,
            _config: config,
        }
    }

    pub async fn execute_as(&self, viewer: Viewer, query: &str, variables: Value) -> Value {
        execute_as(&self.schema, viewer, query, variables).await
    }

    /// Units of `variant` inventory can sell now, asked the way checkout asks.
    pub async fn available(&self, variant: &str) -> i64 {
        let representations = json!([{ "__typename": "ProductVariant", "id": variant }]);
        let data = ok(
            &self.inventory,
            Viewer::Anonymous,
            include_str!("../../../../schema/operations/internal/inventory/cart_stock.graphql"),
            json!({ "representations": representations }),
        )
        .await;
        data["_entities"][0]["available"]
            .as_i64()
            .expect("available")
    }

    /// Counts `variant`'s stock as `units` on hand.
    pub async fn set_stock(&self, variant: &str, units: i32) {
        let input = json!({ "variantId": variant, "warehouseId": self.warehouse, "onHand": units });
        let key = format!("recount-{variant}-{units}");
        ok(
            &self.inventory,
            staff(&["inventory:write"]),
            "mutation($input: SetStockInput!, $key: String!) { setStock(input: $input, idempotencyKey: $key) { __typename } }",
            json!({ "input": input, "key": key }),
        )
        .await;
    }

    /// Runs an operation anonymously and fails on any top-level error.
    pub async fn ok(&self, query: &str, variables: Value) -> Value {
        ok(&self.schema, Viewer::Anonymous, query, variables).await
    }
}

const CREATE_PRODUCT: &str = r#"
mutation($input: CreateProductInput!) {
  createProduct(input: $input) { ... on Product { id variants { id } } ... on ErrorResult { message } }
}"#;

async fn product(
    catalog: &commerce_catalog::CatalogSchema,
    name: &str,
    status: &str,
    skus: &[&str],
) -> Vec<String> {
    let variants: Vec<Value> = skus
        .iter()
        .map(|sku| json!({ "sku": sku, "weightGrams": 500 }))
        .collect();
    let input = json!({ "name": name, "status": status, "variants": variants });
    let data = ok(
        catalog,
        staff(&["catalog:write"]),
        CREATE_PRODUCT,
        json!({ "input": input }),
    )
    .await;
    data["createProduct"]["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .map(|v| v["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn stock_the_shop(
    catalog: &commerce_catalog::CatalogSchema,
    inventory: &commerce_inventory::InventorySchema,
    pricing: &commerce_pricing::PricingSchema,
) -> (Vec<String>, String, String) {
    let skus: Vec<String> = (1..=20).map(|n| format!("SHIRT-{n}")).collect();
    let skus: Vec<&str> = skus.iter().map(String::as_str).collect();
    let published = product(catalog, "Linen shirt", "PUBLISHED", &skus).await;
    let draft = product(catalog, "Secret shirt", "DRAFT", &["SECRET-M"]).await;
    let writer = staff(&["inventory:write"]);
    let warehouse = ok(
        inventory,
        writer.clone(),
        r#"mutation { createWarehouse(input: {code: "ber-1", name: "Berlin"}, idempotencyKey: "w1") { ... on Warehouse { id } } }"#,
        json!({}),
    )
    .await["createWarehouse"]["id"]
        .as_str()
        .expect("warehouse")
        .to_owned();
    let set_stock = r#"mutation($input: SetStockInput!, $key: String!) { setStock(input: $input, idempotencyKey: $key) { __typename } }"#;
    let units = |index: usize| if index == 1 { 3 } else { 10 };
    let stocked = published.iter().enumerate().map(|(i, v)| (v, units(i)));
    for (variant, units) in stocked.chain([(&draft[0], 5)]) {
        let input = json!({ "variantId": variant, "warehouseId": warehouse, "onHand": units });
        ok(
            inventory,
            writer.clone(),
            set_stock,
            json!({ "input": input, "key": format!("s-{variant}") }),
        )
        .await;
    }
    let pricer = staff(&["pricing:write"]);
    let set_prices = r#"mutation($input: SetVariantPricesInput!) { setVariantPrices(input: $input) { __typename } }"#;
    let price = |index: usize| match index {
        0 => "19.90",
        1 => "24.90",
        _ => "5.00",
    };
    let priced = published.iter().enumerate().map(|(i, v)| (v, price(i)));
    for (variant, amount) in priced.chain([(&draft[0], "9.90")]) {
        let input =
            json!({ "variantId": variant, "prices": [{ "currency": "EUR", "amount": amount }] });
        ok(
            pricing,
            pricer.clone(),
            set_prices,
            json!({ "input": input }),
        )
        .await;
    }
    ok(
        pricing,
        pricer.clone(),
        r#"mutation { setTaxCategory(code: "standard", name: "Standard") { __typename } }"#,
        json!({}),
    )
    .await;
    ok(
        pricing,
        pricer.clone(),
        r#"mutation { setTaxRate(input: {name: "MwSt. 19%", country: "DE", category: "standard", ratePercent: "19"}) { __typename } }"#,
        json!({}),
    )
    .await;
    ok(
        pricing,
        pricer,
        r#"mutation { setCurrencyTaxMode(currency: "EUR", taxInclusive: true) { __typename } }"#,
        json!({}),
    )
    .await;
    (published, draft[0].clone(), warehouse)
}
