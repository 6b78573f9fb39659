//! DataLoaders: stock lookups outside `_entities` (a reservation's variants, say) are batched
//! into one query.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use crate::domain::{Availability, VariantId};
use crate::service::InventoryService;
use commerce_kernel::error::top_level;

pub struct AvailabilityLoader(pub InventoryService);

impl Loader<VariantId> for AvailabilityLoader {
    type Value = Availability;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[VariantId],
    ) -> Result<HashMap<VariantId, Availability>, Self::Error> {
        self.0.availability(keys).await.map_err(top_level)
    }
}
