//! The provider webhook over HTTP: signed requests are applied once, everything else is
//! refused with a JSON error code and changes nothing.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use commerce_payments::domain::webhook::sign;
use commerce_testkit::{Backend, on_both_backends};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::{TestApp, WEBHOOK_SECRET};

on_both_backends!(
    a_signed_capture_event_applies_once_and_a_replay_changes_nothing,
    ten_concurrent_deliveries_of_one_event_apply_it_once,
    an_event_may_name_the_intent_by_the_providers_reference,
    refuses_bad_signatures_stale_timestamps_and_malformed_requests,
    events_naming_no_known_intent_or_breaking_a_rule_change_nothing,
);

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn deliver(app: &TestApp, body: &str, signature: Option<String>) -> (StatusCode, Value) {
    let mut request =
        Request::post("/webhooks/payments/test").header("content-type", "application/json");
    if let Some(signature) = signature {
        request = request.header("Commerce-Signature", signature);
    }
    let request = request
        .body(Body::from(body.to_owned()))
        .expect("a request");
    let response = commerce_payments::router(app.state.clone(), app.verifier())
        .oneshot(request)
        .await
        .expect("the router answers");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    (status, serde_json::from_slice(&bytes).expect("a JSON body"))
}

/// Delivers `event` signed now with the test secret.
async fn signed(app: &TestApp, event: &Value) -> (StatusCode, Value) {
    let body = event.to_string();
    let signature = sign(WEBHOOK_SECRET, now(), body.as_bytes());
    deliver(app, &body, Some(signature)).await
}

async fn a_signed_capture_event_applies_once_and_a_replay_changes_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let id = app.authorized("30.00").await;
    let event = json!({
        "id": "evt_1",
        "type": "payment.captured",
        "data": { "intentId": id, "amount": "30.00" },
    });
    assert_eq!(
        signed(&app, &event).await,
        (StatusCode::OK, json!({ "status": "applied" }))
    );
    assert_eq!(
        signed(&app, &event).await,
        (StatusCode::OK, json!({ "status": "duplicate" }))
    );
    let intent = app.read(&id).await;
    assert_eq!(intent["status"], "CAPTURED");
    assert_eq!(intent["ledger"][1]["kind"], "CAPTURE");
    assert_eq!(intent["ledger"][1]["webhookEventId"], "evt_1");
    assert_eq!(intent["ledger"].as_array().map(Vec::len), Some(2));

    let refund = json!({
        "id": "evt_2",
        "type": "refund.succeeded",
        "data": { "intentId": id, "amount": "5.00" },
    });
    assert_eq!(signed(&app, &refund).await.1["status"], "applied");
    assert_eq!(app.read(&id).await["status"], "PARTIALLY_REFUNDED");
}

