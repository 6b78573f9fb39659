//! Staff stock changes: idempotency, conflicts, bounds, and books that always balance.

use commerce_inventory::domain::{
    Note, OnHand, Quantity, ReservationTtl, StockDelta, StockLevel, WarehouseId,
};
use commerce_inventory::service::{AdjustStock, InventoryError, ReserveLine, SetStock};
use commerce_kernel::{DomainError, ErrorCode};

use crate::support::{Backend, TestApp, app, key, on_both_backends, variant};

fn adjust(warehouse: WarehouseId, delta: i32) -> AdjustStock {
    AdjustStock {
        variant: variant(1),
        warehouse,
        delta: StockDelta::parse(delta).expect("valid delta"),
        note: Note::parse(Some("delivery")).expect("valid note"),
    }
}

fn set(warehouse: WarehouseId, on_hand: i32) -> SetStock {
    SetStock {
        variant: variant(1),
        warehouse,
        on_hand: OnHand::parse(on_hand).expect("valid count"),
        note: None,
    }
}

async fn adjusted(
    app: &TestApp,
    k: &str,
    input: AdjustStock,
) -> Result<StockLevel, InventoryError> {
    app.inventory().adjust_stock(&key(k), input).await
}

on_both_backends!(
    a_replayed_key_returns_the_first_result_and_changes_nothing,
    a_key_reused_with_another_payload_is_a_conflict,
    concurrent_retries_of_one_adjustment_key_apply_once,
    stock_cannot_drop_below_what_is_reserved,
    unknown_warehouses_are_not_found,
    mixed_concurrent_traffic_keeps_the_books_balanced,
);

async fn a_replayed_key_returns_the_first_result_and_changes_nothing(backend: Backend) {
    let app = app(backend).await;
    let north = app.warehouse("north").await;
    let first = adjusted(&app, "delivery-1", adjust(north, 5))
        .await
        .expect("applies");
    assert_eq!(first.on_hand, 5);
    adjusted(&app, "delivery-2", adjust(north, 2))
        .await
        .expect("applies");
    let replay = adjusted(&app, "delivery-1", adjust(north, 5))
        .await
        .expect("replays");
    assert_eq!(replay, first, "the replay answers with the first result");
    assert_eq!(app.available(&variant(1)).await, 7);

    let set_first = app
        .inventory()
        .set_stock(&key("count-1"), set(north, 3))
        .await;
    let set_replay = app
        .inventory()
        .set_stock(&key("count-1"), set(north, 3))
        .await;
    assert_eq!(set_first.expect("sets").on_hand, 3);
    assert_eq!(set_replay.expect("replays").on_hand, 3);
    // Creating a warehouse is idempotent too.
    assert_eq!(app.warehouse("north").await, north);
    app.assert_books_balance().await;
}

async fn a_key_reused_with_another_payload_is_a_conflict(backend: Backend) {
    let app = app(backend).await;
    let north = app.warehouse("north").await;
    adjusted(&app, "delivery-1", adjust(north, 5))
        .await
        .expect("applies");
    let other_amount = adjusted(&app, "delivery-1", adjust(north, 6)).await;
    let other_operation = app
        .inventory()
        .set_stock(&key("delivery-1"), set(north, 5))
        .await;
    for outcome in [other_amount, other_operation] {
        let error = outcome.expect_err("conflict");
        assert!(
            matches!(error, InventoryError::KeyReused { .. }),
            "{error:?}"
        );
        assert_eq!(error.code(), ErrorCode::Conflict);
    }
    assert_eq!(app.available(&variant(1)).await, 5);
}

async fn concurrent_retries_of_one_adjustment_key_apply_once(backend: Backend) {
    let app = app(backend).await;
    let north = app.warehouse("north").await;
    let retries = (0..20).map(|_| {
        let inventory = app.inventory().clone();
        tokio::spawn(async move {
            inventory
                .adjust_stock(&key("delivery-1"), adjust(north, 5))
                .await
                .expect("every retry succeeds")
        })
    });
    let results = futures::future::join_all(retries).await;
    let first = results[0].as_ref().expect("task finished");
    assert!(results.iter().all(|r| r.as_ref().ok() == Some(first)));
    assert_eq!(app.available(&variant(1)).await, 5);
    app.assert_books_balance().await;
}

