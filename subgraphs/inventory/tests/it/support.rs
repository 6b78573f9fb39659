//! Test app: a fresh database per test, a movable clock, and small builders.

use commerce_inventory::AppState;
use commerce_inventory::domain::{
    IdempotencyKey, OnHand, VariantId, WarehouseCode, WarehouseId, WarehouseName,
};
use commerce_inventory::service::{Clock, InventoryService, NewWarehouse, SetStock};
use commerce_kernel::viewer::Viewer;
pub use commerce_testkit::ids::product;
pub use commerce_testkit::{Backend, on_both_backends};
use commerce_testkit::{SqlCounter, TestDatabase, migrated_database};
use serde_json::{Value, json};

pub struct TestApp {
    pub state: AppState,
    pub clock: Clock,
    pub statements: SqlCounter,
    _database: TestDatabase,
}

impl TestApp {
    pub fn inventory(&self) -> &InventoryService {
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
    let database =
        migrated_database::<commerce_migrations::inventory::Migrator>(backend, "inventory").await;
    let clock = Clock::system();
    let state = AppState::new(database.db.clone(), clock.clone());
    TestApp {
        state,
        clock,
        statements: database.statements.clone(),
        _database: database,
    }
}

pub fn variant(n: i64) -> VariantId {
    VariantId::parse(&commerce_testkit::ids::variant(n)).expect("a variant id")
}

pub fn key(value: &str) -> IdempotencyKey {
    IdempotencyKey::parse(&value.replace(['=', ' '], "")).expect("a valid key")
}

/// Runs an operation as an anonymous caller and returns the whole response as JSON.
pub async fn execute(app: &TestApp, query: &str, variables: Value) -> Value {
    execute_as(app, Viewer::Anonymous, query, variables).await
}

/// Runs an operation as staff holding `inventory:write` (how staff and checkout call).
pub async fn execute_as_staff(app: &TestApp, query: &str, variables: Value) -> Value {
    execute_as(app, staff(), query, variables).await
}

/// Runs an operation as `viewer` and returns the whole response as JSON.
pub async fn execute_as(app: &TestApp, viewer: Viewer, query: &str, variables: Value) -> Value {
    let schema = commerce_inventory::schema(app.state.clone());
    commerce_testkit::execute_as(&schema, viewer, query, variables).await
}

/// A staff member holding `inventory:write`.
pub fn staff() -> Viewer {
    commerce_testkit::staff(&["inventory:write"])
}

/// An error as `CODE: message`, for snapshots.
pub fn describe_error(error: &Value) -> Value {
    json!(format!(
        "{}: {}",
        error["extensions"]["code"].as_str().unwrap_or("-"),
        error["message"].as_str().unwrap_or("-")
    ))
}
