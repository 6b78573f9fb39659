//! The staff API: only `webhooks:manage` may use it; bad input comes back as data; the
//! secret is shown once; the delivery log reads attempts without a query per delivery.

use commerce_testkit::{Backend, error_code, on_both_backends};
use serde_json::json;

use crate::support::{TestApp, fast_config, product_changed};

on_both_backends!(
    only_webhook_managers_use_the_api,
    invalid_urls_and_unknown_event_types_are_refused_as_data,
    endpoints_are_updated_disabled_and_deleted_and_never_show_their_secret,
    endpoints_on_this_machine_or_its_network_are_refused_unless_allowed,
);
on_both_backends!(current_thread: the_delivery_log_reads_attempts_in_one_query);

const CREATE: &str = "mutation($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
        __typename
        ... on WebhookEndpointCreated { secret endpoint { id url eventTypes enabled } }
        ... on ErrorResult { code message }
        ... on InvalidWebhookInput { field }
        ... on UnknownWebhookEventType { eventType }
    } }";

async fn only_webhook_managers_use_the_api(backend: Backend) {
    let app = TestApp::idle(backend, fast_config()).await;
    let query = "{ webhookEndpoints { id } }";
    let anonymous = app
        .execute_as(commerce_kernel::viewer::Viewer::Anonymous, query, json!({}))
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let editor = app
        .execute_as(
            commerce_testkit::staff(&["catalog:write"]),
            query,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&editor), "FORBIDDEN");
    let input = json!({ "url": "https://example.com/hook", "eventTypes": ["orders.order_placed"] });
    let customer = app
        .execute_as(
            commerce_testkit::customer(1, &[]),
            CREATE,
            json!({ "input": input }),
        )
        .await;
    assert_eq!(error_code(&customer), "FORBIDDEN");
    let manager = app.staff(query, json!({})).await;
    assert_eq!(manager, json!({ "data": { "webhookEndpoints": [] } }));
}

async fn invalid_urls_and_unknown_event_types_are_refused_as_data(backend: Backend) {
    let app = TestApp::idle(backend, fast_config()).await;
    let create = async |url: &str, types: &[&str]| {
        let response = app
            .staff(
                CREATE,
                json!({ "input": { "url": url, "eventTypes": types } }),
            )
            .await;
        response["data"]["createWebhookEndpoint"].clone()
    };
    let ftp = create("ftp://example.com/hook", &["orders.order_placed"]).await;
    assert_eq!(ftp["__typename"], "InvalidWebhookInput");
    assert_eq!(ftp["field"], "url");
    assert_eq!(ftp["code"], "BAD_USER_INPUT");
    let relative = create("/hook", &["orders.order_placed"]).await;
    assert_eq!(relative["field"], "url");
    let unknown = create("https://example.com/hook", &["orders.exploded"]).await;
    assert_eq!(unknown["__typename"], "UnknownWebhookEventType");
    assert_eq!(unknown["eventType"], "orders.exploded");
    let none = create("https://example.com/hook", &[]).await;
    assert_eq!(none["field"], "eventTypes");

    let created = create(
        "https://example.com/hook",
        &["orders.order_placed", "catalog.product_changed"],
    )
    .await;
    assert_eq!(created["__typename"], "WebhookEndpointCreated");
    let secret = created["secret"].as_str().expect("a secret");
    assert!(
        secret.starts_with("whsec_") && secret.len() > 30,
        "{secret}"
    );
    assert_eq!(
        created["endpoint"]["eventTypes"],
        json!(["catalog.product_changed", "orders.order_placed"])
    );
    assert_eq!(created["endpoint"]["enabled"], true);
}

