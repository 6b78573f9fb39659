//! `priceCart`: the pure pricing function behind GraphQL, with stored prices, promotions,
//! coupons and taxes.

use commerce_kernel::viewer::Viewer;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, app, execute, on_both_backends, price, staff_ok, variant};

const PRICE_CART: &str = r#"query($input: PriceCartInput!) {
  priceCart(input: $input) {
    __typename
    ... on PricedCart {
      currency taxInclusive
      lines { variantId quantity listUnitPrice { amount } unitPrice { amount } compareAt { amount }
              promotion { reason } subtotal { amount } discount { amount } total { amount } tax { amount } }
      subtotal { amount }
      discounts { name couponCode scope reason amount { amount } }
      orderDiscountTotal { amount }
      shipping { price { amount } discount { amount } total { amount } tax { amount } }
      taxes { rate { name country region ratePercent } base { amount } amount { amount } }
      taxTotal { amount } total { amount currency }
      coupons { code applied reason }
    }
    ... on MissingPrices { code message variantIds }
    ... on InvalidPricingInput { code field message }
  }
}"#;

async fn shop(app: &TestApp) {
    price(app, 1, "40", None).await;
    price(app, 2, "15", Some("16.50")).await;
    let setup = r#"mutation {
      setTaxCategory(code: "standard", name: "Standard") { __typename }
      de: setTaxRate(input: { name: "MwSt. 19%", country: "DE", category: "standard", ratePercent: "19" }) { __typename }
      ca: setTaxRate(input: { name: "California", country: "US", region: "CA", category: "standard", ratePercent: "7.25" }) { __typename }
      setCurrencyTaxMode(currency: "EUR", taxInclusive: true) { __typename }
      sale: createPromotion(input: { name: "Winter sale", kind: CATALOGUE, action: { type: PERCENTAGE, percent: "10" } }) { __typename }
      shipping: createPromotion(input: { name: "Free shipping", kind: ORDER,
        conditions: { minSubtotal: { currency: "EUR", amount: "50" } }, action: { type: FREE_SHIPPING } }) { __typename }
      welcome: createPromotion(input: { name: "Welcome", kind: ORDER, requiresCoupon: true,
        action: { type: PERCENTAGE, percent: "10" } }) { ... on Promotion { id } }
    }"#;
    let created = staff_ok(app, setup, json!({})).await;
    staff_ok(
        app,
        r#"mutation($id: ID!) { createCoupon(input: { code: "WELCOME10", promotionId: $id }) { __typename } }"#,
        json!({ "id": created["welcome"]["id"] }),
    )
    .await;
}

fn cart(lines: Value, currency: &str, country: &str, region: Option<&str>) -> Value {
    json!({ "input": { "lines": lines, "currency": currency, "couponCodes": ["welcome10", "BOGUS1"],
                       "shipping": "4.95", "country": country, "region": region } })
}

on_both_backends!(carts_get_every_amount_with_reasons_in_inclusive_and_exclusive_currencies);

async fn carts_get_every_amount_with_reasons_in_inclusive_and_exclusive_currencies(
    backend: Backend,
) {
    let app = app(backend).await;
    shop(&app).await;
    let lines = json!([{ "variantId": variant(1), "quantity": 2 }, { "variantId": variant(2), "quantity": 1 }]);
    let eur = execute(
        &app,
        Viewer::Anonymous,
        PRICE_CART,
        cart(lines, "EUR", "DE", None),
    )
    .await;
    let usd_lines = json!([{ "variantId": variant(2), "quantity": 1 }]);
    let usd = execute(
        &app,
        Viewer::Anonymous,
        PRICE_CART,
        cart(usd_lines, "USD", "us", Some("ca")),
    )
    .await;
    // Fields of one object may come back in any order; sort them for stable snapshots.
    insta::with_settings!({ sort_maps => true }, {
        insta::assert_json_snapshot!([eur, usd], { "[].data.priceCart.lines[].variantId" => "[id]" });
    });
}

on_both_backends!(unpriced_variants_and_bad_quantities_are_reported_as_data);

async fn unpriced_variants_and_bad_quantities_are_reported_as_data(backend: Backend) {
    let app = app(backend).await;
    shop(&app).await;
    let unpriced = json!([{ "variantId": variant(1), "quantity": 1 }, { "variantId": variant(3), "quantity": 1 }]);
    let missing = execute(
        &app,
        Viewer::Anonymous,
        PRICE_CART,
        cart(unpriced, "EUR", "DE", None),
    )
    .await;
    assert_eq!(
        missing["data"]["priceCart"]["variantIds"],
        json!([variant(3)]),
        "{missing}"
    );
    let zero = json!([{ "variantId": variant(1), "quantity": 0 }]);
    let zero = execute(
        &app,
        Viewer::Anonymous,
        PRICE_CART,
        cart(zero, "EUR", "DE", None),
    )
    .await;
    assert_eq!(
        zero["data"]["priceCart"]["field"], "lines.quantity",
        "{zero}"
    );
    let no_lines = execute(
        &app,
        Viewer::Anonymous,
        PRICE_CART,
        cart(json!([]), "EUR", "DE", None),
    )
    .await;
    assert_eq!(
        no_lines["data"]["priceCart"]["__typename"], "InvalidPricingInput",
        "{no_lines}"
    );
    let bad_currency = execute(
        &app,
        Viewer::Anonymous,
        PRICE_CART,
        cart(json!([]), "XXX", "DE", None),
    )
    .await;
    assert_eq!(
        bad_currency["data"]["priceCart"]["field"], "currency",
        "{bad_currency}"
    );
}

on_both_backends!(pricing_a_cart_costs_the_same_statements_whatever_its_size);

async fn pricing_a_cart_costs_the_same_statements_whatever_its_size(backend: Backend) {
    let app = app(backend).await;
    let ids: Vec<String> = (1..=60).map(variant).collect();
    commerce_pricing::demo::seed(&app.state, &ids, 3)
        .await
        .expect("seeds");
    let statements = |count: i64| {
        let lines: Vec<Value> = (1..=count)
            .map(|n| json!({ "variantId": variant(n), "quantity": 2 }))
            .collect();
        let variables = cart(json!(lines), "EUR", "DE", None);
        let app = &app;
        async move {
            app.statements.reset();
            let response = execute(
                app,
                crate::support::customer(&["b2b"]),
                PRICE_CART,
                variables,
            )
            .await;
            assert_eq!(
                response["data"]["priceCart"]["__typename"], "PricedCart",
                "{response:#}"
            );
            app.statements.count()
        }
    };
    let (small, large) = (statements(2).await, statements(50).await);
    // Prices (variants, prices, tiers, lists), tax mode, coupons (+ the customer's uses),
    // live promotions, tax rates.
    assert_eq!((small, large), (9, 9));
}
