//! Demo data: none. Orders come from checkouts, so a fresh shop has no orders; `seed` exists
//! so the stack treats every subgraph alike.

use crate::AppState;

/// Seeds nothing (see the module docs); kept for the stack's uniform start-up.
pub async fn seed(_state: &AppState) -> anyhow::Result<()> {
    Ok(())
}
