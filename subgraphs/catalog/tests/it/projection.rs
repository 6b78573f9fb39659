//! Pages answered by projection (`commerce_kernel::projection`) against the same requests
//! resolved field by field: the same JSON for every field a page projects, every way of
//! selecting it (aliases, fragments, `@skip`/`@include`, `__typename`, `nodes`), and for the
//! selections that must fall back.

use async_graphql::{Executor, Request, Variables};
use commerce_kernel::projection::{ResolveEveryField, json_body};
use commerce_kernel::subgraph::SubgraphExecutor;
use commerce_kernel::telemetry::metrics::metrics;
use commerce_testkit::on_both_backends;
use serde_json::{Value, json};

use crate::support::{TestApp, app, shop, staff};

on_both_backends!(projected_pages_answer_as_their_resolvers_do);

/// Selections a page answers by projection.
const PROJECTED: &[&str] = &[
    // The benchmarks' page.
    "{ products(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { node {
        id slug name imageUrls variants { id sku name } } } } }",
    // Every field projected, with every `__typename`.
    "{ products(sort: NAME) { __typename edges { __typename cursor node { __typename id slug
        name description status attributes { __typename name value } imageUrls createdAt
        updatedAt variants { __typename id sku name options { __typename name value } position
        weightGrams } } } } }",
    "{ products(first: 2, sort: NAME) { nodes { key: id title: name v: variants { s: sku } } } }",
    "query { products { edges { node { ...Card ... on Product { slug } ... { description } } } } }
     fragment Card on Product { id name variants { ...Choice } }
     fragment Choice on ProductVariant { sku options { name } }",
    "query($yes: Boolean!, $no: Boolean!) { products { edges { node { id name @include(if: $yes)
        slug @include(if: $no) variants @skip(if: $no) { sku @skip(if: $yes) id } } } } }",
    "{ products(filter: { status: DRAFT }) { edges { node { name status } } } }",
    // More keys than are compared pairwise.
    "{ products { nodes { a: id b: id c: id d: id e: id f: id g: id h: id i: id j: id k: id
        l: id m: id n: id o: id p: id q: id r: name } } }",
    "{ category(slug: \"clothing\") { products(last: 1, sort: NAME) { edges { cursor node {
        name variants { sku } } } } } }",
];

/// Selections that need more than a page holds, or that GraphQL merges: resolved as usual.
const RESOLVED: &[&str] = &[
    "{ products { edges { node { id category { slug } } } } }",
    "{ products { edges { node { id collections { slug } variants { sku } } } } }",
    "{ products { edges { node { variants { id } variants { sku } } } } }",
    "{ products { nodes { a: id b: id c: id d: id e: id f: id g: id h: id i: id j: id k: id
        l: id m: id n: id o: id p: id q: id a: id } } }",
    "{ products { edges { node { ... on _Entity { ... on Product { id } } } } } }",
    "{ products(first: 1) { edges { node { variants { product { name } } } } } }",
];

async fn projected_pages_answer_as_their_resolvers_do(backend: commerce_testkit::Backend) {
    let app = app(backend).await;
    let shop = shop(&app).await;
    let weigh = "mutation($id: ID!) { createProductVariant(productId: $id, input: {
        sku: \"BOOT-45\", weightGrams: 1200 }) { __typename } }";
    app.data(weigh, json!({ "id": shop.trail_boot })).await;
    let variables = json!({ "yes": true, "no": false });

    for query in PROJECTED {
        let (projected, resolved) = metrics().projections();
        let answer = run(&app, query, &variables, false).await;
        assert!(metrics().projections().0 > projected, "projected: {query}");
        assert_eq!(
            metrics().projections().1,
            resolved,
            "nothing resolved: {query}"
        );
        assert!(answer.get("errors").is_none(), "{answer:#}");
        let resolved = run(&app, query, &variables, true).await;
        assert_eq!(answer, resolved, "{query}");
        // Over HTTP the written lists go out as written: the very bytes of the resolved answer.
        let body = String::from_utf8(http_body(&app, query, &variables).await).expect("UTF-8");
        assert_eq!(body, resolved.to_string(), "{query}");
    }
    for query in RESOLVED {
        let resolved = metrics().projections().1;
        let answer = run(&app, query, &variables, false).await;
        assert!(metrics().projections().1 > resolved, "resolved: {query}");
        assert_eq!(answer, run(&app, query, &variables, true).await, "{query}");
    }
}

/// The whole response, with projection or (`every_field`) without.
async fn run(app: &TestApp, query: &str, variables: &Value, every_field: bool) -> Value {
    let mut request = request(query, variables);
    if every_field {
        request = request.data(ResolveEveryField);
    }
    let response = SubgraphExecutor::new(app.schema.clone())
        .execute(request)
        .await;
    serde_json::to_value(&response).expect("responses serialize")
}

/// The body of the HTTP answer, projection on.
async fn http_body(app: &TestApp, query: &str, variables: &Value) -> Vec<u8> {
    let executor = SubgraphExecutor::new(app.schema.clone());
    let response = executor
        .execute_for_http(request(query, variables).into())
        .await;
    json_body(&response)
}

fn request(query: &str, variables: &Value) -> Request {
    Request::new(query)
        .variables(Variables::from_json(variables.clone()))
        .data(staff())
}
