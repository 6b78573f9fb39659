//! Staff mutations: permissions, validation errors as data, unknown ids as top-level errors.

use commerce_kernel::viewer::Viewer;
use commerce_testkit::error_code;
use serde_json::{Value, json};

use crate::support::{
    Backend, SET_PRICES, TestApp, app, customer, execute, on_both_backends, product, staff_ok,
    variant,
};

const CREATE_LIST: &str = r#"mutation($input: PriceListInput!) {
  createPriceList(input: $input) {
    __typename
    ... on PriceList { id name customerGroup currency priority }
    ... on InvalidPricingInput { code field message }
  }
}"#;

const SET_TIERS: &str = r#"mutation($list: ID!, $variant: ID!, $tiers: [PriceTierInput!]!) {
  setPriceListTiers(priceListId: $list, variantId: $variant, tiers: $tiers) {
    __typename
    ... on PriceListEntry { tiers { minQuantity maxQuantity unitPrice { amount } } }
    ... on InvalidPricingInput { code field message }
  }
}"#;

const CREATE_PROMOTION: &str = r#"mutation($input: PromotionInput!) {
  createPromotion(input: $input) {
    __typename
    ... on Promotion { id reason kind action { type percent } }
    ... on InvalidPricingInput { code field message }
  }
}"#;

const SET_RATE: &str = r#"mutation($input: TaxRateInput!) {
  setTaxRate(input: $input) {
    __typename
    ... on TaxRate { country region category ratePercent }
    ... on InvalidPricingInput { code field message }
  }
}"#;

async fn mutate(app: &TestApp, query: &str, variables: Value) -> Value {
    let data = staff_ok(app, query, variables).await;
    data.as_object()
        .and_then(|o| o.values().next().cloned())
        .expect("one root field")
}

fn b2b_list() -> Value {
    json!({ "name": "B2B", "customerGroup": "B2B", "currency": "eur", "priority": 5 })
}

on_both_backends!(staff_manage_prices_and_lists_with_validation_errors_as_data);

async fn staff_manage_prices_and_lists_with_validation_errors_as_data(backend: Backend) {
    let app = app(backend).await;
    let prices = |compare_at: &str| {
        json!({ "input": { "variantId": variant(1), "productId": product(1),
            "prices": [{ "currency": "EUR", "amount": "19.9", "compareAt": compare_at }] } })
    };
    let saved = mutate(&app, SET_PRICES, prices("24.90")).await;
    let too_low = mutate(&app, SET_PRICES, prices("10")).await;
    let list = mutate(&app, CREATE_LIST, json!({ "input": b2b_list() })).await;
    let mut backwards = b2b_list();
    backwards["startsAt"] = json!("2026-12-01T00:00:00Z");
    backwards["endsAt"] = json!("2026-11-01T00:00:00Z");
    let backwards = mutate(&app, CREATE_LIST, json!({ "input": backwards })).await;
    let tiers = |tiers: Value| json!({ "list": list["id"], "variant": variant(1), "tiers": tiers });
    let overlapping = mutate(
        &app,
        SET_TIERS,
        tiers(json!([{ "minQuantity": 1, "maxQuantity": 10, "amount": "10" }, { "minQuantity": 10, "amount": "9" }])),
    )
    .await;
    let valid = mutate(
        &app,
        SET_TIERS,
        tiers(json!([
            { "minQuantity": 50, "amount": "8" },
            { "minQuantity": 1, "maxQuantity": 9, "amount": "10" },
            { "minQuantity": 10, "maxQuantity": 49, "amount": "9" }
        ])),
    )
    .await;
    let over_100 = mutate(
        &app,
        CREATE_PROMOTION,
        json!({ "input": { "name": "Too much", "kind": "ORDER", "action": { "type": "PERCENTAGE", "percent": "150" } } }),
    )
    .await;
    // Fields of one object may come back in any order; sort them for stable snapshots.
    insta::with_settings!({ sort_maps => true }, {
        insta::assert_json_snapshot!([saved, too_low, list, backwards, overlapping, valid, over_100], {
            "[2].id" => "[id]"
        });
    });
}

