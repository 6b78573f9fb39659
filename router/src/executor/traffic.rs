//! Per-subgraph circuit breaking and retries of idempotent fetches, so that a subgraph that
//! hangs or is down costs its own fields, not the router: after `failure_threshold` failed
//! fetches in a row its fetches fail at once for `open_ms`, then one probe decides whether it
//! is back. Retries are bounded by a budget per subgraph (tower's `TpsBudget`), so they cannot
//! multiply the load on a subgraph that is struggling. Settings: `config/traffic.rs`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use rand::Rng;
use tower::retry::budget::{Budget, TpsBudget};

use crate::config::{CircuitBreakerConfig, Config, RetryConfig, TrafficConfig};

/// Every subgraph's breaker and retry budget, made on a subgraph's first fetch (a reloaded
/// supergraph may name new ones).
pub struct Traffic {
    defaults: TrafficConfig,
    overrides: HashMap<String, TrafficConfig>,
    subgraphs: RwLock<HashMap<String, Arc<SubgraphTraffic>>>,
}

impl Traffic {
    pub fn new(config: &Config) -> Self {
        Self {
            defaults: config.traffic.clone(),
            overrides: config
                .subgraphs
                .iter()
                .filter_map(|(name, s)| Some((name.clone(), s.traffic.clone()?)))
                .collect(),
            subgraphs: RwLock::default(),
        }
    }

    pub fn of(&self, subgraph: &str) -> Arc<SubgraphTraffic> {
        if let Some(found) = self.read().get(subgraph) {
            return found.clone();
        }
        let config = self.overrides.get(subgraph).unwrap_or(&self.defaults);
        self.subgraphs
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(subgraph.to_string())
            .or_insert_with(|| Arc::new(SubgraphTraffic::new(config)))
            .clone()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<SubgraphTraffic>>> {
        self.subgraphs.read().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct SubgraphTraffic {
    breaker: Option<Breaker>,
    retry: RetryConfig,
    budget: TpsBudget,
}

impl SubgraphTraffic {
    fn new(config: &TrafficConfig) -> Self {
        let retry = config.retry.clone();
        // TpsBudget takes a fraction and panics outside 0..=1000.
        let fraction = (retry.budget_percent / 100.0).clamp(0.0, 1000.0);
        let min_per_sec = retry.min_per_sec.min(i32::MAX as u32 - 1);
        Self {
            breaker: config
                .circuit_breaker
                .enabled
                .then(|| Breaker::new(&config.circuit_breaker)),
            budget: TpsBudget::new(Duration::from_secs(10), min_per_sec, fraction),
            retry,
        }
    }

    /// Whether a fetch may be sent now; `Err` with how long the circuit stays open.
    pub fn admit(&self) -> Result<Admission<'_>, Duration> {
        self.budget.deposit();
        let probe = match &self.breaker {
            Some(breaker) => breaker.admit()?,
            None => false,
        };
        Ok(Admission {
            breaker: self.breaker.as_ref(),
            probe,
            settled: false,
        })
    }

    /// How long to wait before retry number `retry` (1-based) of a fetch, or `None` when it
    /// may not be retried (too many retries, or the budget is spent).
    pub fn retry_after(&self, retry: u32) -> Option<Duration> {
        if retry > self.retry.max_retries || !self.budget.withdraw() {
            return None;
        }
        let cap = self
            .retry
            .backoff_ms
            .saturating_mul(1 << (retry - 1).min(16));
        Some(Duration::from_millis(rand::rng().random_range(0..=cap)))
    }
}

/// A fetch the breaker let through; tell it how the fetch went. Dropped without a verdict
/// (the request was cancelled), a probe frees the way for the next one.
pub struct Admission<'a> {
    breaker: Option<&'a Breaker>,
    probe: bool,
    settled: bool,
}

impl Admission<'_> {
    pub fn succeeded(mut self) {
        self.settled = true;
        if let Some(breaker) = self.breaker {
            breaker.succeeded();
        }
    }

    pub fn failed(mut self) {
        self.settled = true;
        if let Some(breaker) = self.breaker {
            breaker.failed(self.probe);
        }
    }
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        if self.probe
            && !self.settled
            && let Some(breaker) = self.breaker
        {
            breaker.probing.store(false, Ordering::Release);
        }
    }
}

/// Closed while `open_until` is 0; open until that moment; then half-open, letting one
/// probe through at a time. Atomics only: a closed breaker costs a fetch one load.
struct Breaker {
    threshold: u32,
    open_for: Duration,
    failures: AtomicU32,
    /// Milliseconds since `epoch` until which the circuit is open; 0 while closed.
    open_until: AtomicU64,
    /// A probe of a half-open circuit is in flight.
    probing: AtomicBool,
    epoch: Instant,
}

