//! A product's variant lists (`products.variants` and `products.variant_options`: what pages,
//! `Product.variants` and `_entities` read) against its `product_variants` rows, after every
//! kind of variant write and under concurrent writes to one product.

use commerce_kernel::GlobalId;
use commerce_migrations::Action;
use commerce_testkit::on_both_backends;
use futures::future::join_all;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::support::{TestApp, app, shop};

on_both_backends!(
    the_variant_list_follows_every_variant_write,
    concurrent_variant_writes_to_one_product_all_reach_its_list,
    the_migration_lists_the_variants_of_existing_products,
);

const VARIANT_FIELDS: &str = "id sku name options { name value } position weightGrams";

async fn the_variant_list_follows_every_variant_write(backend: commerce_testkit::Backend) {
    let app = app(backend).await;
    let product = app
        .create(
            "Product",
            json!({ "name": "Rain Jacket", "status": "PUBLISHED", "variants": [
                { "sku": "RJ-S", "options": [{ "name": "size", "value": "S" }] },
                { "sku": "RJ-M", "options": [{ "name": "size", "value": "M" }], "weightGrams": 420 },
            ] }),
        )
        .await;
    let ids = assert_list_matches_rows(&app, &product).await;
    assert_eq!(ids.len(), 2);

    let add = "mutation($id: ID!) { createProductVariant(productId: $id, input: {
        sku: \"RJ-L\", options: [{ name: \"size\", value: \"L\" }], weightGrams: 450 }) { __typename } }";
    app.data(add, json!({ "id": product })).await;
    assert_eq!(assert_list_matches_rows(&app, &product).await.len(), 3);

    let update = "mutation($id: ID!) { updateProductVariant(id: $id, input: { sku: \"RJ-SMALL\",
        name: \"Small\", options: [{ name: \"size\", value: \"XS\" }], position: 9, weightGrams: 390 }) {
        __typename } }";
    app.data(update, json!({ "id": ids[0] })).await;
    let reordered = assert_list_matches_rows(&app, &product).await;
    assert_eq!(reordered.last(), Some(&ids[0]), "moved to the end");

    let delete = "mutation($id: ID!) { deleteProductVariant(id: $id) { deletedId } }";
    app.data(delete, json!({ "id": ids[1] })).await;
    assert_eq!(assert_list_matches_rows(&app, &product).await.len(), 2);
}

async fn concurrent_variant_writes_to_one_product_all_reach_its_list(
    backend: commerce_testkit::Backend,
) {
    let app = app(backend).await;
    let product = app
        .create(
            "Product",
            json!({ "name": "Wool Socks", "status": "PUBLISHED", "variants": [{ "sku": "WS-0" }] }),
        )
        .await;
    let add = "mutation($id: ID!, $sku: String!) { createProductVariant(productId: $id,
        input: { sku: $sku }) { __typename } }";
    let writes = (1..=8).map(|n| {
        let variables = json!({ "id": product, "sku": format!("WS-{n}") });
        app.data(add, variables)
    });
    join_all(writes).await;
    assert_eq!(assert_list_matches_rows(&app, &product).await.len(), 9);
}

/// The migrations that added the lists (the variant list, then its options apart) filled them
/// for the products already there: both undone and run again over a shop, every listed
/// product's lists are its rows.
async fn the_migration_lists_the_variants_of_existing_products(backend: commerce_testkit::Backend) {
    let app = app(backend).await;
    let shop = shop(&app).await;
    let db = &app.state.db;
    let migrate = |action| commerce_migrations::apply(db, "catalog", action);
    migrate(Action::Down)
        .await
        .expect("the options go back into the list");
    migrate(Action::Down).await.expect("the lists are dropped");
    migrate(Action::Up)
        .await
        .expect("the lists are added and filled");
    let mut variants = 0;
    for product in [&shop.linen_shirt, &shop.oxford_shirt, &shop.trail_boot] {
        variants += assert_list_matches_rows(&app, product).await.len();
    }
    assert!(variants >= 3, "the shop's products have variants");
}

/// Asserts that the page's, the product's and `_entities`' variants of `product` are its
/// `product_variants` rows, in display order; returns their ids.
async fn assert_list_matches_rows(app: &TestApp, product: &str) -> Vec<Value> {
    let rows = variant_rows(app, product).await;

    let page = format!(
        "{{ products(first: 50) {{ edges {{ node {{ id variants {{ {VARIANT_FIELDS} }} }} }} }} }}"
    );
    let page = app.data(&page, json!({})).await;
    let edges = page["products"]["edges"].as_array().expect("edges");
    let listed = edges
        .iter()
        .find(|edge| edge["node"]["id"] == product)
        .expect("the product is listed");
    assert_eq!(
        listed["node"]["variants"],
        json!(rows),
        "the page's variants"
    );

    let one =
        format!("query($id: ID!) {{ product(id: $id) {{ variants {{ {VARIANT_FIELDS} }} }} }}");
    let one = app.data(&one, json!({ "id": product })).await;
    assert_eq!(
        one["product"]["variants"],
        json!(rows),
        "the product's variants"
    );

    let entities = format!(
        "query($r: [_Any!]!) {{ _entities(representations: $r) {{ ... on Product {{ variants {{ {VARIANT_FIELDS} }} }} }} }}"
    );
    let representation = json!([{ "__typename": "Product", "id": product }]);
    let entities = app.data(&entities, json!({ "r": representation })).await;
    assert_eq!(
        entities["_entities"][0]["variants"],
        json!(rows),
        "_entities' variants"
    );

    rows.into_iter().map(|row| row["id"].clone()).collect()
}

/// The product's `product_variants` rows in display order, as the API shows a variant.
async fn variant_rows(app: &TestApp, product: &str) -> Vec<Value> {
    let id = GlobalId::decode(product, "Product").expect("a product id");
    let statement = Statement::from_sql_and_values(
        app.state.db.get_database_backend(),
        format!(
            "SELECT id, sku, name, options, position, weight_grams FROM product_variants \
             WHERE product_id = {id} ORDER BY position, id"
        ),
        [],
    );
    let rows = app
        .state
        .db
        .query_all(statement)
        .await
        .expect("variant rows");
    rows.iter()
        .map(|row| {
            let id: i64 = row.try_get("", "id").expect("id");
            let options: String = row.try_get("", "options").expect("options");
            json!({
                "id": GlobalId::encode("ProductVariant", id),
                "sku": row.try_get::<String>("", "sku").expect("sku"),
                "name": row.try_get::<String>("", "name").expect("name"),
                "options": serde_json::from_str::<Value>(&options).expect("options JSON"),
                "position": row.try_get::<i32>("", "position").expect("position"),
                "weightGrams": row.try_get::<Option<i32>>("", "weight_grams").expect("weight"),
            })
        })
        .collect()
}
