//! One review per customer and product, even when a client retries a submission concurrently.

use commerce_reviews::domain::ReviewError;
use commerce_testkit::{Backend, on_both_backends};

use crate::support::{TestApp, new_review, product};

async fn concurrent_duplicate_submissions_store_exactly_one_review(backend: Backend) {
    let app = TestApp::new(backend).await;
    let tasks = (0..10).map(|_| {
        let service = app.service().clone();
        tokio::spawn(async move { service.submit(&new_review(&product(1), 7, 4)).await })
    });
    let mut stored = 0;
    for result in futures::future::join_all(tasks).await {
        match result.expect("task finishes") {
            Ok(_) => stored += 1,
            Err(ReviewError::AlreadyReviewed { .. }) => {}
            Err(error) => panic!("unexpected failure: {error}"),
        }
    }
    assert_eq!(stored, 1);
    // Another product, or another customer, is a new review.
    let other_product = app.service().submit(&new_review(&product(2), 7, 4)).await;
    let other_author = app.service().submit(&new_review(&product(1), 8, 4)).await;
    assert!(other_product.is_ok() && other_author.is_ok());
}

on_both_backends!(concurrent_duplicate_submissions_store_exactly_one_review);
