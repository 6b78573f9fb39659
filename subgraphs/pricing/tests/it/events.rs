//! Price changes publish `pricing.price_changed`, in the transaction of the change: one per
//! currency set or removed, numbered per variant; refused or empty changes publish nothing.

use commerce_testkit::events::publish_pending;
use serde_json::{Value, json};

use crate::support::{Backend, app, execute, on_both_backends, price, staff, variant};

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
