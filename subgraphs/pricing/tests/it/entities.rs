//! Federation: `ProductVariant.price` and `Product.priceRange` per viewer, with catalog facts
//! from `@requires`, and a constant number of statements per `_entities` batch.

use commerce_kernel::GlobalId;
use commerce_kernel::viewer::Viewer;
use commerce_testkit::error_code;
use serde_json::{Value, json};

use crate::support::{
    Backend, TestApp, app, customer, execute, on_both_backends, price, product, staff_ok, variant,
};

const VARIANT_PRICES: &str = r#"query($representations: [_Any!]!, $quantity: Int!) {
  _entities(representations: $representations) {
    ... on ProductVariant {
      id
      eur: price(currency: "EUR", quantity: $quantity) {
        quantity unitPrice { amount } listPrice { amount } compareAt { amount } total { amount }
        taxInclusive priceListName tiers { minQuantity maxQuantity unitPrice { amount } }
        promotion { name reason unitDiscount { amount } }
      }
      usd: price(currency: "USD") { unitPrice { amount } }
    }
  }
}"#;

const PRICE_RANGES: &str = r#"query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Product { id priceRange(currency: "EUR") { min { amount } max { amount } compareAtMax { amount } taxInclusive } }
  }
}"#;

fn category(n: i64) -> String {
    GlobalId::encode("Category", n)
}

/// Variant `n` as the router sends it, with its product in category 9 (child of 5) or none.
fn variant_representation(n: i64, in_category: bool) -> Value {
    let category =
        in_category.then(|| json!({ "id": category(9), "ancestors": [{ "id": category(5) }] }));
    json!({ "__typename": "ProductVariant", "id": variant(n),
            "product": { "id": product(n), "category": category, "collections": [] } })
}

async fn set_up_b2b_list_and_category_sale(app: &TestApp) {
    price(app, 1, "10", None).await;
    price(app, 2, "30", Some("33")).await;
    let list = staff_ok(
        app,
        r#"mutation { createPriceList(input: { name: "B2B", customerGroup: "b2b", currency: "EUR" }) { ... on PriceList { id } } }"#,
        json!({}),
    )
    .await;
    let tiers = json!([{ "minQuantity": 1, "maxQuantity": 9, "amount": "9" }, { "minQuantity": 10, "amount": "8" }]);
    staff_ok(
        app,
        r#"mutation($list: ID!, $variant: ID!, $tiers: [PriceTierInput!]!) { setPriceListTiers(priceListId: $list, variantId: $variant, tiers: $tiers) { __typename } }"#,
        json!({ "list": list["createPriceList"]["id"], "variant": variant(1), "tiers": tiers }),
    )
    .await;
    staff_ok(
        app,
        r#"mutation($category: ID!) { createPromotion(input: { name: "Shoe week", kind: CATALOGUE,
            targets: { categoryIds: [$category] }, action: { type: PERCENTAGE, percent: "20" } }) { __typename } }"#,
        json!({ "category": category(5) }),
    )
    .await;
}

on_both_backends!(variant_prices_follow_the_viewer_group_quantity_and_category_promotions);

async fn variant_prices_follow_the_viewer_group_quantity_and_category_promotions(backend: Backend) {
    let app = app(backend).await;
    set_up_b2b_list_and_category_sale(&app).await;
    let representations = json!([
        variant_representation(1, true),
        variant_representation(1, false),
        variant_representation(2, false)
    ]);
    let anonymous = execute(
        &app,
        Viewer::Anonymous,
        VARIANT_PRICES,
        json!({ "representations": representations, "quantity": 1 }),
    )
    .await;
    let b2b = execute(
        &app,
        customer(&["b2b"]),
        VARIANT_PRICES,
        json!({ "representations": representations, "quantity": 10 }),
    )
    .await;
    // Fields of one object may come back in any order; sort them for stable snapshots.
    insta::with_settings!({ sort_maps => true }, {
        insta::assert_json_snapshot!([anonymous, b2b], { "[][\"data\"][\"_entities\"][][\"id\"]" => "[id]" });
    });
}

