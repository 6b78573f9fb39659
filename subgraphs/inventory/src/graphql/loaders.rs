//! DataLoaders: every stock or warehouse lookup made while resolving a request is batched
//! into one query per kind.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::graphql_error;
use crate::domain::{Availability, VariantId, Warehouse, WarehouseId};
use crate::service::Inventory;

pub struct AvailabilityLoader(pub Inventory);

impl Loader<VariantId> for AvailabilityLoader {
    type Value = Availability;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[VariantId],
    ) -> Result<HashMap<VariantId, Availability>, Self::Error> {
        self.0.availability(keys).await.map_err(graphql_error)
    }
}

pub struct WarehouseLoader(pub Inventory);

impl Loader<WarehouseId> for WarehouseLoader {
    type Value = Warehouse;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[WarehouseId],
    ) -> Result<HashMap<WarehouseId, Warehouse>, Self::Error> {
        self.0.warehouses_by_id(keys).await.map_err(graphql_error)
    }
}
