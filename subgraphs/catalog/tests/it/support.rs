//! A catalog over a fresh database per test, with a SQL statement counter, and fixtures.

use std::sync::Arc;

use commerce_catalog::{AppState, CatalogSchema};
use commerce_kernel::cache::MemoryCache;
use commerce_kernel::viewer::Viewer;
use commerce_testkit::{Backend, SqlCounter, TestDatabase, migrated_database};
use serde_json::{Value, json};

/// A staff member allowed to edit the catalog.
pub fn staff() -> Viewer {
    commerce_testkit::staff(&["catalog:write"])
}

pub struct TestApp {
    database: TestDatabase,
    pub state: AppState,
    pub schema: CatalogSchema,
    pub statements: SqlCounter,
}

pub async fn app(backend: Backend) -> TestApp {
    let database =
        migrated_database::<commerce_migrations::catalog::Migrator>(backend, "catalog").await;
    let mut state = AppState::new(database.db.clone(), Arc::new(MemoryCache::new(10_000)));
    if let Some(reads) = &database.reads {
        state.catalog = state.catalog.with_read_pipeline(reads.clone());
    }
    TestApp {
        schema: commerce_catalog::schema(state.clone()),
        state,
        statements: database.statements.clone(),
        database,
    }
}

impl TestApp {
    /// The test database's PostgreSQL URL (none on SQLite).
    pub fn database_url(&self) -> Option<String> {
        self.database.config.database_url.clone()
    }

    /// The whole response (`data` and `errors`) as JSON, asked by a catalog editor.
    pub async fn execute(&self, query: &str, variables: Value) -> Value {
        self.execute_as(staff(), query, variables).await
    }

    pub async fn execute_as(&self, viewer: Viewer, query: &str, variables: Value) -> Value {
        commerce_testkit::execute_as(&self.schema, viewer, query, variables).await
    }

    /// `data` of a response that must have no errors.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let response = self.execute(query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"].clone()
    }

    /// Runs a create mutation and returns the created object's id.
    pub async fn create(&self, mutation: &str, input: Value) -> String {
        let query = format!(
            "mutation($input: Create{mutation}Input!) {{ result: create{mutation}(input: $input) {{ \
             __typename ... on {mutation} {{ id }} ... on ErrorResult {{ code message }} }} }}"
        );
        let data = self.data(&query, json!({ "input": input })).await;
        assert_eq!(data["result"]["__typename"], mutation, "{data:#}");
        data["result"]["id"].as_str().expect("an id").to_owned()
    }
}

/// A small shop: Clothing > Shirts, Footwear; a "summer" collection; three published
/// products and a draft.
pub struct Shop {
    pub clothing: String,
    pub shirts: String,
    pub footwear: String,
    pub summer: String,
    pub linen_shirt: String,
    pub oxford_shirt: String,
    pub trail_boot: String,
    pub draft: String,
}

pub async fn shop(app: &TestApp) -> Shop {
    let clothing = app
        .create(
            "Category",
            json!({ "slug": "clothing", "name": "Clothing" }),
        )
        .await;
    let shirts = app
        .create(
            "Category",
            json!({ "slug": "shirts", "name": "Shirts", "parentId": clothing }),
        )
        .await;
    let footwear = app
        .create(
            "Category",
            json!({ "slug": "footwear", "name": "Footwear" }),
        )
        .await;
    let summer = app
        .create("Collection", json!({ "slug": "summer", "name": "Summer" }))
        .await;
    let product = |name: &str, category: &str, attributes: Value, variants: Value| {
        json!({
            "name": name, "status": "PUBLISHED", "categoryId": category,
            "description": format!("A {name} for every day."),
            "attributes": attributes, "variants": variants,
            "imageUrls": ["https://images.example.com/a.jpg"],
        })
    };
    let mut linen = product(
        "Linen Shirt",
        &shirts,
        json!([{ "name": "Material", "value": "Linen" }, { "name": "brand", "value": "Acme" }]),
        json!([
            { "sku": "lin-s", "options": [{ "name": "size", "value": "S" }] },
            { "sku": "lin-m", "options": [{ "name": "size", "value": "M" }] },
        ]),
    );
    linen["collectionIds"] = json!([summer]);
    let linen_shirt = app.create("Product", linen).await;
    let oxford_shirt = app
        .create(
            "Product",
            product(
                "Oxford Shirt",
                &shirts,
                json!([{ "name": "material", "value": "Cotton" }, { "name": "brand", "value": "Acme" }]),
                json!([{ "sku": "OXF-M" }]),
            ),
        )
        .await;
    let trail_boot = app
        .create(
            "Product",
            product(
                "Trail Boot",
                &footwear,
                json!([{ "name": "material", "value": "Leather" }, { "name": "brand", "value": "Kestrel" }]),
                json!([{ "sku": "BOOT-42" }, { "sku": "BOOT-43" }, { "sku": "BOOT-44" }]),
            ),
        )
        .await;
    let draft = app
        .create(
            "Product",
            json!({ "name": "Secret Shirt", "categoryId": shirts }),
        )
        .await;
    Shop {
        clothing,
        shirts,
        footwear,
        summer,
        linen_shirt,
        oxford_shirt,
        trail_boot,
        draft,
    }
}

/// The names of a `products` connection's nodes.
pub fn names(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"]["name"].as_str().expect("a name").to_owned())
        .collect()
}