async fn stock_cannot_drop_below_what_is_reserved(backend: Backend) {
    let app = app(backend).await;
    let north = app.warehouse("north").await;
    app.stock(&variant(1), north, 10).await;
    let line = ReserveLine {
        variant: variant(1),
        quantity: Quantity::parse(8).expect("valid"),
    };
    let ttl = ReservationTtl::parse(600).expect("valid");
    app.inventory()
        .reserve(&key("cart"), vec![line], ttl)
        .await
        .expect("reserves");

    let removal = adjusted(&app, "damage-1", adjust(north, -3)).await;
    match removal {
        Err(InventoryError::InsufficientStock {
            requested,
            available,
            ..
        }) => {
            assert_eq!((requested, available), (3, 2));
        }
        other => panic!("expected insufficient stock, got {other:?}"),
    }
    let recount = app
        .inventory()
        .set_stock(&key("count-1"), set(north, 7))
        .await;
    assert!(
        matches!(recount, Err(InventoryError::InsufficientStock { .. })),
        "{recount:?}"
    );
    // A failure is not recorded against its key, so the key can carry a corrected request.
    let level = adjusted(&app, "damage-1", adjust(north, -2))
        .await
        .expect("fits");
    assert_eq!(
        (level.on_hand, level.reserved, level.available()),
        (8, 8, 0)
    );
    app.assert_books_balance().await;
}

async fn unknown_warehouses_are_not_found(backend: Backend) {
    let app = app(backend).await;
    let outcome = adjusted(&app, "delivery-1", adjust(WarehouseId(999), 5)).await;
    let error = outcome.expect_err("no such warehouse");
    assert_eq!(error.code(), ErrorCode::NotFound, "{error:?}");
}

/// Reservations, releases, commits, expiries and staff adjustments racing on two variants in
/// two warehouses: afterwards every level equals the sum of its movements and its live
/// reservations, and nothing went negative.
async fn mixed_concurrent_traffic_keeps_the_books_balanced(backend: Backend) {
    let app = app(backend).await;
    let (north, south) = (app.warehouse("north").await, app.warehouse("south").await);
    for n in [1, 2] {
        app.stock(&variant(n), north, 20).await;
        app.stock(&variant(n), south, 5).await;
    }
    let tasks = (0..40).map(|i| {
        let inventory = app.inventory().clone();
        tokio::spawn(async move {
            let cart = format!("cart-{i}");
            let lines = vec![
                ReserveLine {
                    variant: variant(1 + i % 2),
                    quantity: Quantity::parse(1 + i % 3).expect("valid"),
                },
                ReserveLine {
                    variant: variant(2 - i % 2),
                    quantity: Quantity::parse(1).expect("valid"),
                },
            ];
            let ttl = ReservationTtl::parse(if i % 5 == 0 { 1 } else { 600 }).expect("valid");
            if inventory.reserve(&key(&cart), lines, ttl).await.is_ok() {
                let _ = match i % 3 {
                    0 => inventory.commit(&cart).await,
                    1 => inventory.release(&cart).await,
                    _ => inventory
                        .reservation(&cart)
                        .await
                        .map(|r| r.expect("exists")),
                };
            }
            let warehouse = if i % 2 == 0 { north } else { south };
            let delta = if i % 4 == 0 { -1 } else { 2 };
            let change = AdjustStock {
                variant: variant(1 + i % 2),
                warehouse,
                delta: StockDelta::parse(delta).expect("valid"),
                note: None,
            };
            let _ = inventory
                .adjust_stock(&key(&format!("adjust-{i}")), change)
                .await;
        })
    });
    for task in futures::future::join_all(tasks).await {
        task.expect("task finished");
    }
    app.assert_books_balance().await;
    app.clock.advance(std::time::Duration::from_secs(2));
    app.inventory().expire_lapsed().await.expect("sweeps");
    app.assert_books_balance().await;
}
