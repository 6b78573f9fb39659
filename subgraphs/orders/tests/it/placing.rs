//! Placing orders: copies of what was sold, idempotent by the saga id, numbered without gaps.

use std::collections::BTreeSet;
use std::sync::Arc;

use commerce_orders::domain::{Order, OrderStatus};
use commerce_testkit::{Backend, error_code, on_both_backends, service};
use serde_json::{Value, json};

use crate::support::{PLACE_ORDER, TestApp, order_input, reader};

on_both_backends!(
    places_an_order_with_copies_of_its_lines_addresses_and_totals,
    a_replay_with_the_same_key_returns_the_same_order,
    the_same_key_with_another_request_is_a_conflict,
    twenty_concurrent_identical_placements_make_one_order,
    fifty_concurrent_placements_take_numbers_without_gaps,
    invalid_input_is_refused_with_the_field_named,
    the_committed_document_answers_what_checkout_reads,
);

const ORDER_DETAIL: &str = r#"
query ($id: ID!) {
  order(id: $id) {
    number status currency email placedAt
    customer { id }
    lines { sku productName variantName quantity unitPrice { amount currency } discount { amount } tax { amount } total { amount } fulfilledQuantity }
    shippingAddress { firstName lastName line1 city postalCode countryCode }
    billingAddress { firstName countryCode }
    shippingMethod { id name price { amount currency } }
    totals { subtotal { amount } discountTotal { amount } shippingTotal { amount } taxTotal { amount } total { amount currency } taxInclusive }
    total { amount currency }
    couponCodes paymentIntentId reservationKey checkoutId
    capturedAmount { amount } refundedAmount { amount }
    timeline { actor kind message data }
  }
}"#;

