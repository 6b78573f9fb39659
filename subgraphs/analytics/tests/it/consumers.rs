//! The consumers on real Redis Streams: two instances share each group, every event is
//! published twice (as a relay does when it crashes between publishing and marking), and the
//! rollups come out as if each event had been applied once.

use std::time::{Duration, Instant};

use commerce_analytics::AppState;
use commerce_kernel::events::Transport;
use commerce_testkit::{Backend, on_both_backends, redis_url};
use tokio_util::sync::CancellationToken;

use crate::feeding::known_set;
use crate::support::TestApp;

on_both_backends!(two_instances_apply_each_event_published_twice_once);

async fn two_instances_apply_each_event_published_twice_once(backend: Backend) {
    let expected = TestApp::new(backend).await;
    for event in known_set() {
        expected.deliver(&event).await;
    }
    let expected = expected.rollups().await;

    let app = TestApp::new(backend).await;
    let url = redis_url().await;
    let namespace = format!("analytics-{}", uuid::Uuid::new_v4().simple());
    let transport = Transport::redis(&url, &namespace)
        .await
        .expect("connects to Redis");
    let shutdown = CancellationToken::new();
    let state = AppState {
        service: app.service.clone(),
    };
    commerce_analytics::spawn_events(&state, &transport, shutdown.clone());
    commerce_analytics::spawn_events(&state, &transport, shutdown.clone());

    let client = redis::Client::open(url.as_str()).expect("a Redis URL");
    let mut redis = client
        .get_multiplexed_async_connection()
        .await
        .expect("connects to Redis");
    for event in known_set() {
        let stream = format!("{namespace}:{}", event.domain());
        let json = serde_json::to_string(&event).expect("serializes");
        for _ in 0..2 {
            let _: String = redis::cmd("XADD")
                .arg(&stream)
                .arg("*")
                .arg("envelope")
                .arg(&json)
                .query_async(&mut redis)
                .await
                .expect("XADD");
        }
    }

    let started = Instant::now();
    loop {
        let rollups = app.rollups().await;
        if rollups == expected {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the consumers did not reach the expected rollups: {rollups:#?}\nexpected {expected:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Nothing more arrives: the duplicates were skipped, not delayed.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.rollups().await, expected);
    shutdown.cancel();
}
