//! Demand control: the estimated cost an operation may have, and whether clients see it. The
//! estimate itself lives with the request path (`pipeline/cost.rs`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemandControlConfig {
    /// Operations estimated above this cost are refused before planning
    /// (`COST_ESTIMATED_TOO_EXPENSIVE`); 0 switches the limit off.
    pub max_cost: u64,
    /// The assumed size of a list field that `@listSize` says nothing about.
    pub list_size: u64,
    /// Every response carries the estimate in `extensions.cost` (`estimated`, and `max` when
    /// a limit is set), for clients to tune against.
    pub expose_estimate: bool,
}

impl Default for DemandControlConfig {
    fn default() -> Self {
        Self {
            max_cost: 0,
            list_size: 10,
            expose_estimate: true,
        }
    }
}

impl DemandControlConfig {
    /// Whether requests need an estimate at all.
    pub fn estimates(&self) -> bool {
        self.max_cost > 0 || self.expose_estimate
    }
}
