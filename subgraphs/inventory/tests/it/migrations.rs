//! The inventory migrations apply, roll back and apply again on both backends.

use commerce_migrations::inventory::Migrator;
use commerce_migrations::sea_orm_migration::MigratorTrait;

use crate::support::{Backend, on_both_backends};

on_both_backends!(migrations_roll_back_and_apply_again);

async fn migrations_roll_back_and_apply_again(backend: Backend) {
    let config = commerce_testkit::test_config(backend).await;
    let db = commerce_kernel::db::connect_for_migrations(&config, "inventory")
        .await
        .expect("connects");
    Migrator::up(&db, None).await.expect("migrates up");
    Migrator::down(&db, None).await.expect("rolls back");
    Migrator::up(&db, None).await.expect("applies again");
    let pending = Migrator::get_pending_migrations(&db)
        .await
        .expect("reads status");
    assert!(pending.is_empty());
}
