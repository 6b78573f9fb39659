//! The public reads published products; only catalog editors write or see drafts.

use commerce_kernel::viewer::Viewer;
use commerce_testkit::{error_code, on_both_backends};
use serde_json::json;

use crate::support::{app, names, shop};

on_both_backends!(current_thread: only_catalog_editors_write_and_see_drafts);

async fn only_catalog_editors_write_and_see_drafts(backend: commerce_testkit::Backend) {
    let app = app(backend).await;
    let shop = shop(&app).await;
    let customer = commerce_testkit::customer(1, &[]);
    let create = "mutation { createCategory(input: { slug: \"x\", name: \"X\" }) { __typename } }";
    let anonymous = app.execute_as(Viewer::Anonymous, create, json!({})).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED", "{anonymous:#}");
    let forbidden = app.execute_as(customer.clone(), create, json!({})).await;
    assert_eq!(error_code(&forbidden), "FORBIDDEN");

    let drafts = "{ products(filter: { status: DRAFT }) { edges { node { name } } } }";
    let refused = app.execute_as(customer, drafts, json!({})).await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    let seen = app.data(drafts, json!({})).await;
    assert_eq!(names(&seen["products"]), ["Secret Shirt"]);

    let by_id = "query($id: ID!) { product(id: $id) { name } }";
    let hidden = app
        .execute_as(Viewer::Anonymous, by_id, json!({ "id": shop.draft }))
        .await;
    assert_eq!(
        hidden["data"]["product"],
        json!(null),
        "drafts are invisible to the public"
    );
    let visible = app
        .execute_as(Viewer::Anonymous, by_id, json!({ "id": shop.trail_boot }))
        .await;
    assert_eq!(visible["data"]["product"]["name"], "Trail Boot");
    assert_eq!(
        app.data(by_id, json!({ "id": shop.draft })).await["product"]["name"],
        "Secret Shirt"
    );
}
