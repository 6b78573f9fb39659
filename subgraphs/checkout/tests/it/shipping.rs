//! Staff manage shipping zones and methods with the dashboard's documents; others may not.

use commerce_testkit::{Backend, customer, error_code, on_both_backends, staff};
use serde_json::json;

use crate::documents::*;
use crate::support::TestShop;

async fn staff_manage_zones_and_methods(backend: Backend) {
    let shop = TestShop::new(backend).await;
    let writer = staff(&["shipping:write", "shipping:read"]);
    let created = shop
        .execute_as(
            writer.clone(),
            SHIPPING_ZONE_CREATE,
            json!({ "input": { "name": "Nordics", "countries": ["no", "IS"] } }),
        )
        .await;
    let zone = &created["data"]["createShippingZone"];
    assert_eq!(zone["countries"], json!(["IS", "NO"]), "{created:#}");

    let taken = shop
        .execute_as(
            writer.clone(),
            SHIPPING_ZONE_CREATE,
            json!({ "input": { "name": "Germany again", "countries": ["DE"] } }),
        )
        .await;
    assert_eq!(
        taken["data"]["createShippingZone"]["__typename"],
        "CountryAlreadyZoned"
    );

    let method = json!({
        "zoneId": zone["id"],
        "name": "Heavy goods",
        "kind": "BY_WEIGHT",
        "rates": [{ "currency": "EUR", "bands": [
            { "upToGrams": 5000, "price": "12" },
            { "price": "30" },
        ]}],
    });
    let saved = shop
        .execute_as(
            writer.clone(),
            SHIPPING_METHOD_CREATE,
            json!({ "input": method }),
        )
        .await;
    let saved = &saved["data"]["createShippingMethod"];
    assert_eq!(saved["kind"], "BY_WEIGHT", "{saved:#}");
    assert_eq!(saved["rates"][0]["bands"][1]["price"]["amount"], "30.00");

    let mut flat_without_price = method.clone();
    flat_without_price["kind"] = json!("FLAT");
    let refused = shop
        .execute_as(
            writer.clone(),
            SHIPPING_METHOD_CREATE,
            json!({ "input": flat_without_price }),
        )
        .await;
    assert_eq!(
        refused["data"]["createShippingMethod"]["__typename"],
        "InvalidCheckoutInput"
    );

    let listed = shop
        .execute_as(writer.clone(), SHIPPING_ZONES, json!({}))
        .await;
    assert_eq!(
        listed["data"]["shippingZones"].as_array().map(Vec::len),
        Some(5)
    );
    let deleted = shop
        .execute_as(
            writer.clone(),
            SHIPPING_METHOD_DELETE,
            json!({ "id": saved["id"] }),
        )
        .await;
    assert_eq!(deleted["data"]["deleteShippingMethod"], true);

    let renamed = shop
        .execute_as(
            writer.clone(),
            SHIPPING_ZONE_UPDATE,
            json!({ "id": zone["id"], "input": { "name": "Nordics and Denmark",
                                                  "countries": ["NO", "IS", "FO"] } }),
        )
        .await;
    assert_eq!(
        renamed["data"]["updateShippingZone"]["countries"],
        json!(["FO", "IS", "NO"]),
        "{renamed:#}"
    );
    let removed = shop
        .execute_as(
            writer.clone(),
            SHIPPING_ZONE_DELETE,
            json!({ "id": zone["id"] }),
        )
        .await;
    assert_eq!(removed["data"]["deleteShippingZone"], true);
    let listed = shop.execute_as(writer, SHIPPING_ZONES, json!({})).await;
    assert_eq!(
        listed["data"]["shippingZones"].as_array().map(Vec::len),
        Some(4)
    );
}

async fn only_staff_with_the_permission_manage_shipping(backend: Backend) {
    let shop = TestShop::new(backend).await;
    let input = json!({ "input": { "name": "Nordics", "countries": ["NO"] } });
    for (viewer, code) in [
        (customer(1, &[]), "FORBIDDEN"),
        (staff(&["catalog:write"]), "FORBIDDEN"),
        (
            commerce_kernel::viewer::Viewer::Anonymous,
            "UNAUTHENTICATED",
        ),
    ] {
        let response = shop
            .execute_as(viewer.clone(), SHIPPING_ZONE_CREATE, input.clone())
            .await;
        assert_eq!(error_code(&response), code, "{response:#}");
        let listed = shop.execute_as(viewer, SHIPPING_ZONES, json!({})).await;
        assert_eq!(error_code(&listed), code);
    }
}

on_both_backends!(
    staff_manage_zones_and_methods,
    only_staff_with_the_permission_manage_shipping,
);
