//! Deterministic demo stock: two warehouses and stock for every variant, some sold out.
//! Written with multi-row inserts in one transaction so that a large catalogue seeds quickly,
//! and logged as `set` movements so the movement log adds up from the start.

use anyhow::Context;
use commerce_kernel::db::begin_write;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::AppState;
use crate::domain::{MovementKind, VariantId, WarehouseCode, WarehouseId, WarehouseName};
use crate::store::movements::{self, NewMovement};
use crate::store::{stock, warehouses};

/// The demo warehouses: (code, name).
pub const WAREHOUSES: [(&str, &str); 2] = [
    ("ams-1", "Amsterdam fulfilment centre"),
    ("ber-1", "Berlin city warehouse"),
];

/// Seeds stock for `variant_ids` (catalog global ids). Does nothing if the demo warehouses
/// already exist.
pub async fn seed(state: &AppState, variant_ids: &[String], seed: u64) -> anyhow::Result<()> {
    let first_code = WarehouseCode::parse(WAREHOUSES[0].0)?;
    if warehouses::find_by_code(&state.db, &first_code)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let variants = variant_ids
        .iter()
        .map(|id| VariantId::parse(id))
        .collect::<Result<Vec<_>, _>>()
        .context("demo stock needs catalog variant ids")?;
    let now = state.inventory.clock().now();
    let txn = begin_write(&state.db).await?;
    let mut warehouse_ids = Vec::new();
    for (code, name) in WAREHOUSES {
        let code = WarehouseCode::parse(code)?;
        let name = WarehouseName::parse(name)?;
        warehouse_ids.push(warehouses::insert(&txn, &code, &name, now).await?.id);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let levels: Vec<(&VariantId, WarehouseId, i64)> = variants
        .iter()
        .flat_map(|variant| {
            let sold_out = rng.random_bool(0.12);
            warehouse_ids
                .iter()
                .map(|&warehouse| (variant, warehouse, demo_quantity(&mut rng, sold_out)))
                .collect::<Vec<_>>()
        })
        .collect();
    let rows: Vec<stock::NewLevel<'_>> = levels
        .iter()
        .map(|&(variant, warehouse, on_hand)| stock::NewLevel {
            variant,
            warehouse,
            on_hand,
        })
        .collect();
    stock::insert_many(&txn, &rows, now).await?;
    let log: Vec<NewMovement<'_>> = levels
        .iter()
        .filter(|(_, _, on_hand)| *on_hand > 0)
        .map(|&(variant, warehouse, on_hand)| NewMovement {
            variant,
            warehouse,
            kind: MovementKind::Set,
            on_hand_delta: on_hand,
            reserved_delta: 0,
            reservation_id: None,
            note: Some("demo seed"),
        })
        .collect();
    movements::record(&txn, &log, now).await?;
    txn.commit().await?;
    commerce_kernel::db::analyze(&state.db).await?;
    Ok(())
}

/// Mostly small counts, some empty shelves, the odd pallet.
fn demo_quantity(rng: &mut ChaCha8Rng, sold_out: bool) -> i64 {
    if sold_out || rng.random_bool(0.2) {
        return 0;
    }
    if rng.random_bool(0.1) {
        rng.random_range(100..=500)
    } else {
        rng.random_range(1..=40)
    }
}
