//! Bulk import: good rows land, bad rows are reported and leave nothing behind.

use commerce_testkit::on_both_backends;
use serde_json::json;

use crate::support::{app, names, shop};

on_both_backends!(current_thread: imports_good_rows_and_reports_bad_ones_without_partial_writes);

const IMPORT: &str = "mutation($format: ImportFormat!, $data: String!) {
    importProducts(format: $format, data: $data) { createdCount errors { line message } } }";

async fn imports_good_rows_and_reports_bad_ones_without_partial_writes(
    backend: commerce_testkit::Backend,
) {
    let app = app(backend).await;
    shop(&app).await;
    let lines = [
        json!({ "name": "Canvas Tote", "status": "published", "category": "clothing",
            "attributes": { "material": "Canvas", "colour": ["Red", "Blue"] }, "collections": ["summer"],
            "images": ["https://images.example.com/tote.jpg"],
            "variants": [{ "sku": "TOTE-1", "options": { "colour": "Red" } }, { "sku": "TOTE-2" }] })
        .to_string(),
        json!({ "name": "Clash Tote", "status": "published", "variants": [{ "sku": "TOTE-9" }, { "sku": "tote-1" }] })
            .to_string(),
        "{ not json".to_owned(),
        json!({ "name": "Lost Hat", "category": "hats" }).to_string(),
        String::new(),
        json!({ "name": "Bad Image", "images": ["nope"] }).to_string(),
    ];
    let report = app
        .data(
            IMPORT,
            json!({ "format": "JSON_LINES", "data": lines.join("\n") }),
        )
        .await;
    insta::assert_json_snapshot!("json_lines_import_report", report);
    let search = "{ products(filter: { search: \"tote\" }) { totalCount edges { node { name
        variants { sku } collections { slug } attributes { name value } } } } }";
    let found = app.data(search, json!({})).await;
    assert_eq!(
        names(&found["products"]),
        ["Canvas Tote"],
        "the clashing row left no product"
    );
    let skus = &found["products"]["edges"][0]["node"]["variants"];
    assert_eq!(
        skus,
        &json!([{ "sku": "TOTE-1" }, { "sku": "TOTE-2" }]),
        "nor its good variant"
    );

    let csv = "name,slug,status,category,attributes,images,collections,variants\n\
               Wool Scarf,wool-scarf,published,clothing,material=Wool,,summer,SCARF-1:colour=Grey|SCARF-2:colour=Navy\n\
               Wool Cap,,draft,,material=Wool;brand=Acme,https://images.example.com/cap.jpg,,CAP-1\n\
               Broken,broken,published,,material,,,\n";
    let report = app
        .data(IMPORT, json!({ "format": "CSV", "data": csv }))
        .await;
    assert_eq!(report["importProducts"]["createdCount"], 2, "{report:#}");
    assert_eq!(report["importProducts"]["errors"][0]["line"], 4);
    let scarf = app
        .data(
            "{ product(slug: \"wool-scarf\") { variants { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        scarf["product"]["variants"],
        json!([{ "name": "Grey" }, { "name": "Navy" }])
    );
    let cap = app
        .data("{ product(slug: \"wool-cap\") { status } }", json!({}))
        .await;
    assert_eq!(cap["product"]["status"], "DRAFT");
}
