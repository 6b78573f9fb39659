//! Who may do what: internal mutations only with a service token, money movements for
//! services and `payments:write`, reads for `payments:read`, services and the paying customer.

use commerce_kernel::GlobalId;
use commerce_kernel::viewer::Viewer;
use commerce_testkit::{Backend, customer, error_code, on_both_backends, staff};
use serde_json::json;

use crate::support::{SUCCEEDS, TestApp, operations, reader, writer};

on_both_backends!(
    customers_and_staff_never_call_the_internal_mutations,
    customers_never_move_money_and_anonymous_callers_must_sign_in,
    an_intent_is_read_by_staff_and_its_own_customer_only,
);

fn authorize_variables() -> serde_json::Value {
    json!({
        "input": {
            "reference": "c",
            "amount": { "amount": "1.00", "currency": "EUR" },
            "method": { "token": SUCCEEDS },
        },
        "idempotencyKey": "k",
    })
}

async fn customers_and_staff_never_call_the_internal_mutations(backend: Backend) {
    let app = TestApp::new(backend).await;
    let id = app.authorized("1.00").await;
    let attach = json!({ "intentId": id, "orderId": GlobalId::encode("Order", 1) });
    let all_permissions = staff(&["payments:read", "payments:write"]);
    for (viewer, code) in [
        (customer(1, &[]), "FORBIDDEN"),
        (all_permissions, "FORBIDDEN"),
        (Viewer::Anonymous, "UNAUTHENTICATED"),
    ] {
        let response = app
            .execute_as(viewer.clone(), operations::AUTHORIZE, authorize_variables())
            .await;
        assert_eq!(error_code(&response), code, "{viewer:?}: {response}");
        let response = app
            .execute_as(viewer.clone(), operations::ATTACH, attach.clone())
            .await;
        assert_eq!(error_code(&response), code, "{viewer:?}: {response}");
        let cancel = json!({ "reference": "checkout-1", "idempotencyKey": "cancel" });
        let response = app
            .execute_as(viewer.clone(), operations::CANCEL_REFERENCE, cancel)
            .await;
        assert_eq!(error_code(&response), code, "{viewer:?}: {response}");
    }
    let intent = app.read(&id).await;
    assert_eq!(intent["status"], "AUTHORIZED", "nothing was cancelled");
}

async fn customers_never_move_money_and_anonymous_callers_must_sign_in(backend: Backend) {
    let app = TestApp::new(backend).await;
    let id = app.authorized("1.00").await;
    let variables =
        json!({ "intentId": id, "amount": null, "reason": null, "idempotencyKey": "x" });
    for document in [operations::CAPTURE, operations::VOID, operations::REFUND] {
        for (viewer, code) in [
            (customer(1, &[]), "FORBIDDEN"),
            (reader(), "FORBIDDEN"),
            (Viewer::Anonymous, "UNAUTHENTICATED"),
        ] {
            let response = app
                .execute_as(viewer.clone(), document, variables.clone())
                .await;
            assert_eq!(error_code(&response), code, "{viewer:?}: {response}");
        }
    }
    let intent = app.read(&id).await;
    assert_eq!(intent["status"], "AUTHORIZED", "nothing moved");
    // `writer()` passes the same guard.
    let response = app.execute_as(writer(), operations::VOID, variables).await;
    assert_eq!(response["data"]["voidPayment"]["status"], "VOIDED");
}

async fn an_intent_is_read_by_staff_and_its_own_customer_only(backend: Backend) {
    let app = TestApp::new(backend).await;
    let owner = GlobalId::encode("Customer", 1);
    let result = app
        .authorize_for(SUCCEEDS, "3.00", "own", Some(&owner))
        .await;
    let id = result["id"].as_str().expect("an id");
    let query = "query ($id: ID!) { paymentIntent(id: $id) { id customerId status } }";
    let variables = json!({ "id": id });

    let read = app
        .execute_as(customer(1, &[]), query, variables.clone())
        .await;
    assert_eq!(read["data"]["paymentIntent"]["customerId"], owner);
    let read = app.execute_as(reader(), query, variables.clone()).await;
    assert_eq!(read["data"]["paymentIntent"]["id"], id);
    let read = app
        .execute_as(crate::support::orders(), query, variables.clone())
        .await;
    assert_eq!(read["data"]["paymentIntent"]["id"], id);

    let other = app
        .execute_as(customer(2, &[]), query, variables.clone())
        .await;
    assert_eq!(error_code(&other), "FORBIDDEN");
    let staff_without = app.execute_as(writer(), query, variables.clone()).await;
    assert_eq!(error_code(&staff_without), "FORBIDDEN");
    let anonymous = app.execute_as(Viewer::Anonymous, query, variables).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");

    let missing = json!({ "id": GlobalId::encode("PaymentIntent", 999) });
    let none = app.execute_as(reader(), query, missing).await;
    assert_eq!(none["data"]["paymentIntent"], serde_json::Value::Null);
    let malformed = app
        .execute_as(reader(), query, json!({ "id": "nope" }))
        .await;
    assert_eq!(error_code(&malformed), "BAD_USER_INPUT");
}
