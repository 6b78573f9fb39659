//! Reservations under contention, expiry, release and commit.

use std::time::Duration;

use commerce_inventory::domain::{Quantity, ReservationStatus, ReservationTtl};
use commerce_inventory::service::{InventoryError, ReserveLine};

use crate::support::{Backend, TestApp, app, key, on_both_backends, variant};

fn line(n: i64, quantity: i64) -> ReserveLine {
    ReserveLine {
        variant: variant(n),
        quantity: Quantity::parse(quantity).expect("valid quantity"),
    }
}

fn minutes(n: i64) -> ReservationTtl {
    ReservationTtl::parse(n * 60).expect("valid ttl")
}

async fn reserve(app: &TestApp, k: &str, lines: Vec<ReserveLine>) -> Result<i64, InventoryError> {
    let reservation = app.inventory().reserve(&key(k), lines, minutes(10)).await?;
    Ok(reservation.lines.iter().map(|l| l.quantity).sum())
}

on_both_backends!(
    exactly_ten_of_fifty_concurrent_reservations_win_the_last_ten_units,
    concurrent_retries_of_one_reservation_key_reserve_once,
    expired_reservations_stop_counting_and_are_released,
    commit_ships_units_and_release_returns_them,
    a_multi_line_reservation_takes_all_lines_or_none,
    reusing_a_reservation_key_for_other_lines_is_a_conflict,
    racing_commits_releases_and_sweeps_close_a_reservation_once,
);

async fn exactly_ten_of_fifty_concurrent_reservations_win_the_last_ten_units(backend: Backend) {
    let app = app(backend).await;
    let (north, south) = (app.warehouse("north").await, app.warehouse("south").await);
    // The last ten units sit in two warehouses, so losers of one must find the other.
    app.stock(&variant(1), north, 6).await;
    app.stock(&variant(1), south, 4).await;

    let attempts = (0..50).map(|i| {
        let inventory = app.inventory().clone();
        tokio::spawn(async move {
            inventory
                .reserve(
                    &key(&format!("checkout-{i}")),
                    vec![line(1, 1)],
                    minutes(10),
                )
                .await
        })
    });
    let outcomes = futures::future::join_all(attempts).await;
    let mut won = 0;
    for outcome in outcomes {
        match outcome.expect("task finished") {
            Ok(_) => won += 1,
            Err(InventoryError::InsufficientStock { .. }) => {}
            Err(other) => panic!("unexpected failure: {other:?}"),
        }
    }
    assert_eq!(won, 10);
    assert_eq!(app.available(&variant(1)).await, 0);
    app.assert_books_balance().await;
}

async fn concurrent_retries_of_one_reservation_key_reserve_once(backend: Backend) {
    let app = app(backend).await;
    let north = app.warehouse("north").await;
    app.stock(&variant(1), north, 10).await;

    let retries = (0..20).map(|_| {
        let inventory = app.inventory().clone();
        tokio::spawn(async move {
            inventory
                .reserve(&key("checkout-1"), vec![line(1, 3)], minutes(10))
                .await
                .expect("every retry succeeds")
        })
    });
    let reservations = futures::future::join_all(retries).await;
    let first = reservations[0].as_ref().expect("task finished").id;
    assert!(
        reservations
            .iter()
            .all(|r| r.as_ref().map(|r| r.id).ok() == Some(first))
    );
    assert_eq!(app.available(&variant(1)).await, 7);
    app.assert_books_balance().await;
}

async fn expired_reservations_stop_counting_and_are_released(backend: Backend) {
    let app = app(backend).await;
    let north = app.warehouse("north").await;
    app.stock(&variant(1), north, 5).await;
    assert_eq!(
        reserve(&app, "checkout-1", vec![line(1, 5)]).await.ok(),
        Some(5)
    );
    assert_eq!(app.available(&variant(1)).await, 0);

    app.clock.advance(Duration::from_secs(11 * 60));
    // Readers stop counting the lapsed hold at once, before any sweep.
    assert_eq!(app.available(&variant(1)).await, 5);
    let seen = app
        .inventory()
        .reservation("checkout-1")
        .await
        .expect("reads");
    assert_eq!(seen.map(|r| r.status), Some(ReservationStatus::Expired));
    // A lapsed reservation cannot ship.
    let commit = app.inventory().commit("checkout-1").await;
    assert!(
        matches!(commit, Err(InventoryError::ReservationClosed { .. })),
        "{commit:?}"
    );

    assert_eq!(app.inventory().expire_lapsed().await.expect("sweeps"), 1);
    assert_eq!(app.inventory().expire_lapsed().await.expect("sweeps"), 0);
    app.assert_books_balance().await;
    assert_eq!(
        reserve(&app, "checkout-2", vec![line(1, 5)]).await.ok(),
        Some(5)
    );
    app.assert_books_balance().await;
}

async fn commit_ships_units_and_release_returns_them(backend: Backend) {
    let app = app(backend).await;
    let north = app.warehouse("north").await;
    app.stock(&variant(1), north, 10).await;
    reserve(&app, "paid", vec![line(1, 3)])
        .await
        .expect("reserves");
    reserve(&app, "abandoned", vec![line(1, 2)])
        .await
        .expect("reserves");
    assert_eq!(app.available(&variant(1)).await, 5);

    let committed = app.inventory().commit("paid").await.expect("commits");
    assert_eq!(committed.status, ReservationStatus::Committed);
    let again = app.inventory().commit("paid").await.expect("commits twice");
    assert_eq!(again.status, ReservationStatus::Committed);
    let released = app
        .inventory()
        .release("abandoned")
        .await
        .expect("releases");
    assert_eq!(released.status, ReservationStatus::Released);
    app.inventory()
        .release("abandoned")
        .await
        .expect("releases twice");

    let late = app.inventory().release("paid").await;
    assert!(
        matches!(late, Err(InventoryError::ReservationClosed { .. })),
        "{late:?}"
    );
    let missing = app.inventory().commit("nobody").await;
    assert!(
        matches!(missing, Err(InventoryError::ReservationNotFound(_))),
        "{missing:?}"
    );

    let stock = app
        .inventory()
        .availability(&[variant(1)])
        .await
        .expect("reads");
    let level = &stock[&variant(1)].levels[0];
    assert_eq!((level.on_hand, level.reserved), (7, 0));
    app.assert_books_balance().await;
}