async fn refuses_bad_signatures_stale_timestamps_and_malformed_requests(backend: Backend) {
    let app = TestApp::new(backend).await;
    let id = app.authorized("30.00").await;
    let body = json!({
        "id": "evt_bad",
        "type": "payment.captured",
        "data": { "intentId": id },
    })
    .to_string();
    let code = |answer: (StatusCode, Value)| {
        (
            answer.0,
            answer.1["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    };
    let wrong_secret = sign(b"not the secret", now(), body.as_bytes());
    assert_eq!(
        code(deliver(&app, &body, Some(wrong_secret)).await),
        (StatusCode::UNAUTHORIZED, "INVALID_SIGNATURE".to_owned())
    );
    let other_body = sign(WEBHOOK_SECRET, now(), b"{}");
    assert_eq!(
        code(deliver(&app, &body, Some(other_body)).await),
        (StatusCode::UNAUTHORIZED, "INVALID_SIGNATURE".to_owned())
    );
    let stale = sign(WEBHOOK_SECRET, now() - 301, body.as_bytes());
    assert_eq!(
        code(deliver(&app, &body, Some(stale)).await),
        (
            StatusCode::UNAUTHORIZED,
            "TIMESTAMP_OUTSIDE_TOLERANCE".to_owned()
        )
    );
    let future = sign(WEBHOOK_SECRET, now() + 301, body.as_bytes());
    assert_eq!(
        code(deliver(&app, &body, Some(future)).await).1,
        "TIMESTAMP_OUTSIDE_TOLERANCE"
    );
    assert_eq!(
        code(deliver(&app, &body, None).await),
        (StatusCode::BAD_REQUEST, "MALFORMED_SIGNATURE".to_owned())
    );
    let not_json = "not json";
    let signature = sign(WEBHOOK_SECRET, now(), not_json.as_bytes());
    assert_eq!(
        code(deliver(&app, not_json, Some(signature)).await),
        (StatusCode::BAD_REQUEST, "MALFORMED_EVENT".to_owned())
    );
    // None of these was recorded: the event applies when it finally comes signed.
    assert_eq!(app.read(&id).await["status"], "AUTHORIZED");
    let event: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(signed(&app, &event).await.1["status"], "applied");
    assert_eq!(app.read(&id).await["status"], "CAPTURED");
}

async fn events_naming_no_known_intent_or_breaking_a_rule_change_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let id = app.authorized("10.00").await;
    let unknown = json!({
        "id": "evt_unknown",
        "type": "payment.captured",
        "data": { "intentId": commerce_kernel::GlobalId::encode("PaymentIntent", 999) },
    });
    let (status, body) = signed(&app, &unknown).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::NOT_FOUND, json!("NOT_FOUND"))
    );

    let too_much = json!({
        "id": "evt_refund",
        "type": "refund.succeeded",
        "data": { "intentId": id, "amount": "1.00" },
    });
    let (status, body) = signed(&app, &too_much).await;
    assert_eq!(
        (status, body["status"].clone()),
        (StatusCode::OK, json!("ignored"))
    );

    let failed =
        json!({ "id": "evt_failed", "type": "payment.failed", "data": { "intentId": id } });
    assert_eq!(signed(&app, &failed).await.1["status"], "applied");
    let intent = app.read(&id).await;
    assert_eq!(intent["status"], "FAILED");
    assert_eq!(intent["ledger"][1]["kind"], "FAILURE");
    let other = json!({ "id": "evt_other", "type": "charge.dispute.created", "data": {} });
    assert_eq!(signed(&app, &other).await.1["status"], "ignored");
}

async fn ten_concurrent_deliveries_of_one_event_apply_it_once(backend: Backend) {
    let app = std::sync::Arc::new(TestApp::new(backend).await);
    let id = app.authorized("30.00").await;
    let event = json!({
        "id": "evt_twins",
        "type": "payment.captured",
        "data": { "intentId": id, "amount": "1.00" },
    });
    let deliveries = (0..10).map(|_| {
        let (app, event) = (app.clone(), event.clone());
        tokio::spawn(async move { signed(&app, &event).await })
    });
    let mut statuses: Vec<String> = futures::future::join_all(deliveries)
        .await
        .into_iter()
        .map(|answer| {
            let (status, body) = answer.expect("the task ran");
            assert_eq!(status, StatusCode::OK, "{body}");
            body["status"].as_str().expect("a status").to_owned()
        })
        .collect();
    statuses.sort();
    assert_eq!(statuses[0], "applied");
    assert!(
        statuses[1..].iter().all(|s| s == "duplicate"),
        "{statuses:?}"
    );
    assert_eq!(app.read(&id).await["amountCaptured"]["amount"], "1.00");
}

async fn an_event_may_name_the_intent_by_the_providers_reference(backend: Backend) {
    let app = TestApp::new(backend).await;
    let id = app.authorized("30.00").await;
    let query = "query ($id: ID!) { paymentIntent(id: $id) { ledger { providerReference } } }";
    let response = app
        .execute_as(crate::support::reader(), query, json!({ "id": id }))
        .await;
    let reference = response["data"]["paymentIntent"]["ledger"][0]["providerReference"].clone();
    assert!(reference.is_string(), "{response}");
    let event = json!({
        "id": "evt_by_reference",
        "type": "payment.captured",
        "data": { "providerReference": reference },
    });
    assert_eq!(signed(&app, &event).await.1["status"], "applied");
    let after = app.read(&id).await;
    assert_eq!(after["status"], "CAPTURED");
    assert_eq!(after["amountCaptured"]["amount"], "30.00");
}
