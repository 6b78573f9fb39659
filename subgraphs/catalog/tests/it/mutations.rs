//! Staff writes: conflicts as data, category moves, updates, deletes and cache invalidation.

use commerce_testkit::{error_code, on_both_backends};
use serde_json::json;

use crate::support::{app, names, shop};

on_both_backends!(current_thread:
    reports_taken_slugs_and_skus_as_error_results,
    moves_a_category_with_its_subtree_and_refuses_cycles,
    updates_and_deletes_products_and_variants,
    serves_fresh_data_from_the_cache_after_a_write,
    variants_carry_a_shipping_weight,
);

async fn reports_taken_slugs_and_skus_as_error_results(backend: commerce_testkit::Backend) {
    let app = app(backend).await;
    let shop = shop(&app).await;
    let create = "mutation($input: CreateProductInput!) { createProduct(input: $input) {
        __typename ... on ErrorResult { code message } } }";
    let taken = app
        .data(create, json!({ "input": { "name": "Linen Shirt" } }))
        .await;
    insta::assert_json_snapshot!("slug_taken", taken);
    let sku = json!({ "input": { "name": "Other", "variants": [{ "sku": "LIN-S" }] } });
    let taken = app.data(create, sku).await;
    assert_eq!(taken["createProduct"]["__typename"], "SkuTaken");
    assert_eq!(taken["createProduct"]["code"], "CONFLICT");
    let add =
        "mutation($id: ID!) { createProductVariant(productId: $id, input: { sku: \"oxf-m\" }) {
        __typename } }";
    let taken = app.data(add, json!({ "id": shop.trail_boot })).await;
    assert_eq!(taken["createProductVariant"]["__typename"], "SkuTaken");
    let check = app
        .data("{ product(slug: \"other\") { id } }", json!({}))
        .await;
    assert_eq!(
        check["product"],
        json!(null),
        "a failed create leaves nothing behind"
    );
}

async fn moves_a_category_with_its_subtree_and_refuses_cycles(backend: commerce_testkit::Backend) {
    let app = app(backend).await;
    let shop = shop(&app).await;
    let update =
        "mutation($id: ID!, $parent: ID) { updateCategory(id: $id, input: { parentId: $parent }) {
        __typename ... on Category { ancestors { slug } } } }";
    let moved = app
        .data(
            update,
            json!({ "id": shop.clothing, "parent": shop.footwear }),
        )
        .await;
    assert_eq!(
        moved["updateCategory"]["ancestors"],
        json!([{ "slug": "footwear" }])
    );
    let query = "query($c: ID) { products(filter: { categoryId: $c }, sort: NAME) { edges { node { name } } } }";
    let under_footwear = app.data(query, json!({ "c": shop.footwear })).await;
    assert_eq!(
        names(&under_footwear["products"]),
        ["Linen Shirt", "Oxford Shirt", "Trail Boot"]
    );
    let shirts = app
        .data(
            "{ category(slug: \"shirts\") { ancestors { slug } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        shirts["category"]["ancestors"],
        json!([{ "slug": "footwear" }, { "slug": "clothing" }])
    );

    let cycle = app
        .execute(
            update,
            json!({ "id": shop.footwear, "parent": shop.shirts }),
        )
        .await;
    assert_eq!(error_code(&cycle), "BAD_USER_INPUT", "{cycle:#}");
    let delete = "mutation($id: ID!) { deleteCategory(id: $id) { __typename
        ... on ErrorResult { code } ... on DeletePayload { deletedId } } }";
    let refused = app.data(delete, json!({ "id": shop.footwear })).await;
    assert_eq!(
        refused["deleteCategory"],
        json!({ "__typename": "CategoryHasChildren", "code": "CONFLICT" })
    );
    let deleted = app.data(delete, json!({ "id": shop.shirts })).await;
    assert_eq!(deleted["deleteCategory"]["deletedId"], json!(shop.shirts));
    let linen = app
        .data(
            "{ product(slug: \"linen-shirt\") { category { slug } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        linen["product"]["category"],
        json!(null),
        "products outlive their category"
    );
}

