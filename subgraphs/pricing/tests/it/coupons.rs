//! Coupon usage limits: in total (under concurrency), per customer, and replays.

use commerce_kernel::viewer::Viewer;
use serde_json::json;

use crate::support::{Backend, app, customer, execute, on_both_backends, price, staff_ok, variant};

async fn coupon_promotion(app: &crate::support::TestApp, limit: i32, per_customer: Option<i32>) {
    let promotion = staff_ok(
        app,
        r#"mutation { createPromotion(input: { name: "Welcome", kind: ORDER, requiresCoupon: true,
            action: { type: PERCENTAGE, percent: "10" } }) { ... on Promotion { id } } }"#,
        json!({}),
    )
    .await;
    let coupon = staff_ok(
        app,
        r#"mutation($input: CouponInput!) { createCoupon(input: $input) { __typename ... on InvalidPricingInput { field } } }"#,
        json!({ "input": { "code": "welcome10", "promotionId": promotion["createPromotion"]["id"],
                           "usageLimit": limit, "usageLimitPerCustomer": per_customer } }),
    )
    .await;
    assert_eq!(coupon["createCoupon"]["__typename"], "Coupon", "{coupon}");
}

on_both_backends!(exactly_the_limit_of_concurrent_redemptions_succeed_and_replays_are_free);

async fn exactly_the_limit_of_concurrent_redemptions_succeed_and_replays_are_free(
    backend: Backend,
) {
    let app = app(backend).await;
    coupon_promotion(&app, 5, None).await;
    let codes = vec!["WELCOME10".to_owned()];
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let service = app.state.service.clone();
            let codes = codes.clone();
            tokio::spawn(async move {
                service
                    .redeem_coupons(&format!("order-{n}"), None, &codes)
                    .await
            })
        })
        .collect();
    let mut redeemed = 0;
    for task in tasks {
        let outcome = task.await.expect("joins").expect("redeems or refuses");
        redeemed += usize::from(outcome[0].1.is_none());
    }
    assert_eq!(redeemed, 5);
    let winner = (0..20)
        .map(|n| format!("order-{n}"))
        .next()
        .expect("an order");
    let replay = app
        .state
        .service
        .redeem_coupons(&winner, None, &codes)
        .await
        .expect("replays");
    let again = app
        .state
        .service
        .redeem_coupons("order-new", None, &codes)
        .await
        .expect("refuses");
    assert_eq!(again[0].1.as_deref(), Some("this coupon has been used up"));
    let promotions = staff_ok(&app, "{ promotions { coupons { timesUsed } } }", json!({})).await;
    assert_eq!(promotions["promotions"][0]["coupons"][0]["timesUsed"], 5);
    // A replay of a redeemed order succeeds without counting; of a refused one, it is refused.
    assert!(
        replay[0].1.is_none() || replay[0].1.as_deref() == Some("this coupon has been used up")
    );
}

on_both_backends!(a_customer_who_used_a_coupon_is_told_so_at_the_next_cart);

async fn a_customer_who_used_a_coupon_is_told_so_at_the_next_cart(backend: Backend) {
    let app = app(backend).await;
    price(&app, 1, "20", None).await;
    coupon_promotion(&app, 100, Some(1)).await;
    let cart = r#"query($input: PriceCartInput!) { priceCart(input: $input) {
        ... on PricedCart { total { amount } coupons { code applied reason } } } }"#;
    let input = json!({ "input": { "lines": [{ "variantId": variant(1), "quantity": 1 }], "currency": "EUR",
                                    "couponCodes": ["welcome10"], "country": "DE" } });
    let shopper = customer(&[]);
    let before = execute(&app, shopper.clone(), cart, input.clone()).await;
    let customer_id = shopper.customer_id().map(str::to_owned);
    let first = app
        .state
        .service
        .redeem_coupons("o-1", customer_id.as_deref(), &["WELCOME10".into()])
        .await
        .expect("redeems");
    assert_eq!(first[0].1, None);
    let second = app
        .state
        .service
        .redeem_coupons("o-2", customer_id.as_deref(), &["WELCOME10".into()])
        .await
        .expect("refuses");
    assert_eq!(
        second[0].1.as_deref(),
        Some("you have already used this coupon")
    );
    let after = execute(&app, shopper, cart, input.clone()).await;
    let anonymous = execute(&app, Viewer::Anonymous, cart, input).await;
    // Fields of one object may come back in any order; sort them for stable snapshots.
    insta::with_settings!({ sort_maps => true }, {
        insta::assert_json_snapshot!([before, after, anonymous]);
    });
}

