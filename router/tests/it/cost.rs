//! What a piece of work costs the process: CPU time and the peak of heap bytes in use while it
//! ran (nextest runs each test in a process of its own, so other tests do not count).

use std::time::Duration;

use peak_alloc::PeakAlloc;

#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

/// What some work cost.
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    pub cpu: Duration,
    /// The most heap bytes in use at once, above what was in use when the work started.
    pub peak_bytes: usize,
}

pub async fn measure<T>(work: impl std::future::Future<Output = T>) -> (T, Cost) {
    let base = ALLOCATOR.current_usage();
    ALLOCATOR.reset_peak_usage();
    let cpu = cpu_time::ProcessTime::now();
    let output = work.await;
    let cost = Cost {
        cpu: cpu.elapsed(),
        peak_bytes: ALLOCATOR.peak_usage().saturating_sub(base),
    };
    (output, cost)
}