async fn endpoints_on_this_machine_or_its_network_are_refused_unless_allowed(backend: Backend) {
    let config = commerce_kernel::config::WebhooksConfig {
        allow_private_targets: false,
        ..fast_config()
    };
    let app = TestApp::idle(backend, config).await;
    let create = async |url: &str| {
        let response = app
            .staff(
                CREATE,
                json!({ "input": { "url": url, "eventTypes": ["orders.order_placed"] } }),
            )
            .await;
        response["data"]["createWebhookEndpoint"].clone()
    };
    let refused = [
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        // A name is judged by what it resolves to.
        ("http://localhost:8080/hook", "loopback"),
        ("http://10.0.0.7/hook", "private"),
        ("https://192.168.1.20/hook", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://0.0.0.0/hook", "unspecified"),
    ];
    for (url, kind) in refused {
        let result = create(url).await;
        assert_eq!(
            result["__typename"], "WebhookTargetNotAllowed",
            "{url}: {result}"
        );
        assert_eq!(result["code"], "FORBIDDEN");
        let message = result["message"].as_str().expect("a message");
        assert!(message.contains(&format!("a {kind} address")), "{message}");
    }
    // A public address needs no lookup: registered.
    let public = create("https://93.184.216.34/hook").await;
    assert_eq!(public["__typename"], "WebhookEndpointCreated", "{public}");
    let moved = app
        .staff(
            "mutation($id: ID!) { updateWebhookEndpoint(id: $id,
                input: { url: \"http://127.0.0.1:9/hook\" }) {
                __typename ... on WebhookTargetNotAllowed { code host address } } }",
            json!({ "id": public["endpoint"]["id"] }),
        )
        .await;
    assert_eq!(
        moved["data"]["updateWebhookEndpoint"],
        json!({ "__typename": "WebhookTargetNotAllowed", "code": "FORBIDDEN",
                "host": "127.0.0.1", "address": "127.0.0.1" })
    );
}

async fn endpoints_are_updated_disabled_and_deleted_and_never_show_their_secret(backend: Backend) {
    let app = TestApp::idle(backend, fast_config()).await;
    let (id, _) = app
        .create_endpoint("https://example.com/a", &["orders.order_placed"])
        .await;
    let updated = app
        .staff(
            "mutation($id: ID!) { updateWebhookEndpoint(id: $id,
                input: { url: \"http://example.com/b\", description: \"ERP\" }) {
                ... on WebhookEndpoint { url description eventTypes } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        updated["data"]["updateWebhookEndpoint"],
        json!({ "url": "http://example.com/b", "description": "ERP",
                "eventTypes": ["orders.order_placed"] })
    );
    let disabled = app
        .staff(
            "mutation($id: ID!) { disableWebhookEndpoint(id: $id, reason: \"maintenance\") {
                ... on WebhookEndpoint { enabled disabledReason } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        disabled["data"]["disableWebhookEndpoint"],
        json!({ "enabled": false, "disabledReason": "maintenance" })
    );
    let sdl = commerce_webhooks::sdl();
    let endpoint_type = sdl
        .split("type WebhookEndpoint {")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .expect("the WebhookEndpoint type");
    assert!(
        !endpoint_type
            .lines()
            .any(|line| line.trim_start().starts_with("secret")),
        "{endpoint_type}"
    );

    let delete = "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) {
        __typename ... on WebhookEndpointDeleted { deletedEndpointId } } }";
    let deleted = app.staff(delete, json!({ "id": id })).await;
    assert_eq!(
        deleted["data"]["deleteWebhookEndpoint"]["deletedEndpointId"],
        id.as_str()
    );
    let again = app.staff(delete, json!({ "id": id })).await;
    assert_eq!(
        again["data"]["deleteWebhookEndpoint"]["__typename"],
        "WebhookEndpointNotFound"
    );
}

async fn the_delivery_log_reads_attempts_in_one_query(backend: Backend) {
    let app = TestApp::running(backend, fast_config()).await;
    let receiver = crate::receiver::Receiver::start().await;
    let (endpoint, _) = app
        .create_endpoint(&receiver.url(), &["catalog.product_changed"])
        .await;
    for n in 1..=12 {
        app.publish(&[product_changed(&format!("product-{n}"))])
            .await;
    }
    app.wait_until_finished(&endpoint, 12, std::time::Duration::from_secs(30))
        .await;
    app.stop().await;
    let before = app.statements.count();
    let log = app.deliveries(&endpoint).await;
    let statements = app.statements.count() - before;
    assert_eq!(log.len(), 12);
    assert!(
        log.iter()
            .all(|d| d["attempts"].as_array().map(Vec::len) == Some(1))
    );
    // The count, the page, the attempts of every delivery.
    assert_eq!(statements, 3, "statements for the log");
}
