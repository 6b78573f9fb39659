//! `products(...)`: keyset pages in every order, filters, search, counts and facets.

use commerce_testkit::on_both_backends;
use serde_json::{Value, json};

use crate::support::{TestApp, app, names, shop};

const PRODUCTS: &str = "query($first: Int, $after: String, $last: Int, $before: String,
    $filter: ProductFilterInput, $sort: ProductSort) {
  products(first: $first, after: $after, last: $last, before: $before, filter: $filter, sort: $sort) {
    edges { cursor node { name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}";

async fn products(app: &TestApp, variables: Value) -> Value {
    app.data(PRODUCTS, variables).await["products"].clone()
}

on_both_backends!(current_thread:
    lists_published_products_newest_first_with_their_total,
    pages_forward_and_backward_by_name,
    filters_by_category_subtree_collection_attributes_and_status,
    searches_names_and_descriptions_and_pages_by_relevance,
    counts_facets_per_category_and_attribute_value,
    a_listed_product_answers_as_the_product_read_alone,
);

async fn lists_published_products_newest_first_with_their_total(
    backend: commerce_testkit::Backend,
) {
    let app = app(backend).await;
    shop(&app).await;
    let page = products(&app, json!({ "first": 10 })).await;
    assert_eq!(names(&page), ["Trail Boot", "Oxford Shirt", "Linen Shirt"]);
    assert_eq!(page["totalCount"], 3);
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
}

async fn pages_forward_and_backward_by_name(backend: commerce_testkit::Backend) {
    let app = app(backend).await;
    shop(&app).await;
    let first = products(&app, json!({ "first": 2, "sort": "NAME" })).await;
    assert_eq!(names(&first), ["Linen Shirt", "Oxford Shirt"]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let after = first["pageInfo"]["endCursor"].clone();
    let second = products(&app, json!({ "first": 2, "after": after, "sort": "NAME" })).await;
    assert_eq!(names(&second), ["Trail Boot"]);
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);
    let before = second["pageInfo"]["startCursor"].clone();
    let back = products(&app, json!({ "last": 1, "before": before, "sort": "NAME" })).await;
    assert_eq!(names(&back), ["Oxford Shirt"]);
    assert_eq!(back["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(back["pageInfo"]["hasNextPage"], true);
    let newest = products(&app, json!({ "first": 1 })).await;
    let after = newest["pageInfo"]["endCursor"].clone();
    let older = products(&app, json!({ "first": 5, "after": after })).await;
    assert_eq!(names(&older), ["Oxford Shirt", "Linen Shirt"]);
}

async fn filters_by_category_subtree_collection_attributes_and_status(
    backend: commerce_testkit::Backend,
) {
    let app = app(backend).await;
    let shop = shop(&app).await;
    let filtered = |filter: Value| {
        let app = &app;
        async move { names(&products(app, json!({ "filter": filter, "sort": "NAME" })).await) }
    };
    assert_eq!(
        filtered(json!({ "categoryId": shop.clothing })).await,
        ["Linen Shirt", "Oxford Shirt"]
    );
    assert_eq!(
        filtered(json!({ "categoryId": shop.footwear })).await,
        ["Trail Boot"]
    );
    assert_eq!(
        filtered(json!({ "collectionId": shop.summer })).await,
        ["Linen Shirt"]
    );
    let either_material =
        json!({ "attributes": [{ "name": "material", "values": ["Linen", "Leather"] }] });
    assert_eq!(
        filtered(either_material).await,
        ["Linen Shirt", "Trail Boot"]
    );
    let both = json!({ "attributes": [
        { "name": "Brand", "values": ["Acme"] }, { "name": "material", "values": ["Cotton"] },
    ] });
    assert_eq!(filtered(both).await, ["Oxford Shirt"]);
    assert_eq!(
        filtered(json!({ "status": "DRAFT" })).await,
        ["Secret Shirt"]
    );
    let page = products(&app, json!({ "filter": { "categoryId": shop.shirts } })).await;
    assert_eq!(
        page["totalCount"], 2,
        "drafts are not counted among published products"
    );
}

async fn searches_names_and_descriptions_and_pages_by_relevance(
    backend: commerce_testkit::Backend,
) {
    let app = app(backend).await;
    shop(&app).await;
    let search = |text: &str| {
        let app = &app;
        let variables = json!({ "filter": { "search": text }, "sort": "NAME" });
        async move { names(&products(app, variables).await) }
    };
    assert_eq!(
        search("shirts").await,
        ["Linen Shirt", "Oxford Shirt"],
        "stemmed"
    );
    assert_eq!(search("LINEN").await, ["Linen Shirt"]);
    assert_eq!(
        search("tra").await,
        ["Trail Boot"],
        "the last word matches as a prefix"
    );
    assert_eq!(
        search("every day boot").await,
        ["Trail Boot"],
        "descriptions are searched"
    );
    assert!(search("kayak").await.is_empty());

    let first = products(&app, json!({ "first": 1, "filter": { "search": "shirt" } })).await;
    let after = first["pageInfo"]["endCursor"].clone();
    let rest = products(
        &app,
        json!({ "first": 5, "after": after, "filter": { "search": "shirt" } }),
    )
    .await;
    let mut all = names(&first);
    all.extend(names(&rest));
    all.sort();
    assert_eq!(
        all,
        ["Linen Shirt", "Oxford Shirt"],
        "relevance pages neither skip nor repeat"
    );
    assert_eq!(first["totalCount"], 2);
}

async fn counts_facets_per_category_and_attribute_value(backend: commerce_testkit::Backend) {
    let app = app(backend).await;
    let shop = shop(&app).await;
    let query = "query($filter: ProductFilterInput) { products(first: 1, filter: $filter) {
        facets { categories { category { slug } count } attributes { name values { value count } } }
    } }";
    let mut facets = app.data(query, json!({})).await["products"]["facets"].clone();
    // Key order is not what this test is about; sorted keys keep the snapshot stable.
    facets.sort_all_objects();
    insta::assert_json_snapshot!("facets_of_all_published_products", facets);
    let acme = json!({ "filter": { "categoryId": shop.clothing, "search": "linen" } });
    let facets = app.data(query, acme).await["products"]["facets"].clone();
    // The linen shirt counts for Shirts and for its parent, Clothing.
    assert_eq!(
        facets["categories"],
        json!([
            { "category": { "slug": "clothing" }, "count": 1 },
            { "category": { "slug": "shirts" }, "count": 1 }
        ])
    );
}

/// A page reads only the parts of its products that its selection shows (`ListedParts`):
/// however a part is selected, the listed product must answer as `product(id)` does, which
/// reads it whole.
async fn a_listed_product_answers_as_the_product_read_alone(backend: commerce_testkit::Backend) {
    let app = app(backend).await;
    shop(&app).await;
    // (the selection on a product, fragments it uses)
    let selections = [
        ("id description", ""),
        ("id d: description i: imageUrls", ""),
        (
            "id ...Details",
            "fragment Details on Product { attributes { name value } }",
        ),
        (
            "id ... on Product { variants { sku options { value } } }",
            "",
        ),
        (
            "id variants { ...Choice }",
            "fragment Choice on ProductVariant { options { name } }",
        ),
        ("id variants { sku }", ""),
        (
            "id description @include(if: false) imageUrls @skip(if: true)",
            "",
        ),
        (
            "id name createdAt category { slug } collections { slug }",
            "",
        ),
    ];
    for (selection, fragments) in selections {
        let page = format!(
            "{{ products(first: 10, sort: NAME) {{ edges {{ node {{ {selection} }} }}
                nodes {{ {selection} }} }} }} {fragments}"
        );
        let page = app.data(&page, json!({})).await["products"].clone();
        let nodes = page["nodes"].as_array().expect("nodes");
        assert_eq!(nodes.len(), 3, "{selection}");
        let alone = format!("query($id: ID!) {{ product(id: $id) {{ {selection} }} }} {fragments}");
        for (index, node) in nodes.iter().enumerate() {
            let read = app.data(&alone, json!({ "id": node["id"] })).await["product"].clone();
            assert_eq!(node, &read, "{selection}");
            assert_eq!(page["edges"][index]["node"], read, "{selection}");
        }
    }
    // The parts compared above are there to compare.
    let whole = "{ products(first: 1, sort: NAME) { nodes { description attributes { name }
        imageUrls variants { options { name } } } } }";
    let linen = app.data(whole, json!({})).await["products"]["nodes"][0].clone();
    assert_eq!(
        linen,
        json!({
            "description": "A Linen Shirt for every day.",
            "attributes": [{ "name": "material" }, { "name": "brand" }],
            "imageUrls": ["https://images.example.com/a.jpg"],
            "variants": [{ "options": [{ "name": "size" }] }, { "options": [{ "name": "size" }] }],
        })
    );
}

