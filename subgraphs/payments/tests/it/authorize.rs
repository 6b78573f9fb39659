//! Authorizing through the committed `authorizePayment` document, as checkout sends it.

use commerce_kernel::GlobalId;
use commerce_testkit::{Backend, error_code, on_both_backends};
use serde_json::json;

use crate::support::{
    DECLINED, FAILS_ON_CAPTURE, INSUFFICIENT_FUNDS, SUCCEEDS, TestApp, checkout, operations,
};

on_both_backends!(
    authorizes_the_succeeding_card_and_keeps_only_brand_and_last4,
    declines_are_data_with_the_provider_reason,
    invalid_input_is_data_naming_the_field,
    a_replayed_key_returns_the_first_result_and_a_different_request_conflicts,
    twenty_concurrent_identical_authorizations_make_one_intent,
);

async fn authorizes_the_succeeding_card_and_keeps_only_brand_and_last4(backend: Backend) {
    let app = TestApp::new(backend).await;
    let result = app.authorize(SUCCEEDS, "49.90", "a-1").await;
    assert_eq!(result["__typename"], "PaymentIntent");
    assert_eq!(result["status"], "AUTHORIZED");
    assert_eq!(
        result["amountAuthorized"],
        json!({ "amount": "49.90", "currency": "EUR" })
    );
    assert_eq!(
        result["amountCaptured"],
        json!({ "amount": "0.00", "currency": "EUR" })
    );
    let intent = app.read(result["id"].as_str().expect("an id")).await;
    assert_eq!(
        intent["paymentMethod"],
        json!({ "provider": "test", "brand": "visa", "last4": "4242" })
    );
    assert_eq!(
        intent["ledger"],
        json!([{
            "kind": "AUTHORIZATION",
            "amount": { "amount": "49.90", "currency": "EUR" },
            "idempotencyKey": "a-1",
            "webhookEventId": null,
            "note": null,
        }])
    );
    // The failing-capture card authorizes like any good card.
    let fragile = app.authorize(FAILS_ON_CAPTURE, "10.00", "a-2").await;
    assert_eq!(fragile["status"], "AUTHORIZED");
}

async fn declines_are_data_with_the_provider_reason(backend: Backend) {
    let app = TestApp::new(backend).await;
    for (card, reason) in [
        (DECLINED, "CARD_DECLINED"),
        (INSUFFICIENT_FUNDS, "INSUFFICIENT_FUNDS"),
        ("4111 1111 1111 1111", "INVALID_CARD"),
        ("tok_not_a_card", "INVALID_CARD"),
    ] {
        let key = format!("d-{}", card.replace(' ', ""));
        let result = app.authorize(card, "10.00", &key).await;
        assert_eq!(result["__typename"], "PaymentDeclined", "{card}: {result}");
        assert_eq!(result["reason"], reason, "{card}");
        assert_eq!(result["code"], "BAD_USER_INPUT", "{card}");
    }
    // A replayed decline is the same decline; the provider is not asked again.
    let again = app
        .authorize(DECLINED, "10.00", &format!("d-{DECLINED}"))
        .await;
    assert_eq!(again["reason"], "CARD_DECLINED");
}

async fn invalid_input_is_data_naming_the_field(backend: Backend) {
    let app = TestApp::new(backend).await;
    let cases = [
        (json!({ "amount": "0", "currency": "EUR" }), "amount.amount"),
        (
            json!({ "amount": "1.001", "currency": "EUR" }),
            "amount.amount",
        ),
        (
            json!({ "amount": "1.00", "currency": "XXX" }),
            "amount.currency",
        ),
    ];
    for (amount, field) in cases {
        let variables = json!({
            "input": { "reference": "c", "amount": amount, "method": { "token": SUCCEEDS } },
            "idempotencyKey": format!("i-{field}-{amount}"),
        });
        let response = app
            .execute_as(checkout(), operations::AUTHORIZE, variables)
            .await;
        let result = &response["data"]["authorizePayment"];
        assert_eq!(result["__typename"], "InvalidPaymentInput", "{response}");
        assert_eq!(result["field"], field);
        assert_eq!(result["code"], "BAD_USER_INPUT");
    }
    let variables = json!({
        "input": {
            "reference": "c",
            "amount": { "amount": "1.00", "currency": "EUR" },
            "method": { "provider": "paypal", "token": SUCCEEDS },
            "customerId": GlobalId::encode("Customer", 1),
        },
        "idempotencyKey": "bad key with spaces",
    });
    let response = app
        .execute_as(checkout(), operations::AUTHORIZE, variables.clone())
        .await;
    assert_eq!(
        response["data"]["authorizePayment"]["field"],
        "idempotencyKey"
    );
    let mut unknown_provider = variables;
    unknown_provider["idempotencyKey"] = json!("k-provider");
    let response = app
        .execute_as(checkout(), operations::AUTHORIZE, unknown_provider)
        .await;
    assert_eq!(
        response["data"]["authorizePayment"]["field"],
        "method.provider"
    );
}

async fn a_replayed_key_returns_the_first_result_and_a_different_request_conflicts(
    backend: Backend,
) {
    let app = TestApp::new(backend).await;
    let first = app.authorize(SUCCEEDS, "20.00", "r-1").await;
    let replay = app.authorize(SUCCEEDS, "20.00", "r-1").await;
    assert_eq!(first, replay);
    let ledger = app.read(first["id"].as_str().expect("an id")).await["ledger"].clone();
    assert_eq!(ledger.as_array().map(Vec::len), Some(1));

    let variables = json!({
        "input": {
            "reference": "checkout-1",
            "amount": { "amount": "21.00", "currency": "EUR" },
            "method": { "token": SUCCEEDS },
        },
        "idempotencyKey": "r-1",
    });
    let response = app
        .execute_as(checkout(), operations::AUTHORIZE, variables)
        .await;
    assert_eq!(error_code(&response), "CONFLICT", "{response}");
}

async fn twenty_concurrent_identical_authorizations_make_one_intent(backend: Backend) {
    let app = std::sync::Arc::new(TestApp::new(backend).await);
    let attempts = (0..20).map(|_| {
        let app = app.clone();
        tokio::spawn(async move { app.authorize(SUCCEEDS, "99.00", "same-key").await })
    });
    let results = futures::future::join_all(attempts).await;
    let ids: std::collections::BTreeSet<String> = results
        .into_iter()
        .map(|result| {
            let result = result.expect("the task ran");
            assert_eq!(result["__typename"], "PaymentIntent", "{result}");
            result["id"].as_str().expect("an id").to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let id = ids.into_iter().next().expect("one id");
    let ledger = app.read(&id).await["ledger"].clone();
    let kinds: Vec<&str> = ledger
        .as_array()
        .expect("a ledger")
        .iter()
        .filter_map(|entry| entry["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["AUTHORIZATION"]);
}
