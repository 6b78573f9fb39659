//! The stock read-through cache: a write is seen at once by the instance that made it, a
//! reservation lapsing is seen without any write, and a write on one instance reaches another
//! instance's cache through the events within a second (its entries would otherwise live a
//! minute, so only the events can explain it).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use commerce_inventory::AppState;
use commerce_inventory::domain::{Quantity, ReservationTtl};
use commerce_inventory::service::{Clock, ReserveLine};
use commerce_kernel::cache::MemoryCache;
use commerce_kernel::events::Transport;
use commerce_testkit::{SqlCounter, migrated_database};
use tokio_util::sync::CancellationToken;

use crate::support::{Backend, TestApp, app, key, on_both_backends, variant};

/// How soon another instance must see a write.
const BOUND: Duration = Duration::from_secs(1);

fn cached(mut app: TestApp) -> TestApp {
    app.state.inventory = app
        .state
        .inventory
        .clone()
        .with_cache(Arc::new(MemoryCache::new(1_000)));
    app
}

fn reserve(n: i64) -> Vec<ReserveLine> {
    vec![ReserveLine {
        variant: variant(1),
        quantity: Quantity::parse(n).expect("a quantity"),
    }]
}

on_both_backends!(cached_stock_follows_this_instances_writes_and_lapsing_reservations);

async fn cached_stock_follows_this_instances_writes_and_lapsing_reservations(backend: Backend) {
    let app = cached(app(backend).await);
    let north = app.warehouse("north").await;
    app.stock(&variant(1), north, 5).await;
    assert_eq!(app.available(&variant(1)).await, 5);
    app.statements.reset();
    assert_eq!(app.available(&variant(1)).await, 5);
    assert_eq!(
        app.statements.count(),
        0,
        "a second read comes from the cache"
    );

    let ten_minutes = ReservationTtl::parse(600).expect("a ttl");
    let inventory = app.inventory();
    inventory
        .reserve(&key("cart-1"), reserve(2), ten_minutes)
        .await
        .expect("reserves");
    assert_eq!(app.available(&variant(1)).await, 3, "read-your-writes");
    app.statements.reset();
    assert_eq!(app.available(&variant(1)).await, 3);
    assert_eq!(app.statements.count(), 0, "cached again");

    // No write happens when a reservation lapses; the entry knew when it would.
    app.clock.advance(Duration::from_secs(601));
    assert_eq!(
        app.available(&variant(1)).await,
        5,
        "the lapsed units are free"
    );

    inventory
        .reserve(&key("cart-2"), reserve(4), ten_minutes)
        .await
        .expect("reserves");
    inventory.commit("cart-2").await.expect("commits");
    assert_eq!(app.available(&variant(1)).await, 1, "the commit shipped 4");
    app.stock(&variant(1), north, 9).await;
    assert_eq!(app.available(&variant(1)).await, 9);
}

/// Waits until `check` holds; returns how long it took, or fails after ten times `limit`.
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
fn a_stock_change_on_one_instance_reaches_the_other_instances_cache_within_a_second() {
    commerce_testkit::run_scenario(commerce_testkit::Runtime::MultiThread, async {
        let database = migrated_database::<commerce_migrations::inventory::Migrator>(
            Backend::Postgres,
            "inventory",
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
        // Two processes' worth: each its own pool, in-process cache, relay and consumers.
        let mut instances: Vec<(AppState, SqlCounter)> = Vec::new();
        for _ in 0..2 {
            let mut db = commerce_kernel::db::connect(&config, "inventory")
                .await
                .expect("connects");
            let statements = SqlCounter::attach(&mut db);
            let mut state = AppState::new(db, Clock::system());
            state.inventory = state
                .inventory
                .with_cache(Arc::new(MemoryCache::new(1_000)));
            let transport = Transport::from_config(&config).await.expect("Redis");
            commerce_inventory::spawn_events(&state, &config, &transport, shutdown.clone())
                .await
                .expect("starts the events");
            instances.push((state, statements));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let [(a, _), (b, b_statements)] = <[_; 2]>::try_from(instances).ok().expect("two");
        let available = |state: &AppState| {
            let inventory = state.inventory.clone();
            async move {
                let found = inventory
                    .availability(&[variant(1)])
                    .await
                    .expect("reads stock");
                found.get(&variant(1)).map_or(0, |a| a.available())
            }
        };
        let set = |n: i32| {
            let inventory = a.inventory.clone();
            async move {
                let input = commerce_inventory::service::SetStock {
                    variant: variant(1),
                    warehouse: north_of(&inventory).await,
                    on_hand: commerce_inventory::domain::OnHand::parse(n).expect("a count"),
                    note: None,
                };
                inventory
                    .set_stock(&key(&format!("set-{n}")), input)
                    .await
                    .expect("sets stock");
            }
        };
        set(5).await;
        // Once the write's own event has come by (and evicted), b serves the variant from its
        // cache.
        within(BOUND, async || {
            let fresh = available(&b).await == 5;
            b_statements.reset();
            let cached = available(&b).await == 5 && b_statements.count() == 0;
            fresh && cached
        })
        .await;

        set(7).await;
        let took = within(BOUND, async || available(&b).await == 7).await;
        assert!(took < BOUND, "b saw the write after {took:?}");
        println!("another instance saw the stock change after {took:?}");
        shutdown.cancel();
    });
}

/// The one warehouse of the test, created on first use (idempotent by key).
async fn north_of(
    inventory: &commerce_inventory::service::InventoryService,
) -> commerce_inventory::domain::WarehouseId {
    let input = commerce_inventory::service::NewWarehouse {
        code: commerce_inventory::domain::WarehouseCode::parse("north").expect("a code"),
        name: commerce_inventory::domain::WarehouseName::parse("North").expect("a name"),
    };
    inventory
        .create_warehouse(&key("create-north"), input)
        .await
        .expect("creates the warehouse")
        .id
}