on_both_backends!(product_price_ranges_span_their_variants);

async fn product_price_ranges_span_their_variants(backend: Backend) {
    let app = app(backend).await;
    set_up_b2b_list_and_category_sale(&app).await;
    let representations = json!([
        { "__typename": "Product", "id": product(1), "variants": [{ "id": variant(1) }, { "id": variant(2) }],
          "category": { "id": category(5), "ancestors": [] }, "collections": [] },
        { "__typename": "Product", "id": product(2), "variants": [{ "id": variant(1) }, { "id": variant(2) }],
          "category": null, "collections": [] },
        { "__typename": "Product", "id": product(3), "variants": [{ "id": variant(99) }], "category": null, "collections": [] },
    ]);
    let ranges = execute(
        &app,
        Viewer::Anonymous,
        PRICE_RANGES,
        json!({ "representations": representations }),
    )
    .await;
    // Fields of one object may come back in any order; sort them for stable snapshots.
    insta::with_settings!({ sort_maps => true }, {
        insta::assert_json_snapshot!(ranges, { ".data._entities[].id" => "[id]" });
    });
}

/// Statements run for `query`, after the setup.
async fn statements_for(app: &TestApp, query: &str, variables: Value) -> usize {
    app.statements.reset();
    let response = execute(app, customer(&["b2b"]), query, variables).await;
    assert!(response.get("errors").is_none(), "{response:#}");
    app.statements.count()
}

on_both_backends!(entity_batches_cost_a_constant_number_of_statements);

async fn entity_batches_cost_a_constant_number_of_statements(backend: Backend) {
    let app = app(backend).await;
    let ids: Vec<String> = (1..=120).map(variant).collect();
    commerce_pricing::demo::seed(&app.state, &ids, 7)
        .await
        .expect("seeds");
    let variants = |count: i64| {
        let representations: Vec<Value> = (1..=count)
            .map(|n| variant_representation(n, n % 2 == 0))
            .collect();
        json!({ "representations": representations, "quantity": 12 })
    };
    let products = |count: i64| {
        let representations: Vec<Value> = (0..count)
            .map(|p| {
                let ids: Vec<Value> = (1..=3).map(|i| json!({ "id": variant(p * 3 + i) })).collect();
                json!({ "__typename": "Product", "id": product(p + 1), "variants": ids, "category": null, "collections": [] })
            })
            .collect();
        json!({ "representations": representations })
    };
    let small = statements_for(&app, VARIANT_PRICES, variants(3)).await;
    let large = statements_for(&app, VARIANT_PRICES, variants(100)).await;
    // Per currency: variants, prices, tiers, their lists, live promotions, the tax mode.
    assert_eq!((small, large), (12, 12), "two currencies, one batch each");
    let small = statements_for(&app, PRICE_RANGES, products(2)).await;
    let large = statements_for(&app, PRICE_RANGES, products(40)).await;
    assert_eq!(
        (small, large),
        (6, 6),
        "one batch for every required variant id"
    );
}

#[tokio::test]
async fn bad_currencies_and_quantities_are_bad_user_input() {
    let app = app(Backend::Sqlite).await;
    let query = r#"query($representations: [_Any!]!, $currency: String!, $quantity: Int!) {
      _entities(representations: $representations) { ... on ProductVariant { price(currency: $currency, quantity: $quantity) { total { amount } } } }
    }"#;
    let representations = json!([{ "__typename": "ProductVariant", "id": variant(1) }]);
    for (currency, quantity) in [("XXX", 1), ("EUR", 0), ("EUR", -3)] {
        let variables = json!({ "representations": representations, "currency": currency, "quantity": quantity });
        let response = execute(&app, Viewer::Anonymous, query, variables).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{response}");
    }
    let not_a_variant = json!([{ "__typename": "ProductVariant", "id": product(1) }]);
    let response = execute(
        &app,
        Viewer::Anonymous,
        query,
        json!({ "representations": not_a_variant, "currency": "EUR", "quantity": 1 }),
    )
    .await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT", "{response}");
}
