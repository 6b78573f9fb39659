//! A reviews app on a fresh database, with a SQL statement counter and GraphQL helpers.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use async_graphql::{Request, Variables};
use commerce_kernel::GlobalId;
use commerce_kernel::cache::MemoryCache;
use commerce_kernel::viewer::Viewer;
use commerce_reviews::domain::{NewReview, Review};
use commerce_reviews::{AppState, ReviewService, ReviewsSchema};
use commerce_testkit::{Backend, SqlCounter, TestConfig, test_config};
use serde_json::Value;

pub struct TestApp {
    pub state: AppState,
    pub schema: ReviewsSchema,
    pub statements: SqlCounter,
    authors: AtomicI64,
    _config: TestConfig,
}

impl TestApp {
    pub async fn new(backend: Backend) -> Self {
        let config = test_config(backend).await;
        let mut db = commerce_kernel::db::connect_and_migrate::<
            commerce_migrations::reviews::Migrator,
        >(&config, "reviews")
        .await
        .expect("connects and migrates");
        let statements = SqlCounter::attach(&mut db);
        let state = AppState {
            service: ReviewService::new(db, Arc::new(MemoryCache::new(10_000))),
        };
        Self {
            schema: commerce_reviews::schema(state.clone()),
            state,
            statements,
            authors: AtomicI64::new(0),
            _config: config,
        }
    }

    pub fn service(&self) -> &ReviewService {
        &self.state.service
    }

    /// Runs an operation anonymously and returns the whole response (`data` and `errors`).
    pub async fn execute(&self, query: &str, variables: Value) -> Value {
        self.execute_as(Viewer::Anonymous, query, variables).await
    }

    /// Runs an operation as `viewer`, as the HTTP layer does after verifying a token.
    pub async fn execute_as(&self, viewer: Viewer, query: &str, variables: Value) -> Value {
        let request = Request::new(query)
            .variables(Variables::from_json(variables))
            .data(viewer);
        let response = self.schema.execute(request).await;
        serde_json::to_value(&response).expect("responses serialize")
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
    Viewer::Staff {
        id: GlobalId::encode("Staff", 1),
        permissions: vec!["reviews:moderate".to_owned()],
    }
}

/// The signed-in customer `n`.
pub fn customer(n: i64) -> Viewer {
    Viewer::Customer {
        id: GlobalId::encode("Customer", n),
        groups: Vec::new(),
    }
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

pub fn product(n: i64) -> String {
    GlobalId::encode("Product", n)
}

/// Declares, for each named `async fn scenario(backend: Backend)`, one test per backend:
/// `scenario::sqlite` and `scenario::postgres`, each on a fresh database. Both backends must
/// match the same inline snapshots, hence `allow_duplicates`.
#[macro_export]
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[test]
            fn sqlite() {
                $crate::support::run(super::$scenario(commerce_testkit::Backend::Sqlite));
            }

            #[test]
            fn postgres() {
                $crate::support::run(super::$scenario(commerce_testkit::Backend::Postgres));
            }
        }
    )*};
}

/// Runs a scenario on a multi-threaded runtime, as the server does.
pub fn run(scenario: impl std::future::Future<Output = ()>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("a runtime");
    insta::allow_duplicates! {
        runtime.block_on(scenario)
    }
}