impl Breaker {
    fn new(config: &CircuitBreakerConfig) -> Self {
        Self {
            threshold: config.failure_threshold.max(1),
            open_for: Duration::from_millis(config.open_ms),
            failures: AtomicU32::new(0),
            open_until: AtomicU64::new(0),
            probing: AtomicBool::new(false),
            epoch: Instant::now(),
        }
    }

    fn now(&self) -> u64 {
        // +1: a moment is never 0, which means closed.
        self.epoch.elapsed().as_millis() as u64 + 1
    }

    /// `Ok(true)` for the probe of a half-open circuit.
    fn admit(&self) -> Result<bool, Duration> {
        let until = self.open_until.load(Ordering::Acquire);
        if until == 0 {
            return Ok(false);
        }
        let now = self.now();
        if now < until {
            return Err(Duration::from_millis(until - now));
        }
        match self
            .probing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Ok(true),
            Err(_) => Err(Duration::ZERO),
        }
    }

    fn succeeded(&self) {
        self.failures.store(0, Ordering::Release);
        if self.open_until.swap(0, Ordering::AcqRel) != 0 {
            self.probing.store(false, Ordering::Release);
            tracing::info!("subgraph answered again: circuit closed");
        }
    }

    fn failed(&self, probe: bool) {
        let failures = self.failures.fetch_add(1, Ordering::AcqRel) + 1;
        if probe || (failures >= self.threshold && self.open_until.load(Ordering::Acquire) == 0) {
            let until = self.now() + self.open_for.as_millis() as u64;
            self.open_until.store(until, Ordering::Release);
            self.probing.store(false, Ordering::Release);
            if !probe {
                tracing::warn!(
                    failures,
                    open_ms = self.open_for.as_millis() as u64,
                    "subgraph keeps failing: circuit open"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traffic(threshold: u32, open_ms: u64, retry: RetryConfig) -> SubgraphTraffic {
        SubgraphTraffic::new(&TrafficConfig {
            circuit_breaker: CircuitBreakerConfig {
                enabled: true,
                failure_threshold: threshold,
                open_ms,
            },
            retry,
        })
    }

    #[test]
    fn opens_after_the_threshold_then_one_probe_closes_it() {
        let traffic = traffic(3, 50, RetryConfig::default());
        for _ in 0..3 {
            traffic.admit().expect("closed").failed();
        }
        let open = traffic.admit().err().expect("open");
        assert!(open > Duration::ZERO && open <= Duration::from_millis(50));
        std::thread::sleep(open + Duration::from_millis(2));
        let probe = traffic.admit().expect("half-open lets a probe through");
        assert!(traffic.admit().is_err(), "one probe at a time");
        probe.succeeded();
        for _ in 0..2 {
            traffic.admit().expect("closed again").failed();
        }
        assert!(traffic.admit().is_ok(), "the count started over");
    }

    #[test]
    fn a_failed_probe_opens_it_again_and_a_cancelled_one_frees_the_way() {
        let traffic = traffic(1, 20, RetryConfig::default());
        traffic.admit().expect("closed").failed();
        std::thread::sleep(Duration::from_millis(25));
        drop(traffic.admit().expect("probe"));
        traffic
            .admit()
            .expect("a cancelled probe lets the next through")
            .failed();
        assert!(traffic.admit().is_err(), "open again");
    }

    #[test]
    fn successes_between_failures_keep_it_closed() {
        let traffic = traffic(2, 1_000, RetryConfig::default());
        for _ in 0..10 {
            traffic.admit().expect("closed").failed();
            traffic.admit().expect("closed").succeeded();
        }
    }

    #[test]
    fn retries_stop_at_the_maximum_and_at_the_budget() {
        let retry = RetryConfig {
            max_retries: 2,
            backoff_ms: 8,
            min_per_sec: 0,
            budget_percent: 50.0,
        };
        let traffic = traffic(100, 1_000, retry);
        for _ in 0..4 {
            traffic.admit().expect("closed").succeeded();
        }
        let first = traffic.retry_after(1).expect("within budget");
        assert!(first <= Duration::from_millis(8));
        assert!(traffic.retry_after(2).expect("within budget") <= Duration::from_millis(16));
        assert!(traffic.retry_after(3).is_none(), "past max_retries");
        assert!(
            traffic.retry_after(1).is_none(),
            "4 fetches at 50% buy 2 retries"
        );
    }
}
