//! One async test body run as two tests, on SQLite and on PostgreSQL.

use std::future::Future;

/// The runtime a scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// Four worker threads, as the servers run.
    MultiThread,
    /// One thread, so a DataLoader batch always collects every key of a level before its timer
    /// fires (on a busy multi-threaded runtime a slow debug build may split a batch).
    CurrentThread,
}

/// Declares, for each named `async fn scenario(backend: Backend)`, the tests
/// `scenario::sqlite` and `scenario::postgres`, each on a fresh database. They run on four
/// worker threads; `on_both_backends!(current_thread: a, b)` runs them on one.
///
/// ```ignore
/// use commerce_testkit::{Backend, on_both_backends};
///
/// on_both_backends!(rejects_unknown_skus);
///
/// async fn rejects_unknown_skus(backend: Backend) { /* ... */ }
/// ```
#[macro_export]
macro_rules! on_both_backends {
    (@tests $runtime:expr; $($scenario:ident),*) => {$(
        mod $scenario {
            #[test]
            fn sqlite() {
                $crate::run_scenario($runtime, super::$scenario($crate::Backend::Sqlite));
            }

            #[test]
            fn postgres() {
                $crate::run_scenario($runtime, super::$scenario($crate::Backend::Postgres));
            }
        }
    )*};
    (current_thread: $($scenario:ident),* $(,)?) => {
        $crate::on_both_backends!(@tests $crate::Runtime::CurrentThread; $($scenario),*);
    };
    ($($scenario:ident),* $(,)?) => {
        $crate::on_both_backends!(@tests $crate::Runtime::MultiThread; $($scenario),*);
    };
}

/// Runs a scenario to completion on `runtime`. Both backends must match the same inline
/// snapshots, hence `allow_duplicates`.
pub fn run_scenario(runtime: Runtime, scenario: impl Future<Output = ()>) {
    let runtime = match runtime {
        Runtime::MultiThread => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(4);
            builder
        }
        Runtime::CurrentThread => tokio::runtime::Builder::new_current_thread(),
    }
    .enable_all()
    .build()
    .expect("a test runtime");
    insta::allow_duplicates! {
        runtime.block_on(scenario)
    }
}
