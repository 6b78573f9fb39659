//! The reviews migrations go down and up again cleanly on both backends.

use commerce_migrations::reviews::Migrator;
use commerce_migrations::sea_orm_migration::MigratorTrait;
use commerce_testkit::{Backend, on_both_backends, test_config};
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{TestApp, product};

async fn migrations_roll_back_and_reapply(backend: Backend) {
    let config = test_config(backend).await;
    let db = commerce_kernel::db::connect_for_migrations(&config, "reviews")
        .await
        .expect("connects");
    Migrator::up(&db, None).await.expect("migrates up");
    Migrator::down(&db, None).await.expect("migrates down");
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .expect("reads status")
            .len()
            .eq(&Migrator::migrations().len())
    );
    Migrator::up(&db, None).await.expect("migrates up again");
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .expect("reads status")
            .is_empty()
    );
}

async fn the_schema_rejects_ratings_outside_one_to_five(backend: Backend) {
    // The CHECK constraint backs the domain rule for rows written by anything else.
    let app = TestApp::new(backend).await;
    let review = app.submit(&product(1), 5).await;
    let db = app.service().db();
    let statement = Statement::from_string(
        db.get_database_backend(),
        format!("UPDATE reviews SET rating = 6 WHERE id = {}", review.id.0),
    );
    let result = db.execute(statement).await;
    assert!(result.is_err(), "a rating of 6 was stored");
}

on_both_backends!(
    migrations_roll_back_and_reapply,
    the_schema_rejects_ratings_outside_one_to_five,
);
