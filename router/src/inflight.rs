//! Identical work in flight, done once: the inbound deduplication of queries and the
//! deduplication of subgraph fetches.
//!
//! The waiters poll the work themselves, through a `Shared` future: whichever of them runs
//! first advances it. Running the work as a task of its own was measured slower (the
//! benchmark's shared executions then waited behind the tasks writing the previous
//! responses, and the cores sat idle 35% longer per execution).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};

/// Work in flight by key; `T` is its (cheaply cloned) output.
pub struct InFlight<T: Clone> {
    map: Mutex<HashMap<u64, Shared<BoxFuture<'static, T>>>>,
}

impl<T: Clone> Default for InFlight<T> {
    fn default() -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: Clone + Send + Sync + 'static> InFlight<T> {
    /// Awaits the work in flight under `key`, or starts `work()` under it. Returns the output
    /// and whether this call joined work another call started.
    pub async fn run<F>(&self, key: u64, work: impl FnOnce() -> F) -> (T, bool)
    where
        F: Future<Output = T> + Send + 'static,
    {
        let (shared, leader) = {
            let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
            match map.get(&key) {
                Some(existing) => (existing.clone(), false),
                None => {
                    let shared = work().boxed().shared();
                    map.insert(key, shared.clone());
                    (shared, true)
                }
            }
        };
        // The leader clears the entry even when it is cancelled mid-flight, so a finished
        // result is never served to a later, unrelated call.
        let _guard = leader.then(|| Guard {
            map: &self.map,
            key,
        });
        (shared.await, !leader)
    }
}

struct Guard<'a, T: Clone> {
    map: &'a Mutex<HashMap<u64, Shared<BoxFuture<'static, T>>>>,
    key: u64,
}

impl<T: Clone> Drop for Guard<'_, T> {
    fn drop(&mut self) {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn concurrent_calls_share_one_run_and_later_calls_start_another() {
        let inflight = InFlight::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let work = || {
            let runs = runs.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                runs.fetch_add(1, Ordering::SeqCst) + 1
            }
        };
        let (first, second) = tokio::join!(inflight.run(1, work), inflight.run(1, work));
        assert_eq!((first, second), ((1, false), (1, true)));
        assert_eq!(inflight.run(1, work).await, (2, false));
        assert_eq!(inflight.run(2, work).await, (3, false), "keys are apart");
    }

    #[tokio::test]
    async fn the_work_stops_when_every_waiter_has_gone() {
        let inflight = InFlight::default();
        let finished = Arc::new(AtomicUsize::new(0));
        let done = finished.clone();
        let call = inflight.run(1, move || async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            done.fetch_add(1, Ordering::SeqCst);
        });
        assert!(
            tokio::time::timeout(Duration::from_millis(5), call)
                .await
                .is_err()
        );
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(finished.load(Ordering::SeqCst), 0, "the work went on");
    }
}
