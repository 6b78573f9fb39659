//! When a failed delivery is tried again, when it is given up (dead-lettered), and when an
//! endpoint that keeps failing is disabled.

use std::time::Duration;

use chrono::DateTime;

/// The waits before each retry. Each wait is drawn uniformly between half and all of its
/// step: the jitter spreads retries of many deliveries that failed together (an endpoint that
/// was down) without letting a wait collapse to nothing, as full jitter from zero would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

impl RetrySchedule {
    pub fn new(steps: Vec<Duration>) -> Self {
        Self(steps)
    }

    /// The wait after failed attempt number `step + 1` of a run (a replay starts a new run),
    /// or `None` when the schedule is exhausted and the delivery is dead-lettered.
    pub fn wait(&self, step: usize) -> Option<Duration> {
        let ceiling = *self.0.get(step)?;
        let floor = ceiling / 2;
        let spread = ceiling.saturating_sub(floor).as_micros();
        let extra = if spread == 0 {
            0
        } else {
            rand::random_range(0..=spread)
        };
        Some(floor + Duration::from_micros(u64::try_from(extra).unwrap_or(u64::MAX)))
    }

    /// Attempts of one run: the first and one per step.
    pub fn attempts(&self) -> usize {
        self.0.len() + 1
    }
}

/// An endpoint's failures since its last success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureRun {
    pub consecutive_failures: i32,
    /// Unix microseconds of the first failure of the run.
    pub failing_since: i64,
    /// Whether a delivery was dead-lettered during the run.
    pub dead_in_run: bool,
}

/// When an endpoint is disabled: after `after_failures` consecutive failed attempts, once a
/// delivery has been dead-lettered in that run or it has lasted `after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisableRule {
    pub after_failures: u32,
    pub after: Duration,
}

impl DisableRule {
    /// Why the endpoint is disabled at `now` (microseconds), or `None` while it is not.
    pub fn reason(&self, run: &FailureRun, now: i64) -> Option<String> {
        let failures = u32::try_from(run.consecutive_failures).unwrap_or(0);
        if failures < self.after_failures {
            return None;
        }
        let lasted = Duration::from_micros(u64::try_from(now - run.failing_since).unwrap_or(0));
        let since = DateTime::from_timestamp_micros(run.failing_since)
            .map_or_else(String::new, |at| at.to_rfc3339());
        if run.dead_in_run {
            Some(format!(
                "{failures} consecutive failed attempts since {since}, and a delivery \
                 exhausted its retries"
            ))
        } else if lasted >= self.after {
            Some(format!(
                "{failures} consecutive failed attempts over {} hours since {since}",
                lasted.as_secs() / 3600
            ))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_stay_between_half_and_all_of_their_step_then_run_out() {
        let schedule = RetrySchedule::new(vec![Duration::from_secs(10), Duration::from_secs(60)]);
        for _ in 0..200 {
            let first = schedule.wait(0).expect("a first retry");
            assert!(first >= Duration::from_secs(5) && first <= Duration::from_secs(10));
            let second = schedule.wait(1).expect("a second retry");
            assert!(second >= Duration::from_secs(30) && second <= Duration::from_secs(60));
        }
        assert_eq!(schedule.wait(2), None);
        assert_eq!(schedule.attempts(), 3);
    }

    #[test]
    fn the_default_schedule_spans_about_a_day() {
        let steps = commerce_kernel::config::WebhooksConfig::default().retry_schedule_ms;
        let total: u64 = steps.iter().sum();
        let hours = total / 3_600_000;
        assert!((24..=30).contains(&hours), "{hours} h");
    }

    #[test]
    fn disables_after_enough_failures_and_a_dead_letter_or_a_long_run() {
        let rule = DisableRule {
            after_failures: 3,
            after: Duration::from_secs(3600),
        };
        let run = FailureRun {
            consecutive_failures: 2,
            failing_since: 0,
            dead_in_run: true,
        };
        assert_eq!(rule.reason(&run, 10), None, "too few failures");
        let run = FailureRun {
            consecutive_failures: 3,
            dead_in_run: false,
            ..run
        };
        assert_eq!(rule.reason(&run, 10), None, "too short a run");
        assert!(rule.reason(&run, 3_600_000_000).is_some());
        let dead = FailureRun {
            dead_in_run: true,
            ..run
        };
        let reason = rule.reason(&dead, 10).expect("disabled");
        assert!(reason.contains("exhausted its retries"), "{reason}");
    }
}
