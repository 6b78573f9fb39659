//! Demo data: deterministic, idempotent, and priced the way the brief describes.

use commerce_kernel::viewer::Viewer;
use serde_json::json;

use crate::support::{Backend, app, customer, execute, staff_ok, variant};

#[tokio::test]
async fn demo_seed_is_idempotent_and_prices_b2b_tiers_and_the_welcome_coupon() {
    let app = app(Backend::Sqlite).await;
    let ids: Vec<String> = (1..=50).map(variant).collect();
    commerce_pricing::demo::seed(&app.state, &ids, 42)
        .await
        .expect("seeds");
    commerce_pricing::demo::seed(&app.state, &ids, 42)
        .await
        .expect("seeds again");
    let lists = staff_ok(&app, "{ priceLists { name customerGroup entries(first: 100) { variantId } } promotions { name } taxRates { country region ratePercent } }", json!({})).await;
    assert_eq!(lists["priceLists"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        lists["priceLists"][0]["entries"].as_array().map(Vec::len),
        Some(50)
    );
    assert_eq!(lists["promotions"].as_array().map(Vec::len), Some(3));
    assert_eq!(lists["taxRates"].as_array().map(Vec::len), Some(10));
    let cart = r#"query($input: PriceCartInput!) { priceCart(input: $input) {
        __typename ... on PricedCart { lines { unitPrice { amount } listUnitPrice { amount } } coupons { applied } } } }"#;
    let input = json!({ "input": { "lines": [{ "variantId": variant(1), "quantity": 60 }], "currency": "EUR",
                                    "couponCodes": ["WELCOME10"], "country": "FR" } });
    let b2b = execute(&app, customer(&["b2b"]), cart, input.clone()).await;
    let anonymous = execute(&app, Viewer::Anonymous, cart, input).await;
    let unit = |v: &serde_json::Value| {
        v["data"]["priceCart"]["lines"][0]["listUnitPrice"]["amount"].clone()
    };
    assert_ne!(
        unit(&b2b),
        unit(&anonymous),
        "the 50+ tier applies to b2b only: {b2b} {anonymous}"
    );
    assert_eq!(
        b2b["data"]["priceCart"]["coupons"][0]["applied"], true,
        "{b2b}"
    );
}

/// The large demo shop: run with `cargo nextest run -p commerce-pricing --run-ignored all large_demo`.
#[tokio::test]
#[ignore = "seeds 100,000 variants; run on demand"]
async fn large_demo_seeds_100k_variants_quickly() {
    let app = app(Backend::Sqlite).await;
    let ids: Vec<String> = (1..=100_000).map(variant).collect();
    let started = std::time::Instant::now();
    commerce_pricing::demo::seed(&app.state, &ids, 42)
        .await
        .expect("seeds");
    let elapsed = started.elapsed();
    println!("seeded 100,000 variants in {elapsed:?}");
    assert!(elapsed < std::time::Duration::from_secs(60), "{elapsed:?}");
}
