//! Deliveries end to end: events committed in a domain's outbox reach a real receiver,
//! signed, through failures, a timeout and a slow receiver, exactly once after deduplication
//! by `webhook-id` and in order per aggregate; secrets rotate with an overlap; replays
//! re-deliver with the same id; a delivery that exhausts its schedule is dead-lettered and
//! its endpoint disabled with a reason.

use std::time::Duration;

use commerce_testkit::{Backend, on_both_backends};
use serde_json::json;

use crate::receiver::{Answer, Receiver, sequences_by_aggregate};
use crate::support::{CategoryChanged, TestApp, fast_config, product_changed};

const LIMIT: Duration = Duration::from_secs(30);

on_both_backends!(
    every_event_arrives_once_in_order_per_aggregate_through_failures_a_timeout_and_slowness,
    both_secrets_sign_during_the_rotation_overlap_and_only_the_new_one_after,
    a_replay_redelivers_with_the_same_webhook_id,
    a_delivery_is_dead_lettered_after_its_schedule_and_the_endpoint_disabled_with_a_reason,
    a_target_that_turned_private_since_registration_is_refused_at_each_delivery,
);

async fn every_event_arrives_once_in_order_per_aggregate_through_failures_a_timeout_and_slowness(
    backend: Backend,
) {
    let app = TestApp::running(backend, fast_config()).await;
    let receiver = Receiver::start().await;
    let (endpoint, secret) = app
        .create_endpoint(&receiver.url(), &["catalog.product_changed"])
        .await;
    receiver.trust(&secret);
    receiver.script(&[
        Answer::Fail(500),
        Answer::Fail(503),
        Answer::Fail(404),
        Answer::Hang(Duration::from_secs(2)),
    ]);
    receiver.slow(Duration::from_millis(25));

    // Three products, five changes each: some in one transaction, some interleaved.
    let products = ["UHJvZHVjdDox", "UHJvZHVjdDoy", "UHJvZHVjdDoz"];
    app.publish(&[product_changed(products[0]), product_changed(products[0])])
        .await;
    for round in 0..5 {
        for product in products {
            if round < 3 || product != products[0] {
                app.publish(&[product_changed(product)]).await;
            }
        }
    }
    // Not subscribed: no delivery.
    app.publish(&[CategoryChanged {
        category_id: "Q2F0ZWdvcnk6MQ".to_owned(),
        change: "UPDATED",
    }])
    .await;

    let received = receiver.wait_for(15, LIMIT).await;
    let log = app.wait_until_finished(&endpoint, 15, LIMIT).await;

    assert_eq!(received.len(), 15, "each event once after deduplication");
    for (product, sequences) in sequences_by_aggregate(&received) {
        assert_eq!(sequences, [1, 2, 3, 4, 5], "{product} in order");
    }
    let requests = receiver.log();
    assert!(
        requests.iter().all(|r| r.verified_by == [0]),
        "every request carries a valid signature: {requests:#?}"
    );
    assert!(
        requests
            .iter()
            .all(|r| r.body["type"] == "catalog.product_changed"),
        "only subscribed types"
    );
    // The log: every delivery delivered; the four failures recorded as attempts.
    assert_eq!(log.len(), 15);
    assert!(log.iter().all(|d| d["status"] == "DELIVERED"), "{log:#?}");
    let attempts: Vec<&serde_json::Value> = log
        .iter()
        .flat_map(|d| d["attempts"].as_array().expect("attempts"))
        .collect();
    let failed: Vec<_> = attempts
        .iter()
        .filter(|a| a["succeeded"] == false)
        .collect();
    assert_eq!(failed.len(), 4, "{log:#?}");
    let mut codes: Vec<Option<i64>> = failed.iter().map(|a| a["statusCode"].as_i64()).collect();
    codes.sort_unstable();
    assert_eq!(codes, [None, Some(404), Some(500), Some(503)]);
    assert!(
        failed
            .iter()
            .any(|a| a["statusCode"].is_null() && a["error"] == "timed out"),
        "{failed:#?}"
    );
    assert_eq!(
        attempts.len(),
        requests.len(),
        "every request the receiver saw is an attempt in the log"
    );
    assert!(
        attempts
            .iter()
            .filter(|a| a["succeeded"] == true)
            .all(|a| a["latencyMs"].as_i64().expect("a latency") >= 25),
        "latency includes the receiver's slowness"
    );
}