async fn places_an_order_with_copies_of_its_lines_addresses_and_totals(backend: Backend) {
    let app = TestApp::new(backend).await;
    let order = app.place(Some(7), "28.90").await;
    assert_eq!(order.number, 1001);
    assert_eq!(order.status, OrderStatus::Placed);
    let response = app
        .execute_as(reader(), ORDER_DETAIL, json!({ "id": order.id.global() }))
        .await;
    insta::assert_json_snapshot!(sorted(response), { ".data.order.placedAt" => "[time]", ".data.order.paymentIntentId" => "[id]" }, @r#"
    {
      "data": {
        "order": {
          "billingAddress": {
            "countryCode": "GB",
            "firstName": "Ada"
          },
          "capturedAmount": {
            "amount": "0.00"
          },
          "checkoutId": "checkout-1",
          "couponCodes": [
            "WELCOME"
          ],
          "currency": "EUR",
          "customer": {
            "id": "Q3VzdG9tZXI6Nw"
          },
          "email": "ada@example.com",
          "lines": [
            {
              "discount": {
                "amount": "0.00"
              },
              "fulfilledQuantity": 0,
              "productName": "Shirt",
              "quantity": 2,
              "sku": "SHIRT-BLUE-M",
              "tax": {
                "amount": "3.19"
              },
              "total": {
                "amount": "20.00"
              },
              "unitPrice": {
                "amount": "10.00",
                "currency": "EUR"
              },
              "variantName": "Blue / M"
            },
            {
              "discount": {
                "amount": "0.50"
              },
              "fulfilledQuantity": 0,
              "productName": "Socks",
              "quantity": 1,
              "sku": "SOCKS",
              "tax": {
                "amount": "0.72"
              },
              "total": {
                "amount": "4.50"
              },
              "unitPrice": {
                "amount": "5.00",
                "currency": "EUR"
              },
              "variantName": null
            }
          ],
          "number": 1001,
          "paymentIntentId": "[id]",
          "placedAt": "[time]",
          "refundedAmount": {
            "amount": "0.00"
          },
          "reservationKey": "reservation-1",
          "shippingAddress": {
            "city": "London",
            "countryCode": "GB",
            "firstName": "Ada",
            "lastName": "Lovelace",
            "line1": "12 St James's Square",
            "postalCode": "SW1Y 4JH"
          },
          "shippingMethod": {
            "id": "standard",
            "name": "Standard",
            "price": {
              "amount": "4.90",
              "currency": "EUR"
            }
          },
          "status": "PLACED",
          "timeline": [
            {
              "actor": "service:checkout",
              "data": "{\"checkoutId\":\"checkout-1\",\"total\":\"28.90\",\"currency\":\"EUR\"}",
              "kind": "PLACED",
              "message": "Order 1001 placed"
            }
          ],
          "total": {
            "amount": "28.90",
            "currency": "EUR"
          },
          "totals": {
            "discountTotal": {
              "amount": "0.50"
            },
            "shippingTotal": {
              "amount": "4.90"
            },
            "subtotal": {
              "amount": "24.50"
            },
            "taxInclusive": true,
            "taxTotal": {
              "amount": "3.91"
            },
            "total": {
              "amount": "28.90",
              "currency": "EUR"
            }
          }
        }
      }
    }
    "#);
}

/// The response with every object's keys sorted: fields resolved through DataLoaders arrive
/// in the order they finish.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

async fn a_replay_with_the_same_key_returns_the_same_order(backend: Backend) {
    let app = TestApp::new(backend).await;
    let first = app
        .place_with("saga-1", order_input(Some(1), "28.90"))
        .await;
    let again = app
        .place_with("saga-1", order_input(Some(1), "28.90"))
        .await;
    assert_eq!(again, first);
    let next = app.place(Some(1), "28.90").await;
    assert_eq!(next.number, first.number + 1, "a replay takes no number");
}

async fn the_same_key_with_another_request_is_a_conflict(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.place_with("saga-1", order_input(Some(1), "28.90"))
        .await;
    let other = json!({ "input": order_input(Some(1), "99.00"), "idempotencyKey": "saga-1" });
    let refused = app
        .execute_as(service("checkout"), PLACE_ORDER, other)
        .await;
    assert_eq!(error_code(&refused), "CONFLICT", "{refused}");
}

async fn invalid_input_is_refused_with_the_field_named(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut input = order_input(Some(1), "28.90");
    input["lines"][0]["quantity"] = json!(0);
    let refused = app
        .execute_as(
            service("checkout"),
            PLACE_ORDER,
            json!({ "input": input, "idempotencyKey": "k" }),
        )
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
    assert_eq!(
        refused["errors"][0]["message"],
        json!("lines[0].quantity: must be 1-100000"),
        "{refused}"
    );
    let mut input = order_input(Some(1), "28.90");
    input["currency"] = json!("XXX");
    let refused = app
        .execute_as(
            service("checkout"),
            PLACE_ORDER,
            json!({ "input": input, "idempotencyKey": "k" }),
        )
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
}

async fn the_committed_document_answers_what_checkout_reads(backend: Backend) {
    let app = TestApp::new(backend).await;
    let variables = json!({ "input": order_input(None, "28.90"), "idempotencyKey": "saga-1" });
    let response = app
        .execute_as(service("checkout"), PLACE_ORDER, variables)
        .await;
    insta::assert_json_snapshot!(response, { ".data.placeOrder.id" => "[id]" }, @r#"
    {
      "data": {
        "placeOrder": {
          "id": "[id]",
          "number": 1001,
          "status": "PLACED",
          "total": {
            "amount": "28.90",
            "currency": "EUR"
          }
        }
      }
    }
    "#);
}

async fn twenty_concurrent_identical_placements_make_one_order(backend: Backend) {
    let app = Arc::new(TestApp::new(backend).await);
    let placements = (0..20).map(|_| {
        let app = app.clone();
        tokio::spawn(async move { app.place_with("saga-1", order_input(None, "28.90")).await })
    });
    let orders: Vec<Order> = futures::future::try_join_all(placements)
        .await
        .expect("no placement panicked");
    assert!(orders.iter().all(|order| *order == orders[0]));
    let next = app.place(None, "1.00").await;
    assert_eq!(
        next.number,
        orders[0].number + 1,
        "only one number was taken"
    );
}

async fn fifty_concurrent_placements_take_numbers_without_gaps(backend: Backend) {
    let app = Arc::new(TestApp::new(backend).await);
    let placements = (0..50).map(|_| {
        let app = app.clone();
        tokio::spawn(async move { app.place(None, "28.90").await.number })
    });
    let numbers: BTreeSet<i64> = futures::future::try_join_all(placements)
        .await
        .expect("no placement panicked")
        .into_iter()
        .collect();
    assert_eq!(numbers, (1001..=1050).collect::<BTreeSet<i64>>());
}