async fn updates_and_deletes_products_and_variants(backend: commerce_testkit::Backend) {
    let app = app(backend).await;
    let shop = shop(&app).await;
    let update = "mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) {
        ... on Product { name slug status category { slug } attributes { name value } collections { slug } } } }";
    let input = json!({ "name": "Trail Boot II", "categoryId": null, "status": "DRAFT",
        "attributes": [{ "name": "material", "value": "Suede" }], "collectionIds": [shop.summer] });
    let updated = app
        .data(update, json!({ "id": shop.trail_boot, "input": input }))
        .await;
    insta::assert_json_snapshot!("updated_product", updated);

    let variants =
        "query($id: ID!) { product(id: $id) { variants { id sku name options { name value } } } }";
    let before = app.data(variants, json!({ "id": shop.linen_shirt })).await;
    assert_eq!(before["product"]["variants"][1]["name"], "M");
    let variant = before["product"]["variants"][0]["id"].clone();
    let rename = "mutation($id: ID!) { updateProductVariant(id: $id, input: { sku: \"LIN-XS\" }) {
        ... on ProductVariant { sku product { name } } } }";
    let renamed = app.data(rename, json!({ "id": variant })).await;
    assert_eq!(
        renamed["updateProductVariant"],
        json!({ "sku": "LIN-XS", "product": { "name": "Linen Shirt" } })
    );
    let delete = "mutation($id: ID!) { deleteProductVariant(id: $id) { deletedId } }";
    app.data(delete, json!({ "id": variant })).await;
    let after = app.data(variants, json!({ "id": shop.linen_shirt })).await;
    assert_eq!(
        after["product"]["variants"].as_array().map(Vec::len),
        Some(1)
    );

    let delete = "mutation($id: ID!) { deleteProduct(id: $id) { deletedId } }";
    app.data(delete, json!({ "id": shop.linen_shirt })).await;
    let gone = app
        .data(
            "query($id: ID!) { product(id: $id) { id } }",
            json!({ "id": shop.linen_shirt }),
        )
        .await;
    assert_eq!(gone["product"], json!(null));
    let again = app.execute(delete, json!({ "id": shop.linen_shirt })).await;
    assert_eq!(error_code(&again), "NOT_FOUND");
}

async fn serves_fresh_data_from_the_cache_after_a_write(backend: commerce_testkit::Backend) {
    let app = app(backend).await;
    let shop = shop(&app).await;
    let by_slug = "{ product(slug: \"oxford-shirt\") { name } }";
    let by_id = "query($id: ID!) { product(id: $id) { name } }";
    let id = json!({ "id": shop.oxford_shirt });
    app.data(by_slug, json!({})).await;
    app.data(by_id, id.clone()).await;
    app.statements.reset();
    app.data(by_slug, json!({})).await;
    app.data(by_id, id.clone()).await;
    assert_eq!(app.statements.count(), 0, "hot reads come from the cache");

    let rename = "mutation($id: ID!) { updateProduct(id: $id, input: { name: \"Oxford Shirt Slim\", slug: \"oxford-slim\" }) {
        __typename } }";
    app.data(rename, id.clone()).await;
    assert_eq!(
        app.data(by_id, id).await["product"]["name"],
        "Oxford Shirt Slim"
    );
    assert_eq!(app.data(by_slug, json!({})).await["product"], json!(null));
    let new_slug = app
        .data("{ product(slug: \"oxford-slim\") { name } }", json!({}))
        .await;
    assert_eq!(new_slug["product"]["name"], "Oxford Shirt Slim");
    let count = app.data("{ products { totalCount } }", json!({})).await;
    assert_eq!(count["products"]["totalCount"], 3);
    app.data(
        "mutation($id: ID!) { deleteProduct(id: $id) { deletedId } }",
        json!({ "id": shop.draft }),
    )
    .await;
    app.data(
        "mutation($id: ID!) { updateProduct(id: $id, input: { status: DRAFT }) { __typename } }",
        json!({ "id": shop.trail_boot }),
    )
    .await;
    let count = app.data("{ products { totalCount } }", json!({})).await;
    assert_eq!(
        count["products"]["totalCount"], 2,
        "writes retire cached counts"
    );
}

/// Checkout prices shipping by weight from the variants' weights.
async fn variants_carry_a_shipping_weight(backend: commerce_testkit::Backend) {
    let app = app(backend).await;
    let create = "mutation($input: CreateProductInput!) { createProduct(input: $input) {
        ... on Product { variants { id weightGrams } } } }";
    let input = json!({ "name": "Kettlebell", "variants": [
        { "sku": "KB-8", "weightGrams": 8000 }, { "sku": "KB-X" } ] });
    let created = app.data(create, json!({ "input": input })).await;
    let variants = &created["createProduct"]["variants"];
    assert_eq!(variants[0]["weightGrams"], 8000);
    assert_eq!(
        variants[1]["weightGrams"],
        serde_json::Value::Null,
        "unknown"
    );

    let update = "mutation($id: ID!, $input: UpdateProductVariantInput!) {
        updateProductVariant(id: $id, input: $input) { ... on ProductVariant { weightGrams } } }";
    let updated = app
        .data(
            update,
            json!({ "id": variants[1]["id"], "input": { "weightGrams": 12000 } }),
        )
        .await;
    assert_eq!(updated["updateProductVariant"]["weightGrams"], 12000);
    let refused = app
        .execute(
            update,
            json!({ "id": variants[1]["id"], "input": { "weightGrams": -1 } }),
        )
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused:#}");
}
