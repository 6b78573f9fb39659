//! Every change of stock publishes the variant's new totals (`inventory.stock_changed`) in its
//! transaction, and `inventory.stock_low` as available units fall below the threshold (5 by
//! default); refused and replayed changes publish nothing.

use commerce_inventory::domain::{Quantity, ReservationTtl};
use commerce_inventory::service::ReserveLine;
use commerce_testkit::events::publish_pending;
use serde_json::{Value, json};

use crate::support::{Backend, app, key, on_both_backends, variant};

on_both_backends!(stock_changes_publish_the_new_totals_and_low_stock_once_as_it_crosses);

async fn stock_changes_publish_the_new_totals_and_low_stock_once_as_it_crosses(backend: Backend) {
    let app = app(backend).await;
    let (north, south) = (app.warehouse("north").await, app.warehouse("south").await);
    app.stock(&variant(1), north, 6).await;
    app.stock(&variant(1), south, 2).await;
    let ten_minutes = ReservationTtl::parse(600).expect("a ttl");
    let lines = |quantity| {
        vec![ReserveLine {
            variant: variant(1),
            quantity: Quantity::parse(quantity).expect("a quantity"),
        }]
    };
    let inventory = app.inventory();
    inventory
        .reserve(&key("cart-1"), lines(4), ten_minutes)
        .await
        .expect("reserves");
    // A replay and a refusal change nothing, so they publish nothing.
    inventory
        .reserve(&key("cart-1"), lines(4), ten_minutes)
        .await
        .expect("replays");
    assert!(
        inventory
            .reserve(&key("cart-2"), lines(10), ten_minutes)
            .await
            .is_err()
    );
    inventory.release("cart-1").await.expect("releases");

    let events: Vec<(String, i64, Value)> = publish_pending(&app.state.db, "inventory")
        .await
        .into_iter()
        .map(|e| {
            assert_eq!(e.aggregate_id, variant(1).as_str());
            (e.event_type, e.sequence, e.payload)
        })
        .collect();
    let changed = |sequence, reason: &str, totals: [i64; 3], changes: Value| {
        let [on_hand, reserved, available] = totals;
        (
            "inventory.stock_changed".to_owned(),
            sequence,
            json!({ "variantId": variant(1).as_str(), "reason": reason, "onHand": on_hand,
                "reserved": reserved, "available": available, "changes": changes }),
        )
    };
    let moved = |warehouse: commerce_inventory::domain::WarehouseId,
                 on_hand: i64,
                 reserved: i64| {
        json!({ "warehouseId": warehouse.global(), "onHandDelta": on_hand, "reservedDelta": reserved })
    };
    assert_eq!(
        events,
        [
            changed(1, "SET", [6, 0, 6], json!([moved(north, 6, 0)])),
            changed(2, "SET", [8, 0, 8], json!([moved(south, 2, 0)])),
            // The reservation takes all four units from the warehouse that has them.
            changed(3, "RESERVE", [8, 4, 4], json!([moved(north, 0, 4)])),
            (
                "inventory.stock_low".to_owned(),
                4,
                json!({ "variantId": variant(1).as_str(), "available": 4, "threshold": 5 })
            ),
            changed(5, "RELEASE", [8, 0, 8], json!([moved(north, 0, -4)])),
        ]
    );
}
