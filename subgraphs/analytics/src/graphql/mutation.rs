//! Staff maintenance: rebuilding the rollups from analytics' event log.

use async_graphql::{Context, Object};
use commerce_kernel::error::top_level;

use super::types::RebuildReport;
use super::{access, service_of};

#[derive(Default)]
pub struct Mutation;

#[Object]
impl Mutation {
    /// Empties every rollup and replays analytics' log of applied events into them, in one
    /// transaction (needs `analytics:write`). For a changed rollup rule or a damaged table.
    async fn rebuild_analytics(&self, ctx: &Context<'_>) -> async_graphql::Result<RebuildReport> {
        access::require_writer(ctx)?;
        let replayed = service_of(ctx).rebuild().await.map_err(top_level)?;
        Ok(RebuildReport {
            events_replayed: i64::try_from(replayed).unwrap_or(i64::MAX),
        })
    }
}
