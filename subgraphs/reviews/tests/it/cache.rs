//! The rating read-through cache on Redis: shared by every instance, and invalidated by a
//! moderation on any of them.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use commerce_kernel::cache::RedisCache;
use commerce_reviews::ReviewsService;
use commerce_reviews::domain::ModerationAction;
use commerce_testkit::{Backend, SqlCounter, on_both_backends, test_config};

use crate::support::{new_review, product};

async fn rating_cache_is_shared_and_invalidated_across_instances(backend: Backend) {
    let config = test_config(backend).await;
    let mut db =
        commerce_kernel::db::connect_and_migrate::<commerce_migrations::reviews::Migrator>(
            &config, "reviews",
        )
        .await
        .expect("connects and migrates");
    let statements = SqlCounter::attach(&mut db);
    // The Redis server outlives each test: a namespace of its own keeps tests apart.
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos();
    let namespace = format!("reviews-test-{backend:?}-{nanos}");
    let redis = commerce_testkit::redis_url().await;
    let instance = || async {
        let cache = RedisCache::connect(&redis, &namespace)
            .await
            .expect("connects to Redis");
        ReviewsService::new(db.clone(), Arc::new(cache))
    };
    let (reader, moderator) = (instance().await, instance().await);
    let products = [product(1)];
    let count = |service: &ReviewsService| {
        let service = service.clone();
        let products = products.clone();
        async move { service.ratings(&products).await.expect("reads ratings")[&products[0]].count }
    };

    let review = moderator
        .submit(&new_review(&products[0], 1, 5))
        .await
        .expect("submits");
    assert_eq!(count(&reader).await, 0);
    statements.reset();
    assert_eq!(count(&reader).await, 0);
    assert_eq!(count(&moderator).await, 0);
    assert_eq!(
        statements.count(),
        0,
        "both instances read the shared cache entry"
    );

    moderator
        .moderate(review.id, ModerationAction::Approve)
        .await
        .expect("approves");
    assert_eq!(
        count(&reader).await,
        1,
        "the approval invalidated the entry"
    );
    moderator
        .moderate(review.id, ModerationAction::Remove)
        .await
        .expect("removes");
    assert_eq!(count(&reader).await, 0, "the removal invalidated the entry");
}

on_both_backends!(rating_cache_is_shared_and_invalidated_across_instances);
