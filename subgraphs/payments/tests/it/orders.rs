//! Attaching intents to orders, and `Order.payments` for a batch of orders in one query.

use commerce_kernel::GlobalId;
use commerce_kernel::viewer::Viewer;
use commerce_testkit::{Backend, customer, error_code, on_both_backends};
use serde_json::{Value, json};

use crate::support::{SUCCEEDS, TestApp, checkout, operations, reader};

on_both_backends!(attaching_is_idempotent_and_an_intent_pays_for_one_order);
// One thread, so the ledger DataLoader's batch always holds every intent of the response.
on_both_backends!(current_thread: order_payments_of_a_batch_cost_one_query_and_respect_the_viewer);

fn order(n: i64) -> String {
    GlobalId::encode("Order", n)
}

async fn attach(app: &TestApp, intent: &str, order: &str) -> Value {
    let variables = json!({ "intentId": intent, "orderId": order });
    app.execute_as(checkout(), operations::ATTACH, variables)
        .await
}

async fn attaching_is_idempotent_and_an_intent_pays_for_one_order(backend: Backend) {
    let app = TestApp::new(backend).await;
    let id = app.authorized("12.00").await;
    let first = attach(&app, &id, &order(1)).await;
    assert_eq!(
        first["data"]["attachPaymentToOrder"]["__typename"],
        "PaymentIntent"
    );
    let again = attach(&app, &id, &order(1)).await;
    assert_eq!(again["data"], first["data"]);
    let elsewhere = attach(&app, &id, &order(2)).await;
    assert_eq!(error_code(&elsewhere), "CONFLICT");
    let not_an_order = attach(&app, &id, &GlobalId::encode("Product", 1)).await;
    assert_eq!(error_code(&not_an_order), "BAD_USER_INPUT");
    let missing = attach(&app, &GlobalId::encode("PaymentIntent", 999), &order(3)).await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
    let read = app.read(&id).await;
    assert_eq!(read["id"], id.as_str());
}

const ORDER_PAYMENTS: &str = "query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Order { id payments { id status amountAuthorized { amount } ledger { kind } } }
  }
}";

async fn order_payments_of_a_batch_cost_one_query_and_respect_the_viewer(backend: Backend) {
    let app = TestApp::new(backend).await;
    let owner = GlobalId::encode("Customer", 1);
    for n in 1..=5 {
        for part in 0..2 {
            let key = format!("o-{n}-{part}");
            let result = app
                .authorize_for(SUCCEEDS, "2.00", &key, Some(&owner))
                .await;
            let id = result["id"].as_str().expect("an id").to_owned();
            attach(&app, &id, &order(n)).await;
        }
    }
    let representations: Vec<Value> = (1..=6)
        .map(|n| json!({ "__typename": "Order", "id": order(n) }))
        .collect();
    let variables = json!({ "representations": representations });

    app.statements.reset();
    let response = app
        .execute_as(reader(), ORDER_PAYMENTS, variables.clone())
        .await;
    crate::support::assert_no_errors(&response);
    // One query for the orders' intents, one for their ledgers.
    assert_eq!(app.statements.count(), 2, "{response}");
    let entities = response["data"]["_entities"].as_array().expect("entities");
    let sizes: Vec<usize> = entities
        .iter()
        .map(|order| order["payments"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, [2, 2, 2, 2, 2, 0]);
    assert_eq!(
        entities[0]["payments"][0]["ledger"][0]["kind"],
        "AUTHORIZATION"
    );

    let mine = app
        .execute_as(customer(1, &[]), ORDER_PAYMENTS, variables.clone())
        .await;
    assert_eq!(
        mine["data"]["_entities"][0]["payments"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    for stranger in [customer(2, &[]), Viewer::Anonymous] {
        let theirs = app
            .execute_as(stranger, ORDER_PAYMENTS, variables.clone())
            .await;
        assert_eq!(theirs["data"]["_entities"][0]["payments"], json!([]));
    }
}
