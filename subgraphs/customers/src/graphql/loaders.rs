//! Per-request batch loaders: a page of customers or an `_entities` batch costs one query per
//! kind of data, whatever its size.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;

use crate::AppState;
use crate::domain::{Address, Customer, CustomerGroup};
use crate::service::CustomerError;
use crate::service::account;

pub struct CustomerLoader(pub AppState);
pub struct GroupsLoader(pub AppState);
pub struct AddressesLoader(pub AppState);

impl Loader<i64> for CustomerLoader {
    type Value = Customer;
    type Error = Arc<CustomerError>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Customer>, Self::Error> {
        let customers = account::customers_by_ids(&self.0, keys).await?;
        Ok(customers.into_iter().map(|c| (c.id, c)).collect())
    }
}

impl Loader<i64> for GroupsLoader {
    type Value = Vec<CustomerGroup>;
    type Error = Arc<CustomerError>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<CustomerGroup>>, Self::Error> {
        Ok(account::groups_of(&self.0, keys).await?)
    }
}

impl Loader<i64> for AddressesLoader {
    type Value = Vec<Address>;
    type Error = Arc<CustomerError>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<Address>>, Self::Error> {
        Ok(account::addresses_of(&self.0, keys).await?)
    }
}
