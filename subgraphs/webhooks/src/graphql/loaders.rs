//! The attempts of the deliveries a request lists, gathered into one query.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use commerce_kernel::error::top_level;

use crate::domain::Attempt;
use crate::service::WebhooksService;

/// Attempts by delivery id.
pub struct AttemptsLoader(pub WebhooksService);

impl Loader<i64> for AttemptsLoader {
    type Value = Vec<Attempt>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<Attempt>>, Self::Error> {
        self.0.attempts(keys).await.map_err(top_level)
    }
}
