//! The checkout saga's paths that need no payments or orders subgraph (the stack's tests run
//! the whole saga): the cart is checked and priced first, stock that ran out meanwhile is a
//! business failure, and payments being down is a clear error that leaves nothing reserved,
//! the same on every replay (the cart waits until payments can cancel the checkout's payment
//! reference; the stack's tests show it opening again then).

use commerce_kernel::viewer::Viewer;
use commerce_testkit::events::publish_pending;
use commerce_testkit::{Backend, error_code, on_both_backends};
use serde_json::{Value, json};

use crate::documents::*;
use crate::support::TestShop;

/// A guest cart with 2 units of the first variant, an email, a German address and the
/// standard shipping method (39.80 + 4.90 EUR).
async fn ready_cart(shop: &TestShop) -> Value {
    let created = shop
        .ok(CART_CREATE, json!({ "currency": "EUR", "country": "DE" }))
        .await;
    let cart = json!({ "token": created["cartCreate"]["token"] });
    let with = |extra: Value| {
        let mut variables = cart.clone();
        for (key, value) in extra.as_object().expect("an object") {
            variables[key] = value.clone();
        }
        variables
    };
    shop.ok(
        CART_ADD_LINE,
        with(json!({ "variantId": shop.variants[0], "quantity": 2 })),
    )
    .await;
    shop.ok(CART_SET_EMAIL, with(json!({ "email": "ada@example.com" })))
        .await;
    let address = json!({
        "firstName": "Ada", "lastName": "Lovelace", "line1": "Unter den Linden 1",
        "city": "Berlin", "postalCode": "10117", "countryCode": "DE",
    });
    shop.ok(
        CART_SET_SHIPPING_ADDRESS,
        with(json!({ "address": address })),
    )
    .await;
    let read = shop.ok(CART, cart.clone()).await;
    let standard = read["cart"]["availableShippingMethods"][0]["method"]["id"].clone();
    shop.ok(
        CART_SET_SHIPPING_METHOD,
        with(json!({ "shippingMethodId": standard })),
    )
    .await;
    cart
}

fn checkout(cart: &Value, key: &str, card: &str) -> Value {
    let mut variables = cart.clone();
    variables["idempotencyKey"] = json!(key);
    variables["payment"] = json!({ "provider": "test", "token": card });
    variables
}

const GOOD_CARD: &str = "4242 4242 4242 4242";

async fn an_incomplete_cart_is_not_ready(backend: Backend) {
    let shop = TestShop::new(backend).await;
    let created = shop.ok(CART_CREATE, json!({ "currency": "EUR" })).await;
    let cart = json!({ "token": created["cartCreate"]["token"] });
    let answer = shop
        .ok(CHECKOUT_COMPLETE, checkout(&cart, "k1", GOOD_CARD))
        .await;
    let result = &answer["checkoutComplete"];
    assert_eq!(result["__typename"], "CartNotReady", "{answer:#}");
    assert_eq!(
        result["missing"],
        json!(["lines", "email", "shippingAddress", "shippingMethod"])
    );
}

async fn a_total_the_customer_did_not_see_is_refused(backend: Backend) {
    let shop = TestShop::new(backend).await;
    let cart = ready_cart(&shop).await;
    let mut variables = checkout(&cart, "k1", GOOD_CARD);
    variables["expectedTotal"] = json!("40.00");
    let answer = shop.ok(CHECKOUT_COMPLETE, variables).await;
    let result = &answer["checkoutComplete"];
    assert_eq!(result["__typename"], "PriceChanged", "{answer:#}");
    assert_eq!(result["actual"]["amount"], "44.70");
    assert_eq!(
        shop.available(&shop.variants[0]).await,
        10,
        "nothing reserved"
    );
}

async fn stock_sold_meanwhile_is_a_business_failure(backend: Backend) {
    let shop = TestShop::new(backend).await;
    let cart = ready_cart(&shop).await;
    shop.set_stock(&shop.variants[0], 1).await;
    let answer = shop
        .ok(CHECKOUT_COMPLETE, checkout(&cart, "k1", GOOD_CARD))
        .await;
    let result = &answer["checkoutComplete"];
    assert_eq!(result["__typename"], "InsufficientStock", "{answer:#}");
    assert_eq!(
        (result["requested"].clone(), result["available"].clone()),
        (json!(2), json!(1))
    );
    let read = shop.ok(CART, cart.clone()).await;
    assert_eq!(read["cart"]["status"], "ACTIVE", "the cart opens again");
    assert_eq!(shop.available(&shop.variants[0]).await, 1);
}

