//! Capture, void and refund through the committed documents, with the rules of the money:
//! captured ≤ authorized, refunded ≤ captured, no capture after a void, no void after a
//! capture; a refused movement changes nothing and a replay returns the first result.

use commerce_testkit::{Backend, error_code, on_both_backends};
use serde_json::{Value, json};

use crate::support::{FAILS_ON_CAPTURE, TestApp, operations, writer};

on_both_backends!(
    captures_in_parts_then_refunds_in_parts_within_the_limits,
    voids_only_before_capture_and_never_captures_after_a_void,
    a_failed_capture_is_data_in_the_ledger_and_the_authorization_can_be_voided,
    replayed_movements_return_the_first_result_and_move_money_once,
    staff_with_payments_write_move_money_too,
);

fn amount(result: &Value, field: &str) -> String {
    result[field]["amount"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn captures_in_parts_then_refunds_in_parts_within_the_limits(backend: Backend) {
    let app = TestApp::new(backend).await;
    let id = app.authorized("100.00").await;

    let refund_first = app.refund(&id, Some("1.00"), "f-0").await;
    assert_eq!(refund_first["__typename"], "InvalidPaymentState");
    assert_eq!(refund_first["status"], "AUTHORIZED");

    let partial = app.capture(&id, Some("40.00"), "c-1").await;
    assert_eq!(partial["status"], "PARTIALLY_CAPTURED");
    let exceeded = app.capture(&id, Some("60.01"), "c-2").await;
    assert_eq!(
        exceeded["__typename"], "CaptureExceedsAuthorized",
        "{exceeded}"
    );
    assert_eq!(
        exceeded["remaining"],
        json!({ "amount": "60.00", "currency": "EUR" })
    );
    assert_eq!(exceeded["code"], "CONFLICT");
    // The refused capture released its key: the same key may capture what fits.
    let rest = app.capture(&id, None, "c-2").await;
    assert_eq!(rest["status"], "CAPTURED");
    assert_eq!(amount(&rest, "amountCaptured"), "100.00");
    let more = app.capture(&id, None, "c-3").await;
    assert_eq!(more["__typename"], "InvalidPaymentState");

    let refund = app.refund(&id, Some("30.00"), "f-1").await;
    assert_eq!(refund["status"], "PARTIALLY_REFUNDED");
    let too_much = app.refund(&id, Some("70.01"), "f-2").await;
    assert_eq!(too_much["__typename"], "RefundExceedsCaptured");
    assert_eq!(too_much["refundable"]["amount"], "70.00");
    let bad = app.refund(&id, Some("-5"), "f-3").await;
    assert_eq!(bad["__typename"], "InvalidPaymentInput");
    assert_eq!(bad["field"], "amount");
    let all = app.refund(&id, None, "f-4").await;
    assert_eq!(all["status"], "REFUNDED");
    assert_eq!(amount(&all, "amountRefunded"), "100.00");

    let intent = app.read(&id).await;
    let kinds: Vec<(&str, &str)> = intent["ledger"]
        .as_array()
        .expect("a ledger")
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or_default(),
                e["amount"]["amount"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("AUTHORIZATION", "100.00"),
            ("CAPTURE", "40.00"),
            ("CAPTURE", "60.00"),
            ("REFUND", "30.00"),
            ("REFUND", "70.00"),
        ]
    );
    assert_eq!(intent["ledger"][3]["note"], "test", "the refund's reason");
}

async fn voids_only_before_capture_and_never_captures_after_a_void(backend: Backend) {
    let app = TestApp::new(backend).await;
    let id = app.authorized("10.00").await;
    let voided = app.void(&id, "v-1").await;
    assert_eq!(voided["status"], "VOIDED", "{voided}");
    let again = app.void(&id, "v-1-again").await;
    assert_eq!(again, voided, "a second compensation is done already");
    let capture = app.capture(&id, None, "v-c").await;
    assert_eq!(capture["__typename"], "InvalidPaymentState");
    assert_eq!(capture["status"], "VOIDED");
    assert_eq!(capture["code"], "CONFLICT");

    let captured = app.authorized("10.00").await;
    app.capture(&captured, Some("1.00"), "v-c2").await;
    let void = app.void(&captured, "v-2").await;
    assert_eq!(void["__typename"], "InvalidPaymentState");
    assert_eq!(void["status"], "PARTIALLY_CAPTURED");

    let ledger = app.read(&id).await["ledger"].clone();
    assert_eq!(ledger.as_array().map(Vec::len), Some(2), "one VOID entry");
    assert_eq!(ledger[1]["kind"], "VOID");
    assert_eq!(ledger[1]["amount"]["amount"], "10.00");
}

async fn a_failed_capture_is_data_in_the_ledger_and_the_authorization_can_be_voided(
    backend: Backend,
) {
    let app = TestApp::new(backend).await;
    let id = app.authorized_with(FAILS_ON_CAPTURE, "25.00").await;
    let failed = app.capture(&id, None, "fc-1").await;
    assert_eq!(failed["__typename"], "ProviderFailed", "{failed}");
    assert_eq!(failed["reason"], "CAPTURE_FAILED");
    // The provider was asked: the failure is the key's result for good.
    let replay = app.capture(&id, None, "fc-1").await;
    assert_eq!(replay, failed);
    let intent = app.read(&id).await;
    assert_eq!(intent["status"], "AUTHORIZED");
    assert_eq!(intent["amountCaptured"]["amount"], "0.00");
    assert_eq!(intent["ledger"][1]["kind"], "CAPTURE_FAILED");
    assert_eq!(
        intent["ledger"].as_array().map(Vec::len),
        Some(2),
        "the replay added nothing"
    );
    let voided = app.void(&id, "fc-void").await;
    assert_eq!(voided["status"], "VOIDED");
}

async fn replayed_movements_return_the_first_result_and_move_money_once(backend: Backend) {
    let app = TestApp::new(backend).await;
    let id = app.authorized("50.00").await;
    let first = app.capture(&id, Some("10.00"), "once").await;
    let replay = app.capture(&id, Some("10.00"), "once").await;
    assert_eq!(first, replay);
    assert_eq!(app.read(&id).await["amountCaptured"]["amount"], "10.00");

    let variables = json!({ "intentId": id, "amount": "11.00", "idempotencyKey": "once" });
    let response = app
        .execute_as(crate::support::checkout(), operations::CAPTURE, variables)
        .await;
    assert_eq!(error_code(&response), "CONFLICT");
    // Another operation with the key is a different request too.
    let variables = json!({ "intentId": id, "idempotencyKey": "once" });
    let response = app
        .execute_as(crate::support::checkout(), operations::VOID, variables)
        .await;
    assert_eq!(error_code(&response), "CONFLICT");

    let missing = commerce_kernel::GlobalId::encode("PaymentIntent", 999);
    let variables = json!({ "intentId": missing, "idempotencyKey": "nf" });
    let response = app
        .execute_as(crate::support::checkout(), operations::VOID, variables)
        .await;
    assert_eq!(error_code(&response), "NOT_FOUND");
}

async fn staff_with_payments_write_move_money_too(backend: Backend) {
    let app = TestApp::new(backend).await;
    let id = app.authorized("5.00").await;
    let variables = json!({ "intentId": id, "amount": null, "idempotencyKey": "staff-1" });
    let captured = app.movement(writer(), operations::CAPTURE, variables).await;
    assert_eq!(captured["status"], "CAPTURED");
}