on_both_backends!(tax_rates_need_a_category_and_a_sane_percentage);

async fn tax_rates_need_a_category_and_a_sane_percentage(backend: Backend) {
    let app = app(backend).await;
    let rate = |category: &str, percent: &str| json!({ "input": { "name": "Sales tax", "country": "us", "region": "ca", "category": category, "ratePercent": percent } });
    let no_category = mutate(&app, SET_RATE, rate("standard", "7.25")).await;
    staff_ok(
        &app,
        r#"mutation { setTaxCategory(code: "standard", name: "Standard") { __typename } }"#,
        json!({}),
    )
    .await;
    let saved = mutate(&app, SET_RATE, rate("standard", "7.25")).await;
    let replaced = mutate(&app, SET_RATE, rate("standard", "7.5")).await;
    let over = mutate(&app, SET_RATE, rate("standard", "101")).await;
    // Fields of one object may come back in any order; sort them for stable snapshots.
    insta::with_settings!({ sort_maps => true }, {
        insta::assert_json_snapshot!([no_category, saved, replaced, over]);
    });
    let rates = staff_ok(
        &app,
        r#"{ taxRates(country: "US") { ratePercent } }"#,
        json!({}),
    )
    .await;
    assert_eq!(rates, json!({ "taxRates": [{ "ratePercent": "7.5" }] }));
}