async fn a_multi_line_reservation_takes_all_lines_or_none(backend: Backend) {
    let app = app(backend).await;
    let north = app.warehouse("north").await;
    app.stock(&variant(1), north, 5).await;
    app.stock(&variant(2), north, 1).await;

    let short = reserve(&app, "cart-1", vec![line(1, 2), line(2, 2)]).await;
    match short {
        Err(InventoryError::InsufficientStock {
            variant: v,
            requested,
            available,
            ..
        }) => assert_eq!((v, requested, available), (variant(2), 2, 1)),
        other => panic!("expected insufficient stock, got {other:?}"),
    }
    assert_eq!(app.available(&variant(1)).await, 5, "nothing was held");
    // The key was not used up by the failure.
    let merged = reserve(&app, "cart-1", vec![line(1, 1), line(2, 1), line(1, 1)]).await;
    assert_eq!(merged.ok(), Some(3));
    app.assert_books_balance().await;
}

async fn reusing_a_reservation_key_for_other_lines_is_a_conflict(backend: Backend) {
    let app = app(backend).await;
    let north = app.warehouse("north").await;
    app.stock(&variant(1), north, 5).await;
    reserve(&app, "cart-1", vec![line(1, 1)])
        .await
        .expect("reserves");
    let reused = reserve(&app, "cart-1", vec![line(1, 2)]).await;
    assert!(
        matches!(reused, Err(InventoryError::KeyReused { .. })),
        "{reused:?}"
    );
    assert_eq!(app.available(&variant(1)).await, 4);
}

async fn racing_commits_releases_and_sweeps_close_a_reservation_once(backend: Backend) {
    let app = app(backend).await;
    let north = app.warehouse("north").await;
    app.stock(&variant(1), north, 10).await;
    reserve(&app, "live", vec![line(1, 4)])
        .await
        .expect("reserves");
    let ttl = ReservationTtl::parse(1).expect("valid ttl");
    let lapsing = vec![line(1, 3)];
    app.inventory()
        .reserve(&key("lapsing"), lapsing, ttl)
        .await
        .expect("reserves");
    app.clock.advance(Duration::from_secs(2));

    let races = (0..30).map(|i| {
        let inventory = app.inventory().clone();
        tokio::spawn(async move {
            let target = if i % 2 == 0 { "live" } else { "lapsing" };
            match i % 3 {
                0 => inventory.commit(target).await.map(|r| r.status),
                1 => inventory.release(target).await.map(|r| r.status),
                _ => inventory
                    .expire_lapsed()
                    .await
                    .map(|_| ReservationStatus::Expired),
            }
        })
    });
    for outcome in futures::future::join_all(races).await {
        match outcome.expect("task finished") {
            Ok(_) | Err(InventoryError::ReservationClosed { .. }) => {}
            Err(other) => panic!("unexpected failure: {other:?}"),
        }
    }
    let live = app.inventory().reservation("live").await.expect("reads");
    let lapsing = app.inventory().reservation("lapsing").await.expect("reads");
    let lapsing = lapsing.map(|r| r.status);
    assert!(
        matches!(
            lapsing,
            Some(ReservationStatus::Expired | ReservationStatus::Released)
        ),
        "a lapsed reservation never ships: {lapsing:?}"
    );
    let shipped = match live.map(|r| r.status) {
        Some(ReservationStatus::Committed) => 4,
        Some(ReservationStatus::Released) => 0,
        other => panic!("the live reservation should be closed, got {other:?}"),
    };
    assert_eq!(app.available(&variant(1)).await, 10 - shipped);
    app.assert_books_balance().await;
}

/// Reservations per second through the service: 1,000 checkouts, 50 in flight, spread over
/// 100 variants, then all on one variant. Run with
/// `cargo nextest run -p commerce-inventory --run-ignored only --no-capture throughput`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark; run on demand"]
async fn reservation_throughput() {
    for backend in Backend::ALL {
        let app = app(backend).await;
        let north = app.warehouse("north").await;
        for n in 0..100 {
            app.stock(&variant(n), north, 2_000).await;
        }
        for (label, spread) in [("100 variants", 100), ("one variant", 1)] {
            let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(50));
            let started = std::time::Instant::now();
            let tasks = (0..1_000).map(|i| {
                let inventory = app.inventory().clone();
                let permits = permits.clone();
                tokio::spawn(async move {
                    let _permit = permits.acquire().await.expect("semaphore open");
                    let k = key(&format!("{spread}-{i}"));
                    inventory
                        .reserve(&k, vec![line(i % spread, 1)], minutes(10))
                        .await
                })
            });
            for outcome in futures::future::join_all(tasks).await {
                outcome.expect("task finished").expect("reserves");
            }
            let rate = 1_000.0 / started.elapsed().as_secs_f64();
            println!("{backend:?}, {label}: {rate:.0} reservations/s");
        }
        app.assert_books_balance().await;
    }
}
