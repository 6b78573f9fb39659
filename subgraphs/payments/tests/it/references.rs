//! Cancelling a payment reference with the committed `cancelPaymentReference` document, as
//! checkout sends it when it compensates a checkout: every authorization under the reference
//! is voided (its intent id may never have reached checkout), every later one is refused, a
//! replay answers the same, and a cancellation racing authorizations of its reference leaves
//! nothing authorized whichever transaction commits first.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use commerce_kernel::Money;
use commerce_payments::provider::{
    Authorization, Declined, PaymentProvider, ProviderFailure, Providers, TestProvider,
};
use commerce_testkit::{Backend, error_code, on_both_backends};
use serde_json::{Value, json};

use crate::support::{DECLINED, SUCCEEDS, TestApp, assert_no_errors, checkout, operations, reader};

on_both_backends!(
    cancelling_a_reference_voids_its_authorizations_and_refuses_later_ones,
    cancelling_a_reference_with_nothing_authorized_only_refuses_later_ones,
    a_cancellation_waits_for_an_authorization_being_written_and_voids_it,
    cancellations_racing_authorizations_of_their_reference_leave_nothing_authorized,
);

/// The intents under `reference`, oldest first, as staff read them.
async fn intents_under(app: &TestApp, reference: &str) -> Vec<Value> {
    let query = "query ($filter: PaymentIntentFilter) { paymentIntents(filter: $filter, first: 100) \
                 { nodes { id status } } }";
    let response = app
        .execute_as(
            reader(),
            query,
            json!({ "filter": { "reference": reference } }),
        )
        .await;
    assert_no_errors(&response);
    // Newest first on the page.
    let mut nodes = response["data"]["paymentIntents"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    nodes.reverse();
    nodes
}

fn statuses(intents: &[Value]) -> Vec<&str> {
    intents
        .iter()
        .map(|intent| intent["status"].as_str().expect("a status"))
        .collect()
}

async fn cancelling_a_reference_voids_its_authorizations_and_refuses_later_ones(backend: Backend) {
    let app = TestApp::new(backend).await;
    let under = |card: &'static str, amount: &'static str, key: &'static str| {
        app.authorize_under("checkout-7", card, amount, key, None)
    };
    let first = under(SUCCEEDS, "10.00", "auth-1").await;
    let second = under(SUCCEEDS, "5.00", "auth-2").await;
    let declined = under(DECLINED, "5.00", "auth-3").await;
    assert_eq!(declined["__typename"], "PaymentDeclined");
    let captured = under(SUCCEEDS, "8.00", "auth-4").await;
    let captured_id = captured["id"].as_str().expect("an id");
    app.capture(captured_id, Some("3.00"), "capture-4").await;
    let elsewhere = app
        .authorize_under("checkout-8", SUCCEEDS, "1.00", "auth-5", None)
        .await;

    let cancelled = app.cancel_reference("checkout-7", "cancel-7").await;
    assert_eq!(
        cancelled["__typename"], "PaymentReferenceCancelled",
        "{cancelled}"
    );
    assert_eq!(cancelled["reference"], "checkout-7");
    let intents = cancelled["intents"].as_array().expect("intents");
    assert_eq!(intents[0]["id"], first["id"]);
    assert_eq!(intents[1]["id"], second["id"]);
    // Captured money is not the cancellation's to touch: giving it back is a refund.
    assert_eq!(
        statuses(intents),
        ["VOIDED", "VOIDED", "FAILED", "PARTIALLY_CAPTURED"]
    );
    let voided = app.read(first["id"].as_str().expect("an id")).await;
    let void = &voided["ledger"][1];
    assert_eq!(
        (
            &void["kind"],
            &void["amount"]["amount"],
            &void["idempotencyKey"]
        ),
        (&json!("VOID"), &json!("10.00"), &json!("cancel-7"))
    );
    let drift = app.state.service.ledger_drift().await.expect("audits");
    assert!(drift.is_empty(), "{drift:?}");

    let replay = app.cancel_reference("checkout-7", "cancel-7").await;
    assert_eq!(replay, cancelled, "a replay returns the first result");
    let reused = app
        .execute_as(
            checkout(),
            operations::CANCEL_REFERENCE,
            json!({ "reference": "checkout-8", "idempotencyKey": "cancel-7" }),
        )
        .await;
    assert_eq!(error_code(&reused), "CONFLICT", "{reused}");

    let late = under(SUCCEEDS, "10.00", "auth-late").await;
    assert_eq!(late["__typename"], "PaymentDeclined", "{late}");
    assert_eq!(late["reason"], "REFERENCE_CANCELLED");
    assert_eq!(late["code"], "BAD_USER_INPUT");
    let replayed = under(SUCCEEDS, "10.00", "auth-late").await;
    assert_eq!(replayed, late, "the refusal is the key's result for good");
    assert_eq!(
        intents_under(&app, "checkout-7").await.len(),
        4,
        "a refused authorization makes no intent"
    );
    let untouched = app.read(elsewhere["id"].as_str().expect("an id")).await;
    assert_eq!(untouched["status"], "AUTHORIZED", "other references stand");
}

