//! Supergraph hot reload: poll the file, build the new schema off the request path, swap it
//! in atomically; a broken file is logged and the old schema keeps serving.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tracing::{info, warn};

use crate::RouterState;

/// Polling (rather than inotify) works the same on every platform, in containers and with
/// editors that replace files by rename.
pub fn watch(
    state: Arc<RouterState>,
    path: PathBuf,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    // Read now, not in the task: a change made right after `watch` returns must be seen.
    let mut last = std::fs::read(&path).ok();
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let Ok(current) = tokio::fs::read(&path).await else {
                continue;
            };
            if last.as_ref() == Some(&current) {
                continue;
            }
            last = Some(current.clone());
            let result = match String::from_utf8(current) {
                Ok(sdl) => state.reload(sdl).await,
                Err(_) => Err(anyhow::anyhow!("supergraph file is not UTF-8")),
            };
            match result {
                Ok(warmed) => info!(
                    path = %path.display(),
                    operations_prepared = warmed,
                    "supergraph reloaded"
                ),
                Err(reason) => warn!(
                    path = %path.display(),
                    reason = %format!("{reason:#}"),
                    "new supergraph rejected; still serving the previous one"
                ),
            }
        }
    })
}
