//! Submitting and moderating publish `reviews.review_submitted` and
//! `reviews.review_moderated` in their transaction; a refused submission, a moderation that
//! changes nothing and one of an unknown review publish nothing.

use commerce_kernel::GlobalId;
use commerce_reviews::domain::{ModerationAction, ReviewId};
use commerce_testkit::events::publish_pending;
use commerce_testkit::{Backend, on_both_backends};
use serde_json::{Value, json};

use crate::support::{TestApp, new_review, product};

on_both_backends!(submitting_and_moderating_publish_one_event_per_change);

async fn submitting_and_moderating_publish_one_event_per_change(backend: Backend) {
    let app = TestApp::new(backend).await;
    let kept = app.approved(&product(1), 4).await;
    let duplicate = app.service().submit(&new_review(&product(1), 1, 2)).await;
    assert!(duplicate.is_err(), "one review per author and product");
    app.service()
        .moderate(kept.id, ModerationAction::Approve)
        .await
        .expect("already approved: nothing changes");
    let removed = app.submit(&product(2), 1).await;
    app.service()
        .moderate(removed.id, ModerationAction::Remove)
        .await
        .expect("removes");
    let unknown = app
        .service()
        .moderate(ReviewId(999), ModerationAction::Reject)
        .await;
    assert!(unknown.is_err());

    let events: Vec<(String, String, i64, Value)> = publish_pending(app.service().db(), "reviews")
        .await
        .into_iter()
        .map(|e| (e.event_type, e.aggregate_id, e.sequence, e.payload))
        .collect();
    let author = GlobalId::encode("Customer", 1);
    let (first, second) = (kept.id.global(), removed.id.global());
    let second_author = GlobalId::encode("Customer", 2);
    assert_eq!(
        events,
        [
            (
                "reviews.review_submitted".to_owned(),
                first.clone(),
                1,
                json!({ "reviewId": first, "productId": product(1), "authorId": author, "stars": 4 })
            ),
            (
                "reviews.review_moderated".to_owned(),
                first.clone(),
                2,
                json!({ "reviewId": first, "productId": product(1), "stars": 4,
                    "from": "PENDING", "to": "APPROVED" })
            ),
            (
                "reviews.review_submitted".to_owned(),
                second.clone(),
                1,
                json!({ "reviewId": second, "productId": product(2), "authorId": second_author,
                    "stars": 1 })
            ),
            (
                "reviews.review_moderated".to_owned(),
                second.clone(),
                2,
                json!({ "reviewId": second, "productId": product(2), "stars": 1,
                    "from": "PENDING", "to": "REMOVED" })
            ),
        ]
    );
}
