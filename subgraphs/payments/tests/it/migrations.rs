//! The payments migrations go down and up again cleanly, and the tables' CHECK constraints
//! back the money rules for rows written by anything but the service.

use commerce_migrations::payments::Migrator;
use commerce_migrations::sea_orm_migration::MigratorTrait;
use commerce_testkit::{Backend, on_both_backends, test_config};
use sea_orm::{ConnectionTrait, Statement};

use crate::support::TestApp;

on_both_backends!(
    migrations_roll_back_and_reapply,
    the_ledger_audit_finds_an_intent_changed_behind_the_ledgers_back,
    the_schema_refuses_refunds_above_the_capture_and_captures_above_the_authorization,
);

async fn migrations_roll_back_and_reapply(backend: Backend) {
    let config = test_config(backend).await;
    let db = commerce_kernel::db::connect_for_migrations(&config, "payments")
        .await
        .expect("connects");
    Migrator::up(&db, None).await.expect("migrates up");
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

async fn the_schema_refuses_refunds_above_the_capture_and_captures_above_the_authorization(
    backend: Backend,
) {
    let app = TestApp::new(backend).await;
    app.authorized("10.00").await;
    let db = app.state.service.db();
    for update in [
        "UPDATE payment_intents SET amount_captured = 1001",
        "UPDATE payment_intents SET amount_refunded = 1",
        "UPDATE payment_intents SET amount_authorized = -1",
    ] {
        let statement = Statement::from_string(db.get_database_backend(), update.to_owned());
        assert!(db.execute(statement).await.is_err(), "{update} was stored");
    }
}

async fn the_ledger_audit_finds_an_intent_changed_behind_the_ledgers_back(backend: Backend) {
    let app = TestApp::new(backend).await;
    let id = app.authorized("10.00").await;
    app.capture(&id, Some("4.00"), "audit-capture").await;
    let service = &app.state.service;
    assert_eq!(service.ledger_drift().await.expect("audits"), []);
    let db = service.db();
    let statement = Statement::from_string(
        db.get_database_backend(),
        "UPDATE payment_intents SET amount_captured = 500".to_owned(),
    );
    db.execute(statement)
        .await
        .expect("a write behind the ledger's back");
    let drift = service.ledger_drift().await.expect("audits");
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert_eq!((drift[0].captured, drift[0].ledger_captured), (500, 400));
    assert_eq!(
        (drift[0].authorized, drift[0].ledger_authorized),
        (1000, 1000)
    );
}