async fn payments_down_is_a_clear_error_and_releases_the_stock(backend: Backend) {
    let shop = TestShop::new(backend).await;
    let cart = ready_cart(&shop).await;
    let variables = checkout(&cart, "k1", GOOD_CARD);
    let answer = shop
        .execute_as(Viewer::Anonymous, CHECKOUT_COMPLETE, variables.clone())
        .await;
    assert_eq!(error_code(&answer), "SERVICE_UNAVAILABLE", "{answer:#}");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("payments")),
        "{answer:#}"
    );
    assert_eq!(
        shop.available(&shop.variants[0]).await,
        10,
        "reservation released"
    );
    // The authorization may have reached payments before the call failed, so the checkout is
    // finished only once payments has cancelled its reference; the cart waits for that.
    let read = shop.ok(CART, cart.clone()).await;
    assert_eq!(read["cart"]["status"], "CHECKING_OUT");

    let replay = shop
        .execute_as(Viewer::Anonymous, CHECKOUT_COMPLETE, variables)
        .await;
    assert_eq!(
        replay, answer,
        "a replay tries the compensation again and answers the same"
    );
    assert_eq!(shop.available(&shop.variants[0]).await, 10);

    let other_card = shop
        .execute_as(
            Viewer::Anonymous,
            CHECKOUT_COMPLETE,
            checkout(&cart, "k1", "4000 0000 0000 0002"),
        )
        .await;
    assert_eq!(error_code(&other_card), "CONFLICT", "{other_card:#}");
}

async fn concurrent_identical_checkouts_run_once(backend: Backend) {
    let shop = TestShop::new(backend).await;
    let cart = ready_cart(&shop).await;
    let variables = checkout(&cart, "same-key", GOOD_CARD);
    let answers = futures::future::join_all(
        (0..20).map(|_| shop.execute_as(Viewer::Anonymous, CHECKOUT_COMPLETE, variables.clone())),
    )
    .await;
    for answer in &answers {
        assert_eq!(answer, &answers[0], "every twin gets the one outcome");
    }
    assert_eq!(error_code(&answers[0]), "SERVICE_UNAVAILABLE");
    assert_eq!(shop.available(&shop.variants[0]).await, 10);
}

on_both_backends!(
    an_incomplete_cart_is_not_ready,
    a_total_the_customer_did_not_see_is_refused,
    stock_sold_meanwhile_is_a_business_failure,
    payments_down_is_a_clear_error_and_releases_the_stock,
    concurrent_identical_checkouts_run_once,
    a_finished_saga_publishes_how_it_ended_and_an_unfinished_one_nothing,
);

async fn a_finished_saga_publishes_how_it_ended_and_an_unfinished_one_nothing(backend: Backend) {
    let shop = TestShop::new(backend).await;
    let waiting = ready_cart(&shop).await;
    let down = shop
        .execute_as(
            Viewer::Anonymous,
            CHECKOUT_COMPLETE,
            checkout(&waiting, "k1", GOOD_CARD),
        )
        .await;
    assert_eq!(error_code(&down), "SERVICE_UNAVAILABLE", "{down:#}");
    assert!(
        publish_pending(&shop.db, "checkout").await.is_empty(),
        "the saga waits for payments: not finished, nothing published"
    );

    let cart = ready_cart(&shop).await;
    shop.set_stock(&shop.variants[0], 1).await;
    let answer = shop
        .ok(CHECKOUT_COMPLETE, checkout(&cart, "k2", GOOD_CARD))
        .await;
    assert_eq!(
        answer["checkoutComplete"]["__typename"],
        "InsufficientStock"
    );
    shop.ok(CHECKOUT_COMPLETE, checkout(&cart, "k2", GOOD_CARD))
        .await; // a replay answers the stored outcome and publishes nothing more
    let cart_id = shop.ok(CART, cart.clone()).await["cart"]["id"].clone();

    let events = publish_pending(&shop.db, "checkout").await;
    let summary: Vec<(String, Value, i64, Value)> = events
        .into_iter()
        .map(|e| (e.event_type, json!(e.aggregate_id), e.sequence, e.payload))
        .collect();
    assert_eq!(
        summary,
        [(
            "checkout.checkout_failed".to_owned(),
            cart_id.clone(),
            1,
            json!({ "cartId": cart_id, "customerId": null, "reason": "INSUFFICIENT_STOCK",
                "detail": shop.variants[0] })
        )]
    );
}
