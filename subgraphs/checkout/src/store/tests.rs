//! The saga lease's conditional statements on both backends: instances racing for a saga whose
//! lease lapsed get exactly one winner, a live lease is never taken, and an instance that lost
//! its saga can no longer write it.

use std::time::Duration;

use commerce_migrations::checkout::Migrator;
use commerce_testkit::{Backend, migrated_database, on_both_backends};

use super::*;

on_both_backends!(
    a_saga_is_taken_by_one_instance_only_and_only_once_its_lease_lapsed,
    recovery_lists_only_unfinished_sagas_that_nobody_runs,
);

fn lease(millis: u64) -> Lease {
    Lease::generate(Duration::from_millis(millis))
}

async fn a_saga_is_taken_by_one_instance_only_and_only_once_its_lease_lapsed(backend: Backend) {
    let database = migrated_database::<Migrator>(backend, "checkout").await;
    let db = &database.db;
    let first = lease(60_000);
    let saga = insert_saga(db, 1, "key", "hash", &first)
        .await
        .expect("inserts")
        .expect("a new saga");
    assert_eq!(saga.lease_owner.as_deref(), Some(first.owner()));

    let other = lease(60_000);
    let taken = take_saga(db, saga.id, &other).await.expect("updates");
    assert!(taken.is_none(), "a live lease is not taken");
    let again = take_saga(db, saga.id, &first).await.expect("updates");
    assert!(again.is_some(), "its holder takes it again");

    // A holder whose lease lapses at once (it stopped renewing), and instances racing for it.
    let stalled = lease(0);
    assert!(
        take_saga(db, saga.id, &stalled)
            .await
            .expect("updates")
            .is_none()
    );
    assert!(
        save_saga(db, &saga, &first).await.expect("saves"),
        "the holder saves"
    );
    release_lease(db, saga.id, &first).await.expect("releases");
    let stalled_saga = take_saga(db, saga.id, &stalled)
        .await
        .expect("updates")
        .expect("nobody holds it");
    tokio::time::sleep(Duration::from_millis(5)).await;
    let racers: Vec<Lease> = (0..8).map(|_| lease(60_000)).collect();
    let takes =
        futures::future::join_all(racers.iter().map(|racer| take_saga(db, saga.id, racer))).await;
    let winners: Vec<&Lease> = racers
        .iter()
        .zip(&takes)
        .filter(|(_, taken)| taken.as_ref().expect("updates").is_some())
        .map(|(racer, _)| racer)
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one instance takes the lapsed saga"
    );
    let winner = winners[0];

    assert!(
        !save_saga(db, &stalled_saga, &stalled).await.expect("runs"),
        "the stalled holder cannot save a saga taken over"
    );
    assert!(!renew_lease(db, saga.id, &stalled).await.expect("runs"));
    assert!(renew_lease(db, saga.id, winner).await.expect("runs"));

    let mut finished = stalled_saga.clone();
    finished.step = Step::Failed;
    finished.outcome = Some(Outcome::Failed {
        code: "SERVICE_UNAVAILABLE".to_owned(),
        message: "interrupted".to_owned(),
    });
    assert!(save_saga(db, &finished, winner).await.expect("saves"));
    let stored = find_saga(db, 1, "key")
        .await
        .expect("reads")
        .expect("a saga");
    assert_eq!((stored.lease_owner, stored.lease_expires_at), (None, None));
    assert_eq!(
        stored.outcome, finished.outcome,
        "the outcome releases the lease"
    );
    assert!(
        take_saga(db, saga.id, &other)
            .await
            .expect("updates")
            .is_none(),
        "a finished saga is never taken"
    );
}

async fn recovery_lists_only_unfinished_sagas_that_nobody_runs(backend: Backend) {
    let database = migrated_database::<Migrator>(backend, "checkout").await;
    let db = &database.db;
    let live = lease(60_000);
    let lapsed = lease(0);
    let running = insert_saga(db, 1, "live", "h", &live)
        .await
        .expect("inserts");
    let stalled = insert_saga(db, 2, "lapsed", "h", &lapsed)
        .await
        .expect("inserts")
        .expect("a saga");
    let released = insert_saga(db, 3, "released", "h", &live)
        .await
        .expect("inserts")
        .expect("a saga");
    release_lease(db, released.id, &live)
        .await
        .expect("releases");
    let mut done = insert_saga(db, 4, "done", "h", &lapsed)
        .await
        .expect("inserts")
        .expect("a saga");
    done.step = Step::Completed;
    done.outcome = Some(Outcome::Failed {
        code: "X".to_owned(),
        message: String::new(),
    });
    assert!(save_saga(db, &done, &lapsed).await.expect("saves"));
    tokio::time::sleep(Duration::from_millis(5)).await;

    assert!(running.is_some());
    let ids: Vec<i64> = recoverable_sagas(db, 10)
        .await
        .expect("reads")
        .iter()
        .map(|saga| saga.id)
        .collect();
    assert_eq!(
        ids,
        [stalled.id, released.id],
        "the longest untouched first"
    );
    let first: Vec<i64> = recoverable_sagas(db, 1)
        .await
        .expect("reads")
        .iter()
        .map(|saga| saga.id)
        .collect();
    assert_eq!(first, [stalled.id], "at most a batch");
}
