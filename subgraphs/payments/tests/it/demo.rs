//! Demo data: made through the use cases with fixed keys, so seeding twice changes nothing.

use commerce_testkit::{Backend, on_both_backends};
use sea_orm::{ConnectionTrait, Statement};

use crate::support::TestApp;

on_both_backends!(demo_seed_is_idempotent_and_covers_every_state);

async fn rows(app: &TestApp, sql: &str) -> Vec<(String, i64)> {
    let db = app.state.service.db();
    let statement = Statement::from_string(db.get_database_backend(), sql.to_owned());
    db.query_all(statement)
        .await
        .expect("reads")
        .into_iter()
        .map(|row| {
            (
                row.try_get_by_index(0).expect("a text"),
                row.try_get_by_index(1).expect("a number"),
            )
        })
        .collect()
}

async fn demo_seed_is_idempotent_and_covers_every_state(backend: Backend) {
    let app = TestApp::new(backend).await;
    commerce_payments::demo::seed(&app.state)
        .await
        .expect("seeds");
    let statuses = "SELECT status, amount_refunded FROM payment_intents ORDER BY id";
    let first = rows(&app, statuses).await;
    commerce_payments::demo::seed(&app.state)
        .await
        .expect("seeds again");
    assert_eq!(rows(&app, statuses).await, first);
    let drift = app.state.service.ledger_drift().await.expect("audits");
    assert!(drift.is_empty(), "{drift:?}");
    let names: Vec<&str> = first.iter().map(|(status, _)| status.as_str()).collect();
    assert_eq!(
        names,
        [
            "captured",
            "partially_refunded",
            "voided",
            "authorized",
            "failed"
        ]
    );
    let ledger = rows(
        &app,
        "SELECT kind, COUNT(*) FROM payment_ledger GROUP BY kind ORDER BY kind",
    )
    .await;
    assert_eq!(
        ledger,
        [
            ("authorization".to_owned(), 4),
            ("authorization_declined".to_owned(), 1),
            ("capture".to_owned(), 2),
            ("refund".to_owned(), 1),
            ("void".to_owned(), 1),
        ]
    );
}
