//! The stored rating aggregate always equals a recomputation over the approved reviews, after
//! any sequence of submissions and moderations, sequential or concurrent.

use commerce_reviews::domain::{ModerationAction, ReviewError, ReviewId};
use commerce_testkit::{Backend, on_both_backends};
use proptest::prelude::*;

use crate::support::{TestApp, product};

#[derive(Debug, Clone)]
enum Op {
    Submit {
        product: i64,
        stars: i32,
    },
    Moderate {
        pick: usize,
        action: ModerationAction,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let action = prop_oneof![
        3 => Just(ModerationAction::Approve),
        2 => Just(ModerationAction::Reject),
        1 => Just(ModerationAction::Remove),
    ];
    prop_oneof![
        1 => (1..=4_i64, 1..=5_i32).prop_map(|(product, stars)| Op::Submit { product, stars }),
        2 => (any::<usize>(), action).prop_map(|(pick, action)| Op::Moderate { pick, action }),
    ]
}

/// Applies `ops`; moderation may target a removed review, which must fail as not found.
async fn apply(app: &TestApp, ops: &[Op], ids: &mut Vec<ReviewId>) {
    for op in ops {
        match op {
            Op::Submit { product: n, stars } => ids.push(app.submit(&product(*n), *stars).await.id),
            Op::Moderate { pick, action } if !ids.is_empty() => {
                let id = ids[pick % ids.len()];
                match app.service().moderate(id, *action).await {
                    Ok(_) | Err(ReviewError::ReviewNotFound { .. }) => {}
                    Err(error) => panic!("moderating {id:?}: {error}"),
                }
            }
            Op::Moderate { .. } => {}
        }
    }
}

/// The aggregate as stored, and as served through the cache, equals a recomputation.
async fn assert_consistent(app: &TestApp) {
    let drift = app.service().rating_drift().await.expect("audits");
    assert!(drift.is_empty(), "stored ratings drifted: {drift:#?}");
    let products: Vec<String> = (1..=4).map(product).collect();
    let served = app
        .service()
        .ratings(&products)
        .await
        .expect("reads ratings");
    for id in &products {
        let expected = recomputed(app, id).await;
        assert_eq!(served[id], expected, "cached rating of {id} is stale");
    }
}

async fn recomputed(app: &TestApp, product_id: &str) -> commerce_reviews::domain::RatingSummary {
    // Page through every approved review of the product: the slow way, on purpose.
    let request = commerce_kernel::pagination::PageRequest::parse(Some(100), None, None, None)
        .expect("valid page");
    let page = app
        .service()
        .product_reviews(product_id, &request)
        .await
        .expect("reads reviews");
    commerce_reviews::domain::RatingSummary::of(page.items.iter().map(|review| review.stars))
}

fn random_sequences_keep_the_aggregate_exact(backend: Backend) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let app = runtime.block_on(TestApp::new(backend));
    // Reviews accumulate across cases: later sequences moderate earlier reviews too.
    let ids = tokio::sync::Mutex::new(Vec::new());
    let config = ProptestConfig {
        cases: 24,
        ..ProptestConfig::default()
    };
    proptest!(config, |(ops in proptest::collection::vec(op(), 1..40))| {
        runtime.block_on(async {
            apply(&app, &ops, &mut *ids.lock().await).await;
            assert_consistent(&app).await;
        });
    });
}

#[test]
fn random_moderations_keep_the_aggregate_exact_on_sqlite() {
    random_sequences_keep_the_aggregate_exact(Backend::Sqlite);
}

#[test]
fn random_moderations_keep_the_aggregate_exact_on_postgres() {
    random_sequences_keep_the_aggregate_exact(Backend::Postgres);
}

async fn concurrent_moderations_keep_the_aggregate_exact(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut ids = Vec::new();
    for n in 0..12 {
        ids.push(app.submit(&product(1 + n % 2), 1 + (n % 5) as i32).await.id);
    }
    let actions = [
        ModerationAction::Approve,
        ModerationAction::Reject,
        ModerationAction::Approve,
        ModerationAction::Remove,
    ];
    let tasks = (0..48).map(|task| {
        let service = app.service().clone();
        let id = ids[task % ids.len()];
        let action = actions[(task / ids.len()) % actions.len()];
        tokio::spawn(async move { service.moderate(id, action).await })
    });
    for result in futures::future::join_all(tasks).await {
        match result.expect("task finishes") {
            Ok(_)
            | Err(ReviewError::ReviewNotFound { .. })
            | Err(ReviewError::ConcurrentModeration { .. }) => {}
            Err(error) => panic!("unexpected failure: {error}"),
        }
    }
    assert_consistent(&app).await;
}

on_both_backends!(concurrent_moderations_keep_the_aggregate_exact);
