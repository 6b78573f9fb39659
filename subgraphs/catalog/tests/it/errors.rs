//! Bad input gets a clear error with a stable `extensions.code`, never a panic.

use commerce_testkit::{error_code, on_both_backends};
use serde_json::json;

use crate::support::{app, shop};

on_both_backends!(current_thread: rejects_bad_input_with_stable_codes);

async fn rejects_bad_input_with_stable_codes(backend: commerce_testkit::Backend) {
    let app = app(backend).await;
    let shop = shop(&app).await;
    let by_id = "query($id: ID!) { product(id: $id) { name } }";
    let garbage = app.execute(by_id, json!({ "id": "not an id" })).await;
    insta::assert_json_snapshot!("invalid_id", garbage);
    let wrong_type = app.execute(by_id, json!({ "id": shop.shirts })).await;
    assert_eq!(error_code(&wrong_type), "BAD_USER_INPUT");
    let unknown = commerce_kernel::GlobalId::encode("Product", 999_999);
    let missing = app.data(by_id, json!({ "id": unknown })).await;
    assert_eq!(
        missing["product"],
        json!(null),
        "an unknown id is null, not an error"
    );

    let cases = [
        ("{ products(first: 101) { totalCount } }", "BAD_USER_INPUT"),
        ("{ products(first: -1) { totalCount } }", "BAD_USER_INPUT"),
        (
            "{ products(after: \"zzz\") { totalCount } }",
            "BAD_USER_INPUT",
        ),
        (
            "{ product(id: \"x\", slug: \"y\") { name } }",
            "BAD_USER_INPUT",
        ),
        (
            "{ products(filter: { attributes: [{ name: \"size\", values: [] }] }) { totalCount } }",
            "BAD_USER_INPUT",
        ),
        (
            "mutation { createProduct(input: { name: \"  \" }) { __typename } }",
            "BAD_USER_INPUT",
        ),
        (
            "mutation { createProduct(input: { name: \"X\", slug: \"Not A Slug\" }) { __typename } }",
            "BAD_USER_INPUT",
        ),
        (
            "mutation { createProduct(input: { name: \"X\", imageUrls: [\"ftp://x\"] }) { __typename } }",
            "BAD_USER_INPUT",
        ),
    ];
    for (query, code) in cases {
        let response = app.execute(query, json!({})).await;
        assert_eq!(error_code(&response), code, "{query}: {response:#}");
    }
    let name_cursor = app
        .data(
            "{ products(sort: NAME, first: 1) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    let cursor = name_cursor["products"]["pageInfo"]["endCursor"].clone();
    let mixed = app
        .execute(
            "query($c: String) { products(after: $c) { totalCount } }",
            json!({ "c": cursor }),
        )
        .await;
    assert_eq!(
        error_code(&mixed),
        "BAD_USER_INPUT",
        "a cursor of another sort"
    );

    let bad_sku = "mutation($id: ID!) { createProductVariant(productId: $id, input: { sku: \"has space\" }) { __typename } }";
    let response = app.execute(bad_sku, json!({ "id": shop.trail_boot })).await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT");
    let unknown_category = commerce_kernel::GlobalId::encode("Category", 424_242);
    let create =
        "mutation($c: ID) { createProduct(input: { name: \"X\", categoryId: $c }) { __typename } }";
    let response = app.execute(create, json!({ "c": unknown_category })).await;
    assert_eq!(error_code(&response), "NOT_FOUND");
}
