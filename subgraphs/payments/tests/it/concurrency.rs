//! The invariants under concurrent requests: 20 partial refunds racing for one capture, and
//! captures racing for one authorization. Exactly the movements that fit succeed, the rest
//! are refused as data, and the ledger adds up to the intent's amounts.

use std::sync::Arc;

use commerce_testkit::{Backend, on_both_backends};
use serde_json::Value;

use crate::support::TestApp;

on_both_backends!(
    twenty_concurrent_refunds_never_exceed_the_capture,
    concurrent_captures_never_exceed_the_authorization,
);

/// Runs `count` requests at once, each on its own task.
async fn race<F, Fut>(count: usize, run: F) -> Vec<Value>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Value> + Send + 'static,
{
    let tasks = (0..count).map(|n| tokio::spawn(run(n)));
    futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|result| result.expect("the task ran"))
        .collect()
}

fn count(results: &[Value], typename: &str) -> usize {
    results
        .iter()
        .filter(|result| result["__typename"] == typename)
        .count()
}

/// Sums of the ledger by kind, in cents.
fn ledger_sum(intent: &Value, kind: &str) -> i64 {
    intent["ledger"]
        .as_array()
        .expect("a ledger")
        .iter()
        .filter(|entry| entry["kind"] == kind)
        .map(|entry| cents(&entry["amount"]["amount"]))
        .sum()
}

fn cents(amount: &Value) -> i64 {
    let text = amount.as_str().expect("a decimal").replace('.', "");
    text.parse().expect("digits")
}

async fn twenty_concurrent_refunds_never_exceed_the_capture(backend: Backend) {
    let app = Arc::new(TestApp::new(backend).await);
    let id = app.authorized("100.00").await;
    app.capture(&id, None, "capture-all").await;
    // 20 refunds of 7.00 ask for 140.00 of a 100.00 capture: 14 fit.
    let results = race(20, |n| {
        let (app, id) = (app.clone(), id.clone());
        async move { app.refund(&id, Some("7.00"), &format!("refund-{n}")).await }
    })
    .await;
    assert_eq!(count(&results, "PaymentIntent"), 14, "{results:?}");
    assert_eq!(count(&results, "RefundExceedsCaptured"), 6, "{results:?}");
    let intent = app.read(&id).await;
    assert_eq!(intent["amountRefunded"]["amount"], "98.00");
    assert_eq!(intent["status"], "PARTIALLY_REFUNDED");
    assert_eq!(
        ledger_sum(&intent, "REFUND"),
        cents(&intent["amountRefunded"]["amount"])
    );
    assert_eq!(
        ledger_sum(&intent, "CAPTURE"),
        cents(&intent["amountCaptured"]["amount"])
    );
    assert_eq!(
        ledger_sum(&intent, "AUTHORIZATION"),
        cents(&intent["amountAuthorized"]["amount"])
    );
    let drift = app.state.service.ledger_drift().await.expect("audits");
    assert!(drift.is_empty(), "{drift:?}");
}

async fn concurrent_captures_never_exceed_the_authorization(backend: Backend) {
    let app = Arc::new(TestApp::new(backend).await);
    let id = app.authorized("10.00").await;
    // 10 captures of 3.00 ask for 30.00 of a 10.00 authorization: 3 fit.
    let results = race(10, |n| {
        let (app, id) = (app.clone(), id.clone());
        async move {
            app.capture(&id, Some("3.00"), &format!("capture-{n}"))
                .await
        }
    })
    .await;
    assert_eq!(count(&results, "PaymentIntent"), 3, "{results:?}");
    assert_eq!(
        count(&results, "CaptureExceedsAuthorized"),
        7,
        "{results:?}"
    );
    let intent = app.read(&id).await;
    assert_eq!(intent["amountCaptured"]["amount"], "9.00");
    assert_eq!(ledger_sum(&intent, "CAPTURE"), 900);
    let drift = app.state.service.ledger_drift().await.expect("audits");
    assert!(drift.is_empty(), "{drift:?}");
}
