//! Per-request batch loaders: a page of customers or an `_entities` batch costs one query per
//! kind of data, whatever its size.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;

use crate::domain::{Address, Customer, CustomerGroup};
use crate::service::CustomerError;
use crate::service::CustomersService;

pub struct CustomerLoader(pub CustomersService);
pub struct GroupsLoader(pub CustomersService);
pub struct AddressesLoader(pub CustomersService);

impl Loader<i64> for CustomerLoader {
    type Value = Customer;
    type Error = Arc<CustomerError>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Customer>, Self::Error> {
        let customers = self.0.customers_by_ids(keys).await?;
        Ok(customers.into_iter().map(|c| (c.id, c)).collect())
    }
}

impl Loader<i64> for GroupsLoader {
    type Value = Vec<CustomerGroup>;
    type Error = Arc<CustomerError>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<CustomerGroup>>, Self::Error> {
        Ok(self.0.groups_of(keys).await?)
    }
}

impl Loader<i64> for AddressesLoader {
    type Value = Vec<Address>;
    type Error = Arc<CustomerError>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<Address>>, Self::Error> {
        Ok(self.0.addresses_of(keys).await?)
    }
}