async fn both_secrets_sign_during_the_rotation_overlap_and_only_the_new_one_after(
    backend: Backend,
) {
    let config = commerce_kernel::config::WebhooksConfig {
        secret_overlap_ms: 1_500,
        ..fast_config()
    };
    let app = TestApp::running(backend, config).await;
    let receiver = Receiver::start().await;
    let (endpoint, old) = app
        .create_endpoint(&receiver.url(), &["catalog.product_changed"])
        .await;
    let rotated = app
        .staff(
            "mutation($id: ID!) { rotateWebhookSecret(id: $id) {
                ... on WebhookSecretRotated { secret endpoint { previousSecretExpiresAt } } } }",
            json!({ "id": endpoint }),
        )
        .await;
    let rotated = &rotated["data"]["rotateWebhookSecret"];
    let new = rotated["secret"].as_str().expect("a new secret").to_owned();
    assert_ne!(new, old);
    assert!(rotated["endpoint"]["previousSecretExpiresAt"].is_string());
    receiver.trust(&old);
    receiver.trust(&new);

    app.publish(&[product_changed("UHJvZHVjdDox")]).await;
    let during = receiver.wait_for(1, LIMIT).await;
    assert_eq!(during[0].signatures.len(), 2, "{during:#?}");
    assert_eq!(during[0].verified_by, [0, 1], "old and new both verify");

    tokio::time::sleep(Duration::from_millis(1_600)).await;
    app.publish(&[product_changed("UHJvZHVjdDox")]).await;
    let after = receiver.wait_for(2, LIMIT).await;
    assert_eq!(after[1].signatures.len(), 1, "{after:#?}");
    assert_eq!(after[1].verified_by, [1], "only the new secret verifies");
}

async fn a_replay_redelivers_with_the_same_webhook_id(backend: Backend) {
    let app = TestApp::running(backend, fast_config()).await;
    let receiver = Receiver::start().await;
    let (endpoint, secret) = app
        .create_endpoint(&receiver.url(), &["catalog.product_changed"])
        .await;
    receiver.trust(&secret);
    app.publish(&[product_changed("UHJvZHVjdDox")]).await;
    app.publish(&[product_changed("UHJvZHVjdDoy")]).await;
    receiver.wait_for(2, LIMIT).await;
    let log = app.wait_until_finished(&endpoint, 2, LIMIT).await;

    let replayed = app
        .staff(
            "mutation($id: ID!) { replayWebhookDelivery(id: $id) {
                __typename ... on WebhookDelivery { status eventId } } }",
            json!({ "id": log[0]["id"] }),
        )
        .await;
    assert_eq!(
        replayed["data"]["replayWebhookDelivery"]["status"], "PENDING",
        "{replayed:#}"
    );
    let requests = receiver.wait_for_requests(3, LIMIT).await;
    assert_eq!(requests[2].id, log[0]["eventId"].as_str().expect("an id"));
    assert_eq!(requests[2].verified_by, [0]);
    let log = app.wait_until_finished(&endpoint, 2, LIMIT).await;
    assert_eq!(log[0]["attemptCount"], 2, "{log:#?}");

    // Everything since before the first event: both again, with their ids.
    let since = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    let replayed = app
        .staff(
            "mutation($id: ID!, $since: DateTime!) {
                replayWebhookDeliveries(endpointId: $id, since: $since) {
                    __typename ... on WebhookDeliveriesReplayed { count } } }",
            json!({ "id": endpoint, "since": since }),
        )
        .await;
    assert_eq!(
        replayed["data"]["replayWebhookDeliveries"]["count"], 2,
        "{replayed:#}"
    );
    let requests = receiver.wait_for_requests(5, LIMIT).await;
    let mut ids: Vec<&str> = requests.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 2, "replays reuse the events' ids");
    assert_eq!(receiver.deduplicated().len(), 2);
}

