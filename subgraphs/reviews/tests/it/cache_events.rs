//! Ratings cached in each instance's own memory: a moderation on one instance reaches another
//! instance's cache through the events within a second (entries would otherwise live five
//! minutes, so only the events can explain it).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use commerce_kernel::cache::MemoryCache;
use commerce_kernel::events::Transport;
use commerce_reviews::domain::ModerationAction;
use commerce_reviews::{AppState, ReviewsService};
use commerce_testkit::{Backend, SqlCounter, migrated_database};
use tokio_util::sync::CancellationToken;

use crate::support::{new_review, product};

const BOUND: Duration = Duration::from_secs(1);

async fn within(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit * 10, "never happened");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn count(service: &ReviewsService) -> i64 {
    let ratings = service.ratings(&[product(1)]).await.expect("reads ratings");
    ratings[&product(1)].count
}

#[test]
fn a_moderation_on_one_instance_reaches_the_other_instances_cache_within_a_second() {
    commerce_testkit::run_scenario(commerce_testkit::Runtime::MultiThread, async {
        let database = migrated_database::<commerce_migrations::reviews::Migrator>(
            Backend::Postgres,
            "reviews",
        )
        .await;
        let mut config = database.config.config();
        config.redis_url = Some(commerce_testkit::redis_url().await);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_nanos();
        config.events_namespace = format!("t{nanos}");
        let shutdown = CancellationToken::new();
        let mut instances: Vec<(AppState, SqlCounter)> = Vec::new();
        for _ in 0..2 {
            let mut db = commerce_kernel::db::connect(&config, "reviews")
                .await
                .expect("connects");
            let statements = SqlCounter::attach(&mut db);
            let state = AppState {
                service: ReviewsService::new(db, Arc::new(MemoryCache::new(1_000))),
            };
            let transport = Transport::from_config(&config).await.expect("Redis");
            commerce_reviews::spawn_cache_consumer(&state, &transport, shutdown.clone());
            commerce_reviews::spawn_events(&config, &transport, shutdown.clone())
                .await
                .expect("starts the relay");
            instances.push((state, statements));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let [(a, _), (b, b_statements)] = <[_; 2]>::try_from(instances).ok().expect("two");
        let review = a
            .service
            .submit(&new_review(&product(1), 1, 5))
            .await
            .expect("submits");
        assert_eq!(count(&b.service).await, 0);
        b_statements.reset();
        assert_eq!(count(&b.service).await, 0);
        assert_eq!(
            b_statements.count(),
            0,
            "b serves the rating from its cache"
        );

        a.service
            .moderate(review.id, ModerationAction::Approve)
            .await
            .expect("approves");
        assert_eq!(count(&a.service).await, 1, "read-your-writes on a");
        let took = within(BOUND, async || count(&b.service).await == 1).await;
        assert!(took < BOUND, "b saw the approval after {took:?}");
        println!("another instance saw the moderation after {took:?}");
        shutdown.cancel();
    });
}
