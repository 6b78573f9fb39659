//! A webhooks app on a fresh database, fed by a real event source: a `catalog` database with
//! the kernel's outbox and relay, publishing through Redis Streams (PostgreSQL) or the
//! in-process bus (SQLite), to the subgraph's fan-in consumers and delivery worker.

use std::time::Duration;

use commerce_kernel::config::WebhooksConfig;
use commerce_kernel::db::begin_write;
use commerce_kernel::events::{Bus, Event, Outbox, Relay, Transport};
use commerce_kernel::viewer::Viewer;
use commerce_testkit::{Backend, SqlCounter, TestDatabase, migrated_database};
use commerce_webhooks::{AppState, Settings, WebhooksSchema, WebhooksService};

use serde::Serialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// The source of the events: a catalog database (the event tables only).
const SOURCE: &str = "catalog";

/// A `catalog.product_changed` payload, as the catalog writes it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductChanged {
    pub product_id: String,
    pub change: &'static str,
    pub slugs: Vec<String>,
}

impl Event for ProductChanged {
    const TYPE: &'static str = "catalog.product_changed";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        self.product_id.clone()
    }
}

/// A `catalog.category_changed` payload, a type the tests' endpoints do not subscribe to.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CategoryChanged {
    pub category_id: String,
    pub change: &'static str,
}

impl Event for CategoryChanged {
    const TYPE: &'static str = "catalog.category_changed";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        self.category_id.clone()
    }
}

pub fn product_changed(product: &str) -> ProductChanged {
    ProductChanged {
        product_id: product.to_owned(),
        change: "UPDATED",
        slugs: vec![],
    }
}

/// Settings for tests: a schedule in milliseconds, a short timeout, quick polling.
pub fn fast_config() -> WebhooksConfig {
    WebhooksConfig {
        timeout_ms: 300,
        concurrency: 8,
        retry_schedule_ms: vec![20, 40, 80, 160, 320, 640],
        secret_overlap_ms: 60_000,
        disable_after_failures: 100,
        disable_after_ms: 3_600_000,
        poll_ms: 20,
        // The receivers listen on localhost.
        allow_private_targets: true,
    }
}

pub struct TestApp {
    pub state: AppState,
    pub schema: WebhooksSchema,
    pub statements: SqlCounter,
    source: TestDatabase,
    transport: Transport,
    shutdown: CancellationToken,
    _database: TestDatabase,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl TestApp {
    /// The subgraph without its consumers and worker (API tests).
    pub async fn idle(backend: Backend, config: WebhooksConfig) -> Self {
        let database =
            migrated_database::<commerce_migrations::webhooks::Migrator>(backend, "webhooks").await;
        let source =
            migrated_database::<commerce_migrations::events::Migrator>(backend, SOURCE).await;
        let transport = match backend {
            Backend::Postgres => {
                let url = commerce_testkit::redis_url().await;
                let namespace = format!("t{}", uuid::Uuid::new_v4().simple());
                Transport::redis(&url, &namespace).await.expect("Redis")
            }
            Backend::Sqlite => Transport::InProcess(Bus::new()),
        };
        let state = AppState {
            service: WebhooksService::new(database.db.clone(), Settings::from_config(&config)),
        };
        Self {
            schema: commerce_webhooks::schema(state.clone()),
            state,
            statements: database.statements.clone(),
            source,
            transport,
            shutdown: CancellationToken::new(),
            _database: database,
        }
    }

    /// The subgraph with its fan-in and worker, and the source's relay, running.
    pub async fn running(backend: Backend, config: WebhooksConfig) -> Self {
        let app = Self::idle(backend, config).await;
        commerce_webhooks::spawn_events(&app.state, &app.transport, app.shutdown.clone())
            .expect("starts the consumers and the worker");
        Relay::new(app.source.db.clone(), SOURCE, app.transport.clone())
            .spawn(app.shutdown.clone());
        app
    }

    /// Stops the consumers, the worker and the relay.
    pub async fn stop(&self) {
        self.shutdown.cancel();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    /// Commits `events` in one transaction of the source database.
    pub async fn publish<E: Event>(&self, events: &[E]) {
        let txn = begin_write(&self.source.db).await.expect("begins");
        for event in events {
            Outbox::append(&txn, event).await.expect("appends");
        }
        txn.commit().await.expect("commits");
    }

    /// Runs an operation as staff with `webhooks:manage`.
    pub async fn staff(&self, query: &str, variables: Value) -> Value {
        self.execute_as(
            commerce_testkit::staff(&["webhooks:manage"]),
            query,
            variables,
        )
        .await
    }

    pub async fn execute_as(&self, viewer: Viewer, query: &str, variables: Value) -> Value {
        commerce_testkit::execute_as(&self.schema, viewer, query, variables).await
    }

    /// Registers `url` for `event_types`; returns the endpoint's id and secret.
    pub async fn create_endpoint(&self, url: &str, event_types: &[&str]) -> (String, String) {
        let response = self
            .staff(
                "mutation($input: CreateWebhookEndpointInput!) {
                    createWebhookEndpoint(input: $input) {
                        __typename
                        ... on WebhookEndpointCreated { secret endpoint { id } }
                    } }",
                json!({ "input": { "url": url, "eventTypes": event_types } }),
            )
            .await;
        let created = &response["data"]["createWebhookEndpoint"];
        assert_eq!(
            created["__typename"], "WebhookEndpointCreated",
            "{response:#}"
        );
        (
            created["endpoint"]["id"]
                .as_str()
                .expect("an id")
                .to_owned(),
            created["secret"].as_str().expect("a secret").to_owned(),
        )
    }

    /// The endpoint's delivery log (newest first) with every attempt.
    pub async fn deliveries(&self, endpoint: &str) -> Vec<Value> {
        let response = self
            .staff(
                "query($id: ID!) { webhookDeliveries(endpointId: $id, first: 100) {
                    totalCount
                    nodes { id eventId eventType aggregateId sequence status attemptCount
                        lastStatusCode lastError
                        attempts { number statusCode latencyMs error succeeded } } } }",
                json!({ "id": endpoint }),
            )
            .await;
        assert!(response.get("errors").is_none(), "{response:#}");
        response["data"]["webhookDeliveries"]["nodes"]
            .as_array()
            .expect("nodes")
            .clone()
    }

    /// Waits until every delivery of `endpoint` is finished (`DELIVERED` or `DEAD`) and
    /// there are `count` of them; panics after `limit`.
    pub async fn wait_until_finished(
        &self,
        endpoint: &str,
        count: usize,
        limit: Duration,
    ) -> Vec<Value> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let deliveries = self.deliveries(endpoint).await;
            if deliveries.len() >= count && deliveries.iter().all(|d| d["status"] != "PENDING") {
                return deliveries;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "deliveries still pending: {deliveries:#?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
