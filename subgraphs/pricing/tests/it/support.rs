//! Test app: a fresh database per test on either backend, a statement counter, and viewers.

use std::sync::Arc;

use commerce_kernel::GlobalId;
use commerce_kernel::cache::MemoryCache;
use commerce_kernel::viewer::Viewer;
use commerce_pricing::AppState;
pub use commerce_testkit::Backend;
use commerce_testkit::{SqlCounter, TestConfig, test_config};
use serde_json::Value;

/// Runs one async test body on SQLite and on PostgreSQL, as two tests named after the backend.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    super::$name($crate::support::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    super::$name($crate::support::Backend::Postgres).await;
                }
            }
        )*
    };
}
pub(crate) use on_both_backends;

pub struct TestApp {
    pub state: AppState,
    pub statements: SqlCounter,
    _config: TestConfig,
}

pub async fn app(backend: Backend) -> TestApp {
    let config = test_config(backend).await;
    let mut db =
        commerce_kernel::db::connect_and_migrate::<commerce_migrations::pricing::Migrator>(
            &config, "pricing",
        )
        .await
        .expect("connects and migrates");
    let statements = SqlCounter::attach(&mut db);
    let state = AppState::new(db, Arc::new(MemoryCache::new(100)));
    TestApp {
        state,
        statements,
        _config: config,
    }
}

pub fn staff() -> Viewer {
    Viewer::Staff {
        id: "staff-1".into(),
        permissions: vec!["pricing:write".into(), "pricing:redeem".into()],
    }
}

pub fn customer(groups: &[&str]) -> Viewer {
    Viewer::Customer {
        id: GlobalId::encode("Customer", 7),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
    }
}

pub fn variant(n: i64) -> String {
    GlobalId::encode("ProductVariant", n)
}

pub fn product(n: i64) -> String {
    GlobalId::encode("Product", n)
}

/// Runs an operation as `viewer` (none: the request carries no viewer) and returns the whole
/// response as JSON.
pub async fn execute(
    app: &TestApp,
    viewer: Option<Viewer>,
    query: &str,
    variables: Value,
) -> Value {
    let schema = commerce_pricing::schema(app.state.clone());
    let mut request = async_graphql::Request::new(query)
        .variables(async_graphql::Variables::from_json(variables));
    if let Some(viewer) = viewer {
        request = request.data(viewer);
    }
    let response = schema.execute(request).await;
    serde_json::to_value(&response).expect("responses serialize")
}

/// Runs a staff operation that must succeed, returning its `data`.
pub async fn staff_ok(app: &TestApp, query: &str, variables: Value) -> Value {
    let response = execute(app, Some(staff()), query, variables).await;
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