on_both_backends!(one_customer_redeeming_concurrently_gets_exactly_the_per_customer_limit);

async fn one_customer_redeeming_concurrently_gets_exactly_the_per_customer_limit(backend: Backend) {
    let app = app(backend).await;
    coupon_promotion(&app, 100, Some(2)).await;
    let codes = vec!["WELCOME10".to_owned()];
    // Several rounds, each by a customer of its own: the later ones run on a warm pool, where
    // the redemptions of a round really overlap.
    let mut winners = Vec::new();
    for round in 1..=5 {
        let customer = format!("customer-{round}");
        let tasks: Vec<_> = (0..20)
            .map(|n| {
                let service = app.state.service.clone();
                let codes = codes.clone();
                let customer = customer.clone();
                tokio::spawn(async move {
                    let order = format!("order-{round}-{n}");
                    let outcome = service
                        .redeem_coupons(&order, Some(&customer), &codes)
                        .await;
                    (order, outcome)
                })
            })
            .collect();
        winners.clear();
        for task in tasks {
            let (order, outcome) = task.await.expect("joins");
            match outcome.expect("redeems or refuses")[0].1.as_deref() {
                None => winners.push(order),
                Some(reason) => assert_eq!(reason, "you have already used this coupon"),
            }
        }
        assert_eq!(winners.len(), 2, "{customer}: {winners:?}");
    }
    // A replay of a redeemed order succeeds without counting again.
    let replay = app
        .state
        .service
        .redeem_coupons(&winners[0], Some("customer-5"), &codes)
        .await
        .expect("replays");
    assert_eq!(replay[0].1, None);
    let again = app
        .state
        .service
        .redeem_coupons("order-new", Some("customer-5"), &codes)
        .await
        .expect("refuses");
    assert_eq!(
        again[0].1.as_deref(),
        Some("you have already used this coupon")
    );
    // Another customer has a limit of their own; refusals rolled back the total counter.
    let other = app
        .state
        .service
        .redeem_coupons("order-other", Some("customer-6"), &codes)
        .await
        .expect("redeems");
    assert_eq!(other[0].1, None);
    let promotions = staff_ok(&app, "{ promotions { coupons { timesUsed } } }", json!({})).await;
    assert_eq!(promotions["promotions"][0]["coupons"][0]["timesUsed"], 11);
}

on_both_backends!(only_services_price_a_cart_for_a_named_customer);

/// Checkout prices a customer's cart with its service token, naming the customer; a customer
/// naming someone (or themself) is refused.
async fn only_services_price_a_cart_for_a_named_customer(backend: Backend) {
    let app = app(backend).await;
    price(&app, 1, "20", None).await;
    coupon_promotion(&app, 100, Some(1)).await;
    let cart = r#"query($input: PriceCartInput!, $customer: PriceCartCustomerInput) {
        priceCart(input: $input, customer: $customer) {
        ... on PricedCart { coupons { code applied reason } } } }"#;
    let variables = json!({
        "input": { "lines": [{ "variantId": variant(1), "quantity": 1 }], "currency": "EUR",
                   "couponCodes": ["welcome10"], "country": "DE" },
        "customer": { "id": "Q3VzdG9tZXI6MQ", "groups": [] },
    });
    let checkout = commerce_testkit::service("checkout");
    let priced = execute(&app, checkout, cart, variables.clone()).await;
    assert_eq!(
        priced["data"]["priceCart"]["coupons"][0]["applied"], true,
        "a per-customer coupon applies for the named customer: {priced}"
    );
    let spoofed = execute(&app, customer(&[]), cart, variables).await;
    assert_eq!(
        spoofed["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{spoofed}"
    );
    let anonymous = execute(
        &app,
        Viewer::Anonymous,
        cart,
        json!({
            "input": { "lines": [{ "variantId": variant(1), "quantity": 1 }], "currency": "EUR",
                       "couponCodes": ["welcome10"], "country": "DE" },
        }),
    )
    .await;
    assert_eq!(
        anonymous["data"]["priceCart"]["coupons"][0]["applied"], false,
        "without a customer the coupon needs a sign-in: {anonymous}"
    );
}
