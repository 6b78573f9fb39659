//! The ledger of each intent in a response, gathered into one query per batch.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use commerce_kernel::error::top_level;

use crate::domain::{IntentId, LedgerEntry};
use crate::service::PaymentsService;

pub struct LedgerLoader(pub PaymentsService);

impl Loader<IntentId> for LedgerLoader {
    type Value = Vec<LedgerEntry>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[IntentId],
    ) -> Result<HashMap<IntentId, Vec<LedgerEntry>>, Self::Error> {
        let mut ledgers = self.0.ledgers(keys).await.map_err(top_level)?;
        // Every asked intent gets a list, empty when it has no entry.
        Ok(keys
            .iter()
            .map(|id| (*id, ledgers.remove(id).unwrap_or_default()))
            .collect())
    }
}