async fn cancelling_a_reference_with_nothing_authorized_only_refuses_later_ones(backend: Backend) {
    let app = TestApp::new(backend).await;
    let cancelled = app.cancel_reference("checkout-9", "cancel-9").await;
    assert_eq!(
        cancelled,
        json!({ "__typename": "PaymentReferenceCancelled", "reference": "checkout-9", "intents": [] })
    );
    let again = app.cancel_reference("checkout-9", "cancel-9-again").await;
    assert_eq!(again, cancelled, "cancelling twice changes nothing");
    let late = app
        .authorize_under("checkout-9", SUCCEEDS, "10.00", "in-flight", None)
        .await;
    assert_eq!(late["reason"], "REFERENCE_CANCELLED", "{late}");
    assert!(intents_under(&app, "checkout-9").await.is_empty());

    let invalid = app.cancel_reference("  ", "cancel-blank").await;
    assert_eq!(invalid["__typename"], "InvalidPaymentInput", "{invalid}");
    assert_eq!(invalid["field"], "reference");
}

/// The test provider, answering authorizations only after `delay`.
struct Slow {
    delay: Duration,
}

#[async_trait]
impl PaymentProvider for Slow {
    async fn authorize(
        &self,
        token: &str,
        amount: Money,
        key: &str,
    ) -> Result<Authorization, Declined> {
        tokio::time::sleep(self.delay).await;
        TestProvider.authorize(token, amount, key).await
    }

    async fn capture(
        &self,
        authorization: &str,
        amount: Money,
        key: &str,
    ) -> Result<String, ProviderFailure> {
        TestProvider.capture(authorization, amount, key).await
    }

    async fn void(&self, authorization: &str, key: &str) -> Result<String, ProviderFailure> {
        TestProvider.void(authorization, key).await
    }

    async fn refund(
        &self,
        authorization: &str,
        amount: Money,
        key: &str,
    ) -> Result<String, ProviderFailure> {
        TestProvider.refund(authorization, amount, key).await
    }
}

fn slow_authorization(reference: &str, key: &str) -> Value {
    json!({
        "input": {
            "reference": reference,
            "amount": { "amount": "10.00", "currency": "EUR" },
            "method": { "provider": "slow", "token": SUCCEEDS },
        },
        "idempotencyKey": key,
    })
}

async fn app_with_slow_provider(backend: Backend, delay: Duration) -> Arc<TestApp> {
    let slow = Arc::new(Slow { delay });
    Arc::new(TestApp::with_providers(backend, Providers::default().with("slow", slow)).await)
}

/// The provider is still asked when the cancellation arrives: the authorization holds the
/// reference's row, the cancellation waits for it to commit, then voids what it wrote.
async fn a_cancellation_waits_for_an_authorization_being_written_and_voids_it(backend: Backend) {
    let app = app_with_slow_provider(backend, Duration::from_millis(500)).await;
    let authorizing = tokio::spawn({
        let app = app.clone();
        async move {
            app.movement(
                checkout(),
                operations::AUTHORIZE,
                slow_authorization("checkout-3", "slow-auth"),
            )
            .await
        }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let cancelled = app.cancel_reference("checkout-3", "cancel-3").await;
    let authorized = authorizing.await.expect("the authorization ran");
    assert_eq!(authorized["__typename"], "PaymentIntent", "{authorized}");
    assert_eq!(authorized["status"], "AUTHORIZED", "it committed first");
    let intents = cancelled["intents"].as_array().expect("intents");
    assert_eq!(intents.len(), 1, "{cancelled}");
    assert_eq!(intents[0]["id"], authorized["id"]);
    assert_eq!(intents[0]["status"], "VOIDED");
}

/// Each round races authorizations of one reference (different keys, a slow provider so that
/// they overlap) against its cancellation: whatever the order, every authorization either
/// committed before the cancellation and is voided, or came after and was refused.
async fn cancellations_racing_authorizations_of_their_reference_leave_nothing_authorized(
    backend: Backend,
) {
    let app = app_with_slow_provider(backend, Duration::from_millis(20)).await;
    let (mut voided, mut refused_in_all) = (0, 0);
    for round in 0..4 {
        let reference = format!("checkout-race-{round}");
        let mut tasks = Vec::new();
        for n in 0..8 {
            let (app, reference) = (app.clone(), reference.clone());
            tasks.push(tokio::spawn(async move {
                if n == round {
                    let key = format!("cancel-{reference}");
                    return app.cancel_reference(&reference, &key).await;
                }
                let key = format!("auth-{reference}-{n}");
                let variables = slow_authorization(&reference, &key);
                app.movement(checkout(), operations::AUTHORIZE, variables)
                    .await
            }));
        }
        let results: Vec<Value> = futures::future::join_all(tasks)
            .await
            .into_iter()
            .map(|result| result.expect("the request ran"))
            .collect();
        let authorized: Vec<&Value> = results
            .iter()
            .filter(|result| result["__typename"] == "PaymentIntent")
            .collect();
        let refused = results
            .iter()
            .filter(|result| result["reason"] == "REFERENCE_CANCELLED")
            .count();
        assert_eq!(authorized.len() + refused, 7, "{results:#?}");
        let intents = intents_under(&app, &reference).await;
        assert_eq!(intents.len(), authorized.len(), "{intents:?}");
        assert!(
            intents.iter().all(|intent| intent["status"] == "VOIDED"),
            "round {round}: {intents:?}"
        );
        voided += authorized.len();
        refused_in_all += refused;
    }
    // The cancellation is sent earlier or later among the authorizations in each round, so
    // both orders happen: some were voided, some refused.
    assert!(
        voided > 0 && refused_in_all > 0,
        "{voided} voided, {refused_in_all} refused"
    );
    let drift = app.state.service.ledger_drift().await.expect("audits");
    assert!(drift.is_empty(), "{drift:?}");
}
