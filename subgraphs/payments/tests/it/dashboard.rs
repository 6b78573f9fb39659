//! The dashboard's committed payment documents, run as staff: the list, one payment with its
//! ledger, and a partial refund.

use commerce_testkit::{Backend, error_code, on_both_backends, staff};
use serde_json::json;

use crate::support::{TestApp, assert_no_errors, reader};

const SEARCH: &str =
    include_str!("../../../../schema/operations/dashboard/payments_search.graphql");
const DETAIL: &str = include_str!("../../../../schema/operations/dashboard/payment_detail.graphql");
const REFUND: &str = include_str!("../../../../schema/operations/dashboard/payment_refund.graphql");

on_both_backends!(staff_find_a_payment_read_its_ledger_and_refund_part_of_it);

async fn staff_find_a_payment_read_its_ledger_and_refund_part_of_it(backend: Backend) {
    let app = TestApp::new(backend).await;
    let id = app.authorized("80.00").await;
    app.capture(&id, None, "capture").await;

    let list = app
        .execute_as(
            reader(),
            SEARCH,
            json!({ "filter": { "status": "CAPTURED" }, "first": 10 }),
        )
        .await;
    assert_no_errors(&list);
    let node = &list["data"]["paymentIntents"]["edges"][0]["node"];
    assert_eq!(node["id"], id.as_str());
    assert_eq!(node["paymentMethod"]["last4"], "4242");

    let refund = json!({ "intentId": id, "amount": "30.00", "reason": "damaged", "idempotencyKey": "dlg-1" });
    let refunder = staff(&["payments:read", "payments:write"]);
    let refunded = app
        .execute_as(refunder.clone(), REFUND, refund.clone())
        .await;
    assert_no_errors(&refunded);
    let result = &refunded["data"]["refundPayment"];
    assert_eq!(result["status"], "PARTIALLY_REFUNDED");
    assert_eq!(result["amountRefundable"]["amount"], "50.00");
    // A double click: the same dialog's key refunds once.
    let again = app.execute_as(refunder.clone(), REFUND, refund).await;
    assert_eq!(again["data"], refunded["data"]);
    let too_much = json!({ "intentId": id, "amount": "50.01", "idempotencyKey": "dlg-2" });
    let refused = app.execute_as(refunder, REFUND, too_much).await;
    let result = &refused["data"]["refundPayment"];
    assert_eq!(result["__typename"], "RefundExceedsCaptured");
    assert_eq!(result["code"], "CONFLICT");
    assert_eq!(result["refundable"]["amount"], "50.00");

    let detail = app.execute_as(reader(), DETAIL, json!({ "id": id })).await;
    assert_no_errors(&detail);
    let kinds: Vec<&str> = detail["data"]["paymentIntent"]["ledger"]
        .as_array()
        .expect("a ledger")
        .iter()
        .filter_map(|entry| entry["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["AUTHORIZATION", "CAPTURE", "REFUND"]);
    assert_eq!(
        detail["data"]["paymentIntent"]["ledger"][2]["note"],
        "damaged"
    );

    let reader_refund = json!({ "intentId": id, "idempotencyKey": "dlg-3" });
    let forbidden = app.execute_as(reader(), REFUND, reader_refund).await;
    assert_eq!(error_code(&forbidden), "FORBIDDEN");
}
