//! The demo seed: two warehouses, stock for every variant (some sold out), books balanced.

use commerce_inventory::demo;

use crate::support::{Backend, app, on_both_backends, variant};

on_both_backends!(demo_seed_stocks_two_warehouses_once_and_deterministically);

async fn demo_seed_stocks_two_warehouses_once_and_deterministically(backend: Backend) {
    let ids: Vec<String> = (1..=300).map(|n| variant(n).as_str().to_owned()).collect();
    let first = app(backend).await;
    demo::seed(&first.state, &ids, 7).await.expect("seeds");
    demo::seed(&first.state, &ids, 7)
        .await
        .expect("a second seed does nothing");
    let warehouses = first.inventory().warehouses().await.expect("lists");
    assert_eq!(warehouses.len(), 2);

    let variants: Vec<_> = (1..=300).map(variant).collect();
    let stock = first
        .inventory()
        .availability(&variants)
        .await
        .expect("reads");
    let levels: usize = stock.values().map(|a| a.levels.len()).sum();
    assert_eq!(levels, 600, "every variant has a level in both warehouses");
    let sold_out = variants.iter().filter(|v| !stock[*v].in_stock()).count();
    assert!(
        (10..100).contains(&sold_out),
        "some variants are sold out: {sold_out}"
    );
    first.assert_books_balance().await;

    let second = app(backend).await;
    demo::seed(&second.state, &ids, 7).await.expect("seeds");
    let again = second
        .inventory()
        .availability(&variants)
        .await
        .expect("reads");
    let totals = |s: &std::collections::HashMap<_, commerce_inventory::domain::Availability>| {
        variants
            .iter()
            .map(|v| s[v].available())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        totals(&stock),
        totals(&again),
        "the same seed gives the same stock"
    );
}

/// The large demo (100,000 products, about 250,000 variants) must seed well under a minute.
/// Run with `cargo nextest run -p commerce-inventory --run-ignored only large`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark-sized; run on demand"]
async fn demo_seed_stocks_a_large_catalogue_within_a_minute() {
    for backend in Backend::ALL {
        let ids: Vec<String> = (1..=250_000)
            .map(|n| variant(n).as_str().to_owned())
            .collect();
        let app = app(backend).await;
        let started = std::time::Instant::now();
        demo::seed(&app.state, &ids, 7).await.expect("seeds");
        let elapsed = started.elapsed();
        println!("{backend:?}: seeded {} variants in {elapsed:?}", ids.len());
        assert!(elapsed < std::time::Duration::from_secs(60), "{elapsed:?}");
    }
}
