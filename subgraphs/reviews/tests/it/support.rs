//! A reviews app on a fresh database, with a SQL statement counter and GraphQL helpers.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use commerce_kernel::GlobalId;
use commerce_kernel::cache::MemoryCache;
use commerce_kernel::viewer::Viewer;
use commerce_reviews::domain::{NewReview, Review};
use commerce_reviews::{AppState, ReviewsSchema, ReviewsService};
pub use commerce_testkit::ids::product;
use commerce_testkit::{Backend, SqlCounter, TestDatabase, migrated_database};
use serde_json::Value;

pub struct TestApp {
    pub state: AppState,
    pub schema: ReviewsSchema,
    pub statements: SqlCounter,
    authors: AtomicI64,
    _database: TestDatabase,
}

impl TestApp {
    /// The verifier the subgraph's routes check tokens with, from the test's configuration.
    pub fn verifier(&self) -> std::sync::Arc<commerce_kernel::auth::Verifier> {
        commerce_testkit::verifier(&self._database.config)
    }

    pub async fn new(backend: Backend) -> Self {
        let database =
            migrated_database::<commerce_migrations::reviews::Migrator>(backend, "reviews").await;
        let state = AppState {
            service: ReviewsService::new(database.db.clone(), Arc::new(MemoryCache::new(10_000))),
        };
        Self {
            schema: commerce_reviews::schema(state.clone()),
            state,
            statements: database.statements.clone(),
            authors: AtomicI64::new(0),
            _database: database,
        }
    }

    pub fn service(&self) -> &ReviewsService {
        &self.state.service
    }

    /// Runs an operation anonymously and returns the whole response (`data` and `errors`).
    pub async fn execute(&self, query: &str, variables: Value) -> Value {
        self.execute_as(Viewer::Anonymous, query, variables).await
    }

    /// Runs an operation as `viewer`, as the HTTP layer does after verifying a token.
    pub async fn execute_as(&self, viewer: Viewer, query: &str, variables: Value) -> Value {
        commerce_testkit::execute_as(&self.schema, viewer, query, variables).await
    }

    /// Submits a valid review of `product` with `stars`, each by a new customer (1, 2, ...).
    pub async fn submit(&self, product: &str, stars: i32) -> Review {
        let author = self.authors.fetch_add(1, Ordering::SeqCst) + 1;
        self.service()
            .submit(&new_review(product, author, stars))
            .await
            .expect("submits")
    }

    /// Submits and approves a review.
    pub async fn approved(&self, product: &str, stars: i32) -> Review {
        let review = self.submit(product, stars).await;
        self.service()
            .moderate(
                review.id,
                commerce_reviews::domain::ModerationAction::Approve,
            )
            .await
            .expect("approves");
        review
    }
}

/// Staff allowed to moderate reviews.
pub fn moderator() -> Viewer {
    commerce_testkit::staff(&["reviews:moderate"])
}

/// A valid review of `product` by customer `author` with `stars`.
pub fn new_review(product: &str, author: i64, stars: i32) -> NewReview {
    NewReview::parse(
        product,
        &GlobalId::encode("Customer", author),
        "Ada L.",
        stars,
        "Nice product",
        "Does what it says on the box.",
    )
    .expect("a valid review")
}
