//! The checkout migrations (the tables, then the saga lease's columns) go down and up again
//! cleanly on both backends.

use commerce_migrations::checkout::Migrator;
use commerce_migrations::sea_orm_migration::MigratorTrait;
use commerce_testkit::{Backend, on_both_backends, test_config};

on_both_backends!(migrations_roll_back_and_reapply);

async fn migrations_roll_back_and_reapply(backend: Backend) {
    let config = test_config(backend).await;
    let db = commerce_kernel::db::connect_for_migrations(&config, "checkout")
        .await
        .expect("connects");
    Migrator::up(&db, None).await.expect("migrates up");
    Migrator::down(&db, Some(1)).await.expect("drops the lease");
    Migrator::down(&db, None).await.expect("migrates down");
    let pending = Migrator::get_pending_migrations(&db)
        .await
        .expect("reads status");
    assert_eq!(pending.len(), Migrator::migrations().len());
    Migrator::up(&db, None).await.expect("migrates up again");
    let pending = Migrator::get_pending_migrations(&db)
        .await
        .expect("reads status");
    assert!(pending.is_empty());
}
