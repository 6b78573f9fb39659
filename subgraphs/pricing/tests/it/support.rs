//! Test app: a fresh database per test on either backend, a statement counter, and viewers.

use commerce_kernel::viewer::Viewer;
use commerce_pricing::AppState;
pub use commerce_testkit::ids::{product, variant};
pub use commerce_testkit::{Backend, on_both_backends};
use commerce_testkit::{SqlCounter, TestDatabase, migrated_database};
use serde_json::Value;

pub struct TestApp {
    pub state: AppState,
    pub statements: SqlCounter,
    _database: TestDatabase,
}

pub async fn app(backend: Backend) -> TestApp {
    let database =
        migrated_database::<commerce_migrations::pricing::Migrator>(backend, "pricing").await;
    let state = AppState::new(database.db.clone());
    TestApp {
        state,
        statements: database.statements.clone(),
        _database: database,
    }
}

/// A staff member who manages prices and redeems coupons.
pub fn staff() -> Viewer {
    commerce_testkit::staff(&["pricing:write", "pricing:redeem"])
}

/// The shopper of these tests (customer 7) in `groups`.
pub fn customer(groups: &[&str]) -> Viewer {
    commerce_testkit::customer(7, groups)
}

/// Runs an operation as `viewer` and returns the whole response as JSON.
pub async fn execute(app: &TestApp, viewer: Viewer, query: &str, variables: Value) -> Value {
    let schema = commerce_pricing::schema(app.state.clone());
    commerce_testkit::execute_as(&schema, viewer, query, variables).await
}

/// Runs a staff operation that must succeed, returning its `data`.
pub async fn staff_ok(app: &TestApp, query: &str, variables: Value) -> Value {
    let response = execute(app, staff(), query, variables).await;
    assert!(response.get("errors").is_none(), "{response:#}");
    response["data"].clone()
}

pub const SET_PRICES: &str = r#"mutation($input: SetVariantPricesInput!) {
  setVariantPrices(input: $input) {
    __typename
    ... on VariantPricing { variantId taxCategory prices { price { amount currency } compareAt { amount } } }
    ... on InvalidPricingInput { code field message }
  }
}"#;

/// Gives variant `n` a EUR price (decimal string) through the staff mutation.
pub async fn price(app: &TestApp, n: i64, eur: &str, usd: Option<&str>) {
    let mut prices = vec![serde_json::json!({ "currency": "EUR", "amount": eur })];
    if let Some(usd) = usd {
        prices.push(serde_json::json!({ "currency": "USD", "amount": usd }));
    }
    let input =
        serde_json::json!({ "variantId": variant(n), "productId": product(n), "prices": prices });
    let data = staff_ok(app, SET_PRICES, serde_json::json!({ "input": input })).await;
    assert_eq!(
        data["setVariantPrices"]["__typename"], "VariantPricing",
        "{data:#}"
    );
}
