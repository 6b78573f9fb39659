//! The base-price read-through cache: a price change is seen at once by the instance that made
//! it, and reaches another instance's cache through the events within a second (its entries
//! would otherwise live five minutes, so only the events can explain it).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use commerce_kernel::Currency;
use commerce_kernel::cache::MemoryCache;
use commerce_kernel::events::Transport;
use commerce_pricing::AppState;
use commerce_pricing::service::{PriceInput, PricingService, VariantPricesInput};
use commerce_testkit::{SqlCounter, migrated_database};
use tokio_util::sync::CancellationToken;

use crate::support::{Backend, app, on_both_backends, variant};

const BOUND: Duration = Duration::from_secs(1);

fn eur() -> Currency {
    Currency::parse("EUR").expect("EUR")
}

async fn set_price(pricing: &PricingService, amount: &str) {
    let input = VariantPricesInput {
        variant_id: variant(1),
        product_id: None,
        tax_category: None,
        prices: vec![PriceInput {
            currency: "EUR".to_owned(),
            amount: amount.to_owned(),
            compare_at: None,
        }],
    };
    pricing
        .set_variant_prices(&input)
        .await
        .expect("sets prices");
}

async fn price(pricing: &PricingService) -> Option<i64> {
    let batch = pricing
        .price_batch(&[variant(1)], eur())
        .await
        .expect("prices");
    batch.data[&variant(1)].base.map(|base| base.amount.amount)
}

on_both_backends!(cached_prices_follow_this_instances_writes);

async fn cached_prices_follow_this_instances_writes(backend: Backend) {
    let mut app = app(backend).await;
    app.state.service = app
        .state
        .service
        .clone()
        .with_cache(Arc::new(MemoryCache::new(1_000)));
    let pricing = &app.state.service;
    assert_eq!(price(pricing).await, None);
    set_price(pricing, "19.99").await;
    app.statements.reset();
    assert_eq!(price(pricing).await, Some(1999), "read-your-writes");
    let cold = app.statements.count();
    app.statements.reset();
    assert_eq!(price(pricing).await, Some(1999));
    assert!(
        app.statements.count() < cold,
        "the base price came from the cache"
    );
    set_price(pricing, "17.50").await;
    assert_eq!(price(pricing).await, Some(1750));
    pricing
        .remove_price(&variant(1), "EUR")
        .await
        .expect("removes");
    assert_eq!(price(pricing).await, None);
}

async fn within(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit * 10, "never happened");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[test]
fn a_price_change_on_one_instance_reaches_the_other_instances_cache_within_a_second() {
    commerce_testkit::run_scenario(commerce_testkit::Runtime::MultiThread, async {
        let database = migrated_database::<commerce_migrations::pricing::Migrator>(
            Backend::Postgres,
            "pricing",
        )
        .await;
        let mut config = database.config.config();
        config.redis_url = Some(commerce_testkit::redis_url().await);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_nanos();
        config.events_namespace = format!("t{nanos}");
        let shutdown = CancellationToken::new();
        // Two processes' worth: each its own pool, in-process cache, relay and consumer.
        let mut instances: Vec<(AppState, SqlCounter)> = Vec::new();
        for _ in 0..2 {
            let mut db = commerce_kernel::db::connect(&config, "pricing")
                .await
                .expect("connects");
            let statements = SqlCounter::attach(&mut db);
            let mut state = AppState::new(db);
            state.service = state.service.with_cache(Arc::new(MemoryCache::new(1_000)));
            let transport = Transport::from_config(&config).await.expect("Redis");
            commerce_pricing::spawn_cache_consumer(&state, &transport, shutdown.clone());
            commerce_pricing::spawn_events(&config, &transport, shutdown.clone())
                .await
                .expect("starts the relay");
            instances.push((state, statements));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let [(a, _), (b, b_statements)] = <[_; 2]>::try_from(instances).ok().expect("two");
        b_statements.reset();
        assert_eq!(price(&b.service).await, None);
        let cold = b_statements.count();
        // Served from b's cache: fewer statements than a cold read (once the write's own
        // event has come by and evicted).
        let cached = async |expected| {
            within(BOUND, async || {
                b_statements.reset();
                price(&b.service).await == expected && b_statements.count() < cold
            })
            .await
        };
        set_price(&a.service, "19.99").await;
        within(BOUND, async || price(&b.service).await == Some(1999)).await;
        cached(Some(1999)).await;

        set_price(&a.service, "24.00").await;
        let took = within(BOUND, async || price(&b.service).await == Some(2400)).await;
        assert!(took < BOUND, "b saw the change after {took:?}");
        println!("another instance saw the price change after {took:?}");
        cached(Some(2400)).await;
        shutdown.cancel();
    });
}