/// On PostgreSQL a page is read over the pipelined connections
/// (`commerce_kernel::read_pipeline`), not the pool, and answers as the pool's would.
#[tokio::test]
async fn listings_on_postgres_are_read_over_the_pipelined_connections() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    let app = app(commerce_testkit::Backend::Postgres).await;
    shop(&app).await;
    let pipelined = products(&app, json!({ "first": 2, "sort": "NAME" })).await;
    let readers = app
        .state
        .db
        .query_one(Statement::from_string(
            DbBackend::Postgres,
            "SELECT COUNT(*) AS n FROM pg_stat_activity \
             WHERE application_name = 'commerce-catalog-reads' AND datname = current_database()",
        ))
        .await
        .expect("reads the server's activity")
        .expect("a row")
        .try_get::<i64>("", "n")
        .expect("a count");
    assert!(readers >= 1, "no pipelined connection served the page");

    let pooled = commerce_catalog::AppState::new(
        app.state.db.clone(),
        std::sync::Arc::new(commerce_kernel::cache::MemoryCache::new(100)),
    );
    let schema = commerce_catalog::schema(pooled);
    let response = commerce_testkit::execute_as(
        &schema,
        crate::support::staff(),
        PRODUCTS,
        json!({ "first": 2, "sort": "NAME" }),
    )
    .await;
    assert_eq!(response["data"]["products"], pipelined);
}

/// A pipeline the server refuses (as one that requires TLS does) leaves the pages to the pool.
#[tokio::test]
async fn listings_go_through_the_pool_when_the_server_refuses_pipelined_connections() {
    let app = app(commerce_testkit::Backend::Postgres).await;
    shop(&app).await;
    let url = app.database_url().expect("a PostgreSQL URL");
    let (_, rest) = url.split_once('@').expect("a user in the URL");
    let refused = commerce_kernel::read_pipeline::ReadPipeline::new(
        &format!("postgres://no_such_role@{rest}"),
        "catalog",
        2,
    )
    .expect("a pipeline");
    let mut state = app.state.clone();
    state.catalog = state.catalog.with_read_pipeline(refused);
    let schema = commerce_catalog::schema(state);
    let response = commerce_testkit::execute_as(
        &schema,
        crate::support::staff(),
        PRODUCTS,
        json!({ "first": 10 }),
    )
    .await;
    assert_eq!(
        names(&response["data"]["products"]),
        ["Trail Boot", "Oxford Shirt", "Linen Shirt"],
        "{response:#}"
    );
}
