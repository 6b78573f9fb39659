//! The benchmark's four subgraphs (accounts, products, inventory, reviews) on fixed ports.
//!
//! Run with: `cargo run --release -p commerce-router --example bench_subgraphs -- 5101`
//! (ports 5101..=5104; `router/bench/run.sh` starts it for you).

use async_graphql::{ObjectType, Schema, SubscriptionType};
use async_graphql_axum::GraphQL;
use axum::{Router, routing::post_service};
use commerce_router_test_subgraphs::products;

async fn serve<Q, M, S>(port: u16, schema: Schema<Q, M, S>) -> anyhow::Result<()>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let app = Router::new().route("/graphql", post_service(GraphQL::new(schema)));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    // As any production server would: no Nagle delay on responses.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let base: u16 = std::env::args()
        .nth(1)
        .map(|p| p.parse())
        .transpose()?
        .unwrap_or(5101);
    // 5 users, 5 products with 10 reviews each: the topProducts query returns ~88 KB.
    let data = products::Dataset::generate_with_body_suffix(5, 5, 10, " (verified buyer)");
    let accounts = serve(base, products::accounts(data.clone()));
    let products_sg = serve(base + 2, products::products(data.clone()));
    let inventory = serve(base + 1, products::inventory());
    let reviews = serve(base + 3, products::reviews(data));
    println!("subgraphs listening on 127.0.0.1:{base}..={}", base + 3);
    tokio::try_join!(accounts, products_sg, inventory, reviews)?;
    Ok(())
}