async fn a_delivery_is_dead_lettered_after_its_schedule_and_the_endpoint_disabled_with_a_reason(
    backend: Backend,
) {
    let config = commerce_kernel::config::WebhooksConfig {
        retry_schedule_ms: vec![10, 20, 40],
        disable_after_failures: 4,
        ..fast_config()
    };
    let app = TestApp::running(backend, config).await;
    let receiver = Receiver::start().await;
    receiver.always_fail(500);
    let (endpoint, _) = app
        .create_endpoint(&receiver.url(), &["catalog.product_changed"])
        .await;
    app.publish(&[product_changed("UHJvZHVjdDox")]).await;

    let log = app.wait_until_finished(&endpoint, 1, LIMIT).await;
    assert_eq!(log[0]["status"], "DEAD", "{log:#?}");
    assert_eq!(
        log[0]["attemptCount"], 4,
        "the first attempt and three retries"
    );
    assert_eq!(log[0]["lastStatusCode"], 500);
    assert_eq!(receiver.log().len(), 4);

    let state = app
        .staff(
            "query($id: ID!) { webhookEndpoint(id: $id) {
                enabled disabledReason disabledAt consecutiveFailures } }",
            json!({ "id": endpoint }),
        )
        .await;
    let state = &state["data"]["webhookEndpoint"];
    assert_eq!(state["enabled"], false, "{state:#}");
    let reason = state["disabledReason"].as_str().expect("a reason");
    assert!(
        reason.contains("4 consecutive failed attempts") && reason.contains("exhausted"),
        "{reason}"
    );

    // Disabled: new events make no delivery for it.
    app.publish(&[product_changed("UHJvZHVjdDoy")]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.deliveries(&endpoint).await.len(), 1);
    let refused = app
        .staff(
            "mutation($id: ID!) { replayWebhookDelivery(id: $id) { __typename } }",
            json!({ "id": log[0]["id"] }),
        )
        .await;
    assert_eq!(
        refused["data"]["replayWebhookDelivery"]["__typename"],
        "WebhookEndpointDisabled"
    );

    let enabled = app
        .staff(
            "mutation($id: ID!) { enableWebhookEndpoint(id: $id) {
                ... on WebhookEndpoint { enabled disabledReason consecutiveFailures } } }",
            json!({ "id": endpoint }),
        )
        .await;
    assert_eq!(
        enabled["data"]["enableWebhookEndpoint"],
        json!({ "enabled": true, "disabledReason": null, "consecutiveFailures": 0 })
    );
}

/// Endpoints registered while their hosts were public, since pointed at this machine (what a
/// DNS change does to a name): every attempt is refused before anything is sent.
async fn a_target_that_turned_private_since_registration_is_refused_at_each_delivery(
    backend: Backend,
) {
    use sea_orm::ConnectionTrait;

    let config = commerce_kernel::config::WebhooksConfig {
        retry_schedule_ms: vec![10, 20],
        allow_private_targets: false,
        ..fast_config()
    };
    let app = TestApp::running(backend, config).await;
    let receiver = Receiver::start().await;
    let port = receiver.addr.port();
    let mut endpoints = Vec::new();
    // An address literal, and a name (judged by the delivery client's resolver).
    for now in [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://localhost:{port}/hook"),
    ] {
        let (endpoint, _) = app
            .create_endpoint("https://93.184.216.34/hook", &["catalog.product_changed"])
            .await;
        let key = commerce_kernel::GlobalId::decode(&endpoint, "WebhookEndpoint").expect("an id");
        let db = app.state.service.db();
        let sql = match db.get_database_backend() {
            sea_orm::DbBackend::Postgres => "UPDATE webhook_endpoints SET url = $1 WHERE id = $2",
            _ => "UPDATE webhook_endpoints SET url = ? WHERE id = ?",
        };
        let statement = sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            [now.into(), key.into()],
        );
        db.execute(statement)
            .await
            .expect("points the endpoint here");
        endpoints.push(endpoint);
    }
    app.publish(&[product_changed("UHJvZHVjdDox")]).await;

    for endpoint in &endpoints {
        let log = app.wait_until_finished(endpoint, 1, LIMIT).await;
        assert_eq!(log[0]["status"], "DEAD", "{log:#?}");
        for attempt in log[0]["attempts"].as_array().expect("attempts") {
            let error = attempt["error"].as_str().expect("why it failed");
            assert!(error.contains("a loopback address"), "{error}");
            assert_eq!(attempt["statusCode"], serde_json::Value::Null);
        }
    }
    assert!(receiver.log().is_empty(), "nothing reached the receiver");
}
