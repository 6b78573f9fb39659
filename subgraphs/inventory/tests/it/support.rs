//! Test app: a fresh database per test, a movable clock, and small builders.

use std::sync::Arc;

use commerce_inventory::AppState;
use commerce_inventory::domain::{
    IdempotencyKey, OnHand, VariantId, WarehouseCode, WarehouseId, WarehouseName,
};
use commerce_inventory::service::{Clock, Inventory, NewWarehouse, SetStock};
use commerce_kernel::GlobalId;
use commerce_kernel::cache::MemoryCache;
use commerce_kernel::viewer::Viewer;
pub use commerce_testkit::Backend;
use commerce_testkit::{SqlCounter, TestConfig, test_config};

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
    pub clock: Clock,
    pub statements: SqlCounter,
    _config: TestConfig,
}

impl TestApp {
    pub fn inventory(&self) -> &Inventory {
        &self.state.inventory
    }

    /// Creates a warehouse and returns its id.
    pub async fn warehouse(&self, code: &str) -> WarehouseId {
        let input = NewWarehouse {
            code: WarehouseCode::parse(code).expect("valid code"),
            name: WarehouseName::parse(&format!("Warehouse {code}")).expect("valid name"),
        };
        self.inventory()
            .create_warehouse(&key(&format!("create-{code}")), input)
            .await
            .expect("creates the warehouse")
            .id
    }

    /// Sets on hand with a fresh key.
    pub async fn stock(&self, variant: &VariantId, warehouse: WarehouseId, on_hand: i32) {
        let input = SetStock {
            variant: variant.clone(),
            warehouse,
            on_hand: OnHand::parse(on_hand).expect("valid count"),
            note: None,
        };
        let key = key(&format!(
            "set-{}-{}-{on_hand}",
            variant.as_str(),
            warehouse.0
        ));
        self.inventory()
            .set_stock(&key, input)
            .await
            .expect("sets stock");
    }

    pub async fn available(&self, variant: &VariantId) -> i64 {
        let stock = self
            .inventory()
            .availability(std::slice::from_ref(variant))
            .await
            .expect("reads availability");
        stock.get(variant).map_or(0, |a| a.available())
    }

    /// Fails the test if any level disagrees with the movement log or live reservations.
    pub async fn assert_books_balance(&self) {
        let off = self.inventory().discrepancies().await.expect("audits");
        assert!(off.is_empty(), "levels disagree with the log: {off:#?}");
    }
}

pub async fn app(backend: Backend) -> TestApp {
    let config = test_config(backend).await;
    let mut db =
        commerce_kernel::db::connect_and_migrate::<commerce_migrations::inventory::Migrator>(
            &config,
            "inventory",
        )
        .await
        .expect("connects and migrates");
    let statements = SqlCounter::attach(&mut db);
    let clock = Clock::system();
    let state = AppState::new(db, Arc::new(MemoryCache::new(100)), clock.clone());
    TestApp {
        state,
        clock,
        statements,
        _config: config,
    }
}

pub fn variant(n: i64) -> VariantId {
    VariantId::parse(&GlobalId::encode("ProductVariant", n)).expect("a variant id")
}

pub fn key(value: &str) -> IdempotencyKey {
    IdempotencyKey::parse(&value.replace(['=', ' '], "")).expect("a valid key")
}

/// Runs an operation as an anonymous caller and returns the whole response as JSON.
pub async fn execute(
    app: &TestApp,
    query: &str,
    variables: serde_json::Value,
) -> serde_json::Value {
    execute_as(app, Viewer::Anonymous, query, variables).await
}

/// Runs an operation as staff holding `inventory:write` (how staff and checkout call).
pub async fn execute_as_staff(
    app: &TestApp,
    query: &str,
    variables: serde_json::Value,
) -> serde_json::Value {
    execute_as(app, staff(), query, variables).await
}

/// Runs an operation as `viewer` and returns the whole response as JSON.
pub async fn execute_as(
    app: &TestApp,
    viewer: Viewer,
    query: &str,
    variables: serde_json::Value,
) -> serde_json::Value {
    let schema = commerce_inventory::schema(app.state.clone());
    let request = async_graphql::Request::new(query)
        .variables(async_graphql::Variables::from_json(variables))
        .data(viewer);
    let response = schema.execute(request).await;
    serde_json::to_value(&response).expect("responses serialize")
}

/// A staff member holding `inventory:write`.
pub fn staff() -> Viewer {
    Viewer::Staff {
        id: "staff-1".into(),
        permissions: vec!["inventory:write".into()],
    }
}

pub fn product_id(n: i64) -> String {
    GlobalId::encode("Product", n)
}