#[tokio::test]
async fn customers_are_forbidden_and_anonymous_callers_unauthenticated() {
    let app = app(Backend::Sqlite).await;
    let variables = json!({ "input": { "variantId": variant(1), "prices": [] } });
    let as_customer = execute(&app, customer(&["b2b"]), SET_PRICES, variables.clone()).await;
    assert_eq!(error_code(&as_customer), "FORBIDDEN", "{as_customer}");
    let anonymous = execute(&app, Viewer::Anonymous, SET_PRICES, variables).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED", "{anonymous}");
    let lists = execute(&app, customer(&[]), "{ priceLists { id } }", json!({})).await;
    assert_eq!(error_code(&lists), "FORBIDDEN", "{lists}");
    let redeem =
        r#"mutation { redeemCoupons(orderRef: "o1", couponCodes: ["WELCOME10"]) { redeemed } }"#;
    let redeem = execute(&app, customer(&[]), redeem, json!({})).await;
    assert_eq!(error_code(&redeem), "FORBIDDEN", "{redeem}");
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_clear_errors() {
    let app = app(Backend::Sqlite).await;
    let update = r#"mutation($id: ID!) { updatePriceList(id: $id, input: { name: "x", currency: "EUR" }) { __typename } }"#;
    let missing = commerce_kernel::GlobalId::encode("PriceList", 999);
    let missing = execute(
        &app,
        crate::support::staff(),
        update,
        json!({ "id": missing }),
    )
    .await;
    assert_eq!(error_code(&missing), "NOT_FOUND", "{missing}");
    let wrong_type = execute(
        &app,
        crate::support::staff(),
        update,
        json!({ "id": variant(1) }),
    )
    .await;
    assert_eq!(error_code(&wrong_type), "BAD_USER_INPUT", "{wrong_type}");
    let lookup = execute(
        &app,
        crate::support::staff(),
        r#"query($id: ID!) { priceList(id: $id) { id } }"#,
        json!({ "id": commerce_kernel::GlobalId::encode("PriceList", 5) }),
    )
    .await;
    assert_eq!(lookup["data"]["priceList"], Value::Null, "{lookup}");
    let bad_variant = execute(
        &app,
        crate::support::staff(),
        SET_PRICES,
        json!({ "input": { "variantId": "nope", "prices": [] } }),
    )
    .await;
    assert_eq!(
        bad_variant["data"]["setVariantPrices"]["field"], "variantId",
        "{bad_variant}"
    );
}

on_both_backends!(staff_update_and_delete_lists_promotions_coupons_rates_and_prices);

async fn staff_update_and_delete_lists_promotions_coupons_rates_and_prices(backend: Backend) {
    let app = app(backend).await;
    crate::support::price(&app, 1, "10", Some("11")).await;
    let created = staff_ok(
        &app,
        r#"mutation {
          list: createPriceList(input: { name: "VIP", customerGroup: "vip", currency: "EUR" }) { ... on PriceList { id } }
          promo: createPromotion(input: { name: "Spring", kind: ORDER, requiresCoupon: true, action: { type: FIXED_AMOUNT, amount: { currency: "EUR", amount: "5" } } }) { ... on Promotion { id } }
          category: setTaxCategory(code: "standard", name: "Standard") { __typename }
          rate: setTaxRate(input: { name: "VAT", country: "FR", category: "standard", ratePercent: "20" }) { ... on TaxRate { id } }
        }"#,
        json!({}),
    )
    .await;
    let coupon = staff_ok(
        &app,
        r#"mutation($id: ID!) { createCoupon(input: { code: "SPRING5", promotionId: $id, usageLimit: 0 }) { __typename ... on InvalidPricingInput { field } }
                              ok: createCoupon(input: { code: "SPRING5", promotionId: $id }) { ... on Coupon { id code } }
                              again: createCoupon(input: { code: "spring5", promotionId: $id }) { ... on InvalidPricingInput { field message } } }"#,
        json!({ "id": created["promo"]["id"] }),
    )
    .await;
    let currency_change = mutate(
        &app,
        r#"mutation($id: ID!) { updatePriceList(id: $id, input: { name: "VIP+", currency: "USD" }) { __typename ... on InvalidPricingInput { field } } }"#,
        json!({ "id": created["list"]["id"] }),
    )
    .await;
    let renamed = mutate(
        &app,
        r#"mutation($id: ID!) { updatePriceList(id: $id, input: { name: "VIP+", currency: "EUR", priority: 3 }) { ... on PriceList { name priority customerGroup } } }"#,
        json!({ "id": created["list"]["id"] }),
    )
    .await;
    let promotion = mutate(
        &app,
        r#"mutation($id: ID!) { updatePromotion(id: $id, input: { name: "Spring", kind: ORDER, active: false, action: { type: FREE_SHIPPING } }) { ... on Promotion { active action { type } coupons { code } } } }"#,
        json!({ "id": created["promo"]["id"] }),
    )
    .await;
    let deleted = staff_ok(
        &app,
        r#"mutation($list: ID!, $promo: ID!, $coupon: ID!, $rate: ID!, $variant: ID!) {
          coupon: deleteCoupon(id: $coupon) list: deletePriceList(id: $list) rate: deleteTaxRate(id: $rate)
          price: removeVariantPrice(variantId: $variant, currency: "USD") promo: deletePromotion(id: $promo)
          again: deletePromotion(id: $promo)
        }"#,
        json!({ "list": created["list"]["id"], "promo": created["promo"]["id"], "coupon": coupon["ok"]["id"],
                "rate": created["rate"]["id"], "variant": variant(1) }),
    )
    .await;
    let remaining = staff_ok(
        &app,
        r#"query($variant: ID!) { priceLists { id } promotions { id } taxRates { id } variantPricing(variantId: $variant) { prices { price { currency } } } }"#,
        json!({ "variant": variant(1) }),
    )
    .await;
    // Root fields of one query may come back in any order; sort them for a stable snapshot.
    insta::with_settings!({ sort_maps => true }, {
        insta::assert_json_snapshot!([coupon, currency_change, renamed, promotion, deleted, remaining], {
            "[0].ok.id" => "[id]"
        });
    });
}
