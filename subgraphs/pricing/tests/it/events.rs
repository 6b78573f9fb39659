//! Price changes publish `pricing.price_changed`, in the transaction of the change: one per
//! currency set or removed, numbered per variant; refused or empty changes publish nothing.

use commerce_testkit::events::publish_pending;
use serde_json::{Value, json};

use crate::support::{Backend, app, execute, on_both_backends, price, staff, staff_ok, variant};

on_both_backends!(setting_and_removing_prices_publishes_one_event_per_currency);

async fn setting_and_removing_prices_publishes_one_event_per_currency(backend: Backend) {
    let app = app(backend).await;
    price(&app, 1, "19.99", Some("24.00")).await;
    let remove = "mutation($id: ID!, $currency: String!) {
        removeVariantPrice(variantId: $id, currency: $currency) }";
    let removed = execute(
        &app,
        staff(),
        remove,
        json!({ "id": variant(1), "currency": "EUR" }),
    )
    .await;
    assert_eq!(removed["data"]["removeVariantPrice"], true, "{removed:#}");
    let again = execute(
        &app,
        staff(),
        remove,
        json!({ "id": variant(1), "currency": "EUR" }),
    )
    .await;
    assert_eq!(again["data"]["removeVariantPrice"], false, "{again:#}");
    let refused = execute(
        &app,
        staff(),
        crate::support::SET_PRICES,
        json!({ "input": { "variantId": variant(1), "prices": [
            { "currency": "EUR", "amount": "1.00" }, { "currency": "EUR", "amount": "2.00" } ] } }),
    )
    .await;
    assert_eq!(
        refused["data"]["setVariantPrices"]["__typename"], "InvalidPricingInput",
        "{refused:#}"
    );

    let events: Vec<(String, String, i64, Value)> =
        publish_pending(app.state.service.db(), "pricing")
            .await
            .into_iter()
            .map(|e| (e.event_type, e.aggregate_id, e.sequence, e.payload))
            .collect();
    let changed = |sequence: i64, payload: Value| {
        (
            "pricing.price_changed".to_owned(),
            variant(1),
            sequence,
            payload,
        )
    };
    let product = json!(commerce_testkit::ids::product(1));
    assert_eq!(
        events,
        [
            changed(
                1,
                json!({ "variantId": variant(1), "productId": product, "currency": "EUR",
                "amount": "19.99", "compareAt": null })
            ),
            changed(
                2,
                json!({ "variantId": variant(1), "productId": product, "currency": "USD",
                "amount": "24.00", "compareAt": null })
            ),
            changed(
                3,
                json!({ "variantId": variant(1), "productId": null, "currency": "EUR",
                "amount": null, "compareAt": null })
            ),
        ]
    );
}

on_both_backends!(rule_changes_publish_rules_changed_and_deleting_nothing_publishes_nothing);

/// Price lists, promotions and taxes write no `pricing.price_changed` (any price may move):
/// each change publishes one `pricing.rules_changed`, in its transaction.
async fn rule_changes_publish_rules_changed_and_deleting_nothing_publishes_nothing(
    backend: Backend,
) {
    let app = app(backend).await;
    let created = staff_ok(
        &app,
        r#"mutation {
          setTaxCategory(code: "standard", name: "Standard") { __typename }
          list: createPriceList(input: { name: "B2B", customerGroup: "b2b", currency: "EUR" }) { ... on PriceList { id } }
          promotion: createPromotion(input: { name: "Sale", kind: CATALOGUE, action: { type: PERCENTAGE, percent: "10" } }) { ... on Promotion { id } }
          rate: setTaxRate(input: { name: "VAT", country: "FR", category: "standard", ratePercent: "20" }) { ... on TaxRate { id } }
          setCurrencyTaxMode(currency: "EUR", taxInclusive: true) { __typename }
          other: createPriceList(input: { name: "VIP", customerGroup: "vip", currency: "EUR" }) { ... on PriceList { id } }
        }"#,
        json!({}),
    )
    .await;
    let id = |name: &str| {
        let id = created[name]["id"].as_str();
        id.unwrap_or_else(|| panic!("no {name}: {created:#}"))
            .to_owned()
    };
    staff_ok(
        &app,
        r#"mutation($list: ID!, $variant: ID!, $promotion: ID!, $rate: ID!) {
          setPriceListTiers(priceListId: $list, variantId: $variant, tiers: [{ minQuantity: 1, amount: "9" }]) { __typename }
          deletePromotion(id: $promotion)
          deleteTaxRate(id: $rate)
        }"#,
        json!({ "list": id("list"), "variant": variant(1), "promotion": id("promotion"),
                "rate": id("rate") }),
    )
    .await;
    let again = staff_ok(
        &app,
        "mutation($promotion: ID!) { deletePromotion(id: $promotion) }",
        json!({ "promotion": id("promotion") }),
    )
    .await;
    assert_eq!(again["deletePromotion"], false);

    let events: Vec<(String, Value)> = publish_pending(app.state.service.db(), "pricing")
        .await
        .into_iter()
        .map(|e| (e.event_type, e.payload))
        .collect();
    let local = |name: &str, typename: &str| {
        commerce_kernel::GlobalId::decode(&id(name), typename)
            .expect("a global id")
            .to_string()
    };
    let rule = |rule: &str, id: String| {
        (
            "pricing.rules_changed".to_owned(),
            json!({ "rule": rule, "id": id }),
        )
    };
    assert_eq!(
        events,
        [
            rule("priceList", local("list", "PriceList")),
            rule("promotion", local("promotion", "Promotion")),
            rule("taxRate", local("rate", "TaxRate")),
            rule("taxMode", "EUR".to_owned()),
            rule("priceList", local("other", "PriceList")),
            rule("priceList", local("list", "PriceList")),
            rule("promotion", local("promotion", "Promotion")),
            rule("taxRate", local("rate", "TaxRate")),
        ]
    );
}
