//! The staff search (filters, sorts, keyset pages), a customer's orders through `_entities`,
//! and what a list costs in SQL statements.

use commerce_testkit::{Backend, error_code, on_both_backends};
use serde_json::{Value, json};

use crate::support::{TestApp, customer, customer_id, order_input, reader};

const SEARCH: &str = include_str!("../../../../schema/operations/dashboard/orders_search.graphql");

on_both_backends!(
    filters_by_customer_total_number_email_status_and_date,
    sorts_and_pages_forward_and_backward_without_repeats,
    a_customer_lists_only_their_own_orders_through_entities,
);
on_both_backends!(current_thread: a_page_of_orders_costs_the_same_statements_for_1_or_20_orders);

/// Order numbers of a search response, in order.
fn numbers(response: &Value) -> Vec<i64> {
    let edges = response["data"]["orders"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no edges in {response}"));
    edges
        .iter()
        .map(|edge| edge["node"]["number"].as_i64().expect("a number"))
        .collect()
}

async fn search(app: &TestApp, variables: Value) -> Value {
    app.execute_as(reader(), SEARCH, variables).await
}

/// Orders 1001-1004: customer 1 for 10.00, 20.00 and 30.00, then a guest for 40.00.
async fn four_orders(app: &TestApp) {
    for total in ["10.00", "20.00", "30.00"] {
        app.place(Some(1), total).await;
    }
    let mut guest = order_input(None, "40.00");
    guest["email"] = json!("guest@example.com");
    app.place_with("guest", guest).await;
}

async fn filters_by_customer_total_number_email_status_and_date(backend: Backend) {
    let app = TestApp::new(backend).await;
    four_orders(&app).await;
    let cases = [
        (
            json!({ "customerId": customer_id(1) }),
            vec![1003, 1002, 1001],
        ),
        (
            json!({ "totalMin": { "currency": "EUR", "amount": "15" } }),
            vec![1004, 1003, 1002],
        ),
        (
            json!({ "totalMin": { "currency": "EUR", "amount": "15" }, "totalMax": { "currency": "EUR", "amount": "30.00" } }),
            vec![1003, 1002],
        ),
        (
            json!({ "totalMin": { "currency": "USD", "amount": "0" } }),
            vec![],
        ),
        (json!({ "number": 1002 }), vec![1002]),
        (json!({ "email": " GUEST@example.com" }), vec![1004]),
        (
            json!({ "status": ["PLACED", "PAID"] }),
            vec![1004, 1003, 1002, 1001],
        ),
        (json!({ "status": ["SHIPPED"] }), vec![]),
        (
            json!({ "placedFrom": "2000-01-01T00:00:00Z", "placedTo": "2999-01-01T00:00:00Z" }),
            vec![1004, 1003, 1002, 1001],
        ),
        (json!({ "placedFrom": "2999-01-01T00:00:00Z" }), vec![]),
    ];
    for (filter, expected) in cases {
        let response = search(&app, json!({ "filter": filter })).await;
        assert_eq!(numbers(&response), expected, "{filter}: {response}");
        let total = response["data"]["orders"]["totalCount"].as_i64();
        assert_eq!(total, Some(expected.len() as i64), "{filter}");
    }
    let mixed = json!({ "filter": {
        "totalMin": { "currency": "EUR", "amount": "1" },
        "totalMax": { "currency": "USD", "amount": "2" }
    }});
    assert_eq!(error_code(&search(&app, mixed).await), "BAD_USER_INPUT");
}

async fn sorts_and_pages_forward_and_backward_without_repeats(backend: Backend) {
    let app = TestApp::new(backend).await;
    for total in ["30.00", "10.00", "40.00", "20.00", "10.00"] {
        app.place(Some(1), total).await;
    }
    let by_total = json!({ "field": "TOTAL", "direction": "ASC" });
    let first = search(&app, json!({ "sort": by_total, "first": 2 })).await;
    // Equal totals break ties on the id.
    assert_eq!(numbers(&first), vec![1002, 1005]);
    assert_eq!(
        first["data"]["orders"]["pageInfo"]["hasNextPage"],
        json!(true)
    );
    let after = first["data"]["orders"]["pageInfo"]["endCursor"].clone();
    let second = search(
        &app,
        json!({ "sort": by_total, "first": 2, "after": after }),
    )
    .await;
    assert_eq!(numbers(&second), vec![1004, 1001]);
    let before = second["data"]["orders"]["pageInfo"]["startCursor"].clone();
    let back = search(
        &app,
        json!({ "sort": by_total, "last": 5, "before": before }),
    )
    .await;
    assert_eq!(numbers(&back), vec![1002, 1005]);
    let by_number = json!({ "field": "NUMBER", "direction": "DESC" });
    let newest = search(&app, json!({ "sort": by_number, "first": 10 })).await;
    assert_eq!(numbers(&newest), vec![1005, 1004, 1003, 1002, 1001]);
    let default = search(&app, json!({ "first": 10 })).await;
    assert_eq!(numbers(&default), vec![1005, 1004, 1003, 1002, 1001]);
    let foreign = json!({ "sort": by_total, "after": "bm9wZQ" });
    assert_eq!(error_code(&search(&app, foreign).await), "BAD_USER_INPUT");
}

const CUSTOMER_ORDERS: &str = r#"
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Customer { id orders(first: 10) { totalCount edges { node { number customer { id } } } } }
  }
}"#;

async fn a_customer_lists_only_their_own_orders_through_entities(backend: Backend) {
    let app = TestApp::new(backend).await;
    four_orders(&app).await;
    app.place(Some(2), "5.00").await;
    let representations =
        json!({ "representations": [{ "__typename": "Customer", "id": customer_id(1) }] });
    let own = app
        .execute_as(customer(1), CUSTOMER_ORDERS, representations.clone())
        .await;
    let orders = &own["data"]["_entities"][0]["orders"];
    assert_eq!(orders["totalCount"], json!(3), "{own}");
    let listed: Vec<i64> = orders["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"]["number"].as_i64().expect("number"))
        .collect();
    assert_eq!(listed, vec![1003, 1002, 1001]);
    let staff = app
        .execute_as(reader(), CUSTOMER_ORDERS, representations.clone())
        .await;
    assert_eq!(
        staff["data"]["_entities"][0]["orders"]["totalCount"],
        json!(3)
    );
    let other = app
        .execute_as(customer(2), CUSTOMER_ORDERS, representations.clone())
        .await;
    assert_eq!(error_code(&other), "FORBIDDEN");
    let anonymous = app
        .execute_as(
            commerce_kernel::viewer::Viewer::Anonymous,
            CUSTOMER_ORDERS,
            representations,
        )
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
}

const HEAVY_LIST: &str = r#"
query { orders(first: 50) { totalCount edges { node {
  number lines { sku total { amount } } timeline { kind actor } fulfillments { id lines { quantity } }
} } } }"#;

async fn a_page_of_orders_costs_the_same_statements_for_1_or_20_orders(backend: Backend) {
    let mut counts = Vec::new();
    for orders in [1, 20] {
        let app = TestApp::new(backend).await;
        for _ in 0..orders {
            app.place(Some(1), "28.90").await;
        }
        app.statements.reset();
        let response = app.execute_as(reader(), HEAVY_LIST, json!({})).await;
        assert_eq!(
            response["data"]["orders"]["edges"].as_array().map(Vec::len),
            Some(orders),
            "{response}"
        );
        counts.push(app.statements.count());
    }
    // The page, its count, then one query each for lines, timelines and fulfillments.
    assert_eq!(counts, vec![5, 5]);
}
