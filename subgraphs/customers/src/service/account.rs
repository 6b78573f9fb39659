//! The signed-in customer's own account: profile, address book, wishlist.

use std::collections::HashMap;

use commerce_kernel::GlobalId;
use commerce_kernel::db::begin_write;
use commerce_kernel::events::Outbox;
use commerce_kernel::pagination::{Page, PageRequest};

use super::CustomersService;
use super::{decode_id, ids};
use crate::domain::events::{CustomerChange, CustomerUpdated};
use crate::domain::{
    Address, AddressInput, AddressKind, Customer, CustomerError, CustomerGroup, RawAddress,
    WishlistItem, optional_text, required_text,
};
use crate::store;

pub struct ProfileChanges<'a> {
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    /// `Some("")` clears the phone number.
    pub phone: Option<&'a str>,
}

/// Which defaults a new or edited address should become.
#[derive(Debug, Clone, Copy, Default)]
pub struct Defaults {
    pub shipping: bool,
    pub billing: bool,
}

impl Defaults {
    fn kinds(self) -> impl Iterator<Item = AddressKind> {
        [
            self.shipping.then_some(AddressKind::Shipping),
            self.billing.then_some(AddressKind::Billing),
        ]
        .into_iter()
        .flatten()
    }
}

fn address_not_found(id: &str) -> CustomerError {
    CustomerError::NotFound {
        what: "address",
        id: id.to_owned(),
    }
}

/// Checks that `product_id` is a catalog product id; whether it exists is the catalog's call.
fn product_id(value: &str) -> Result<String, CustomerError> {
    let id = GlobalId::parse(value)?;
    if id.type_name() != ids::PRODUCT {
        return Err(CustomerError::invalid(
            "productId",
            format!("{value:?} is not a Product id"),
        ));
    }
    Ok(value.trim().to_owned())
}

impl CustomersService {
    pub async fn customer(&self, id: i64) -> Result<Customer, CustomerError> {
        store::find_customer(&self.db, id)
            .await?
            .ok_or_else(|| CustomerError::NotFound {
                what: "customer",
                id: GlobalId::encode(ids::CUSTOMER, id),
            })
    }

    /// Customers by id, in one query whatever the count (for the per-request loaders).
    pub async fn customers_by_ids(&self, ids: &[i64]) -> Result<Vec<Customer>, CustomerError> {
        Ok(store::customers_by_ids(&self.db, ids).await?)
    }

    /// Each customer's groups, in one query whatever the count.
    pub async fn groups_of(
        &self,
        customer_ids: &[i64],
    ) -> Result<HashMap<i64, Vec<CustomerGroup>>, CustomerError> {
        Ok(store::groups_of(&self.db, customer_ids).await?)
    }

    /// Each customer's address book, in one query whatever the count.
    pub async fn addresses_of(
        &self,
        customer_ids: &[i64],
    ) -> Result<HashMap<i64, Vec<Address>>, CustomerError> {
        Ok(store::addresses_of(&self.db, customer_ids).await?)
    }

    pub async fn update_profile(
        &self,
        customer_id: i64,
        changes: ProfileChanges<'_>,
    ) -> Result<Customer, CustomerError> {
        let first_name = changes
            .first_name
            .map(|name| required_text("firstName", name, 100))
            .transpose()?;
        let last_name = changes
            .last_name
            .map(|name| required_text("lastName", name, 100))
            .transpose()?;
        let phone = changes
            .phone
            .map(|phone| optional_text("phone", Some(phone), 32))
            .transpose()?;
        let txn = begin_write(&self.db).await?;
        store::update_profile(
            &txn,
            customer_id,
            store::ProfileUpdate {
                first_name: first_name.as_deref(),
                last_name: last_name.as_deref(),
                phone: phone.as_ref().map(Option::as_deref),
            },
        )
        .await?;
        Outbox::append(&txn, &CustomerUpdated::profile(customer_id)).await?;
        txn.commit().await?;
        self.customer(customer_id).await
    }

    pub async fn add_address(
        &self,
        customer_id: i64,
        raw: &RawAddress<'_>,
        defaults: Defaults,
    ) -> Result<Address, CustomerError> {
        let input = AddressInput::parse(raw)?;
        let txn = begin_write(&self.db).await?;
        let address = store::insert_address(&txn, customer_id, &input).await?;
        for kind in defaults.kinds() {
            store::set_default_address(&txn, customer_id, kind, address.id).await?;
        }
        let event = CustomerUpdated::address(customer_id, CustomerChange::AddressAdded, address.id);
        Outbox::append(&txn, &event).await?;
        txn.commit().await?;
        Ok(address)
    }

    pub async fn update_address(
        &self,
        customer_id: i64,
        address_id: &str,
        raw: &RawAddress<'_>,
        defaults: Defaults,
    ) -> Result<Address, CustomerError> {
        let id = decode_id(address_id, ids::ADDRESS)?;
        let input = AddressInput::parse(raw)?;
        let txn = begin_write(&self.db).await?;
        if !store::update_address(&txn, customer_id, id, &input).await? {
            return Err(address_not_found(address_id));
        }
        for kind in defaults.kinds() {
            store::set_default_address(&txn, customer_id, kind, id).await?;
        }
        let event = CustomerUpdated::address(customer_id, CustomerChange::AddressUpdated, id);
        Outbox::append(&txn, &event).await?;
        txn.commit().await?;
        Ok(Address {
            id,
            customer_id,
            fields: input,
        })
    }

    pub async fn remove_address(
        &self,
        customer_id: i64,
        address_id: &str,
    ) -> Result<(), CustomerError> {
        let id = decode_id(address_id, ids::ADDRESS)?;
        let txn = begin_write(&self.db).await?;
        store::clear_defaults_for(&txn, customer_id, id).await?;
        if !store::delete_address(&txn, customer_id, id).await? {
            return Err(address_not_found(address_id));
        }
        let event = CustomerUpdated::address(customer_id, CustomerChange::AddressRemoved, id);
        Outbox::append(&txn, &event).await?;
        txn.commit().await?;
        Ok(())
    }

    pub async fn set_default_address(
        &self,
        customer_id: i64,
        address_id: &str,
        kind: AddressKind,
    ) -> Result<Customer, CustomerError> {
        let id = decode_id(address_id, ids::ADDRESS)?;
        if store::find_address(&self.db, customer_id, id)
            .await?
            .is_none()
        {
            return Err(address_not_found(address_id));
        }
        let txn = begin_write(&self.db).await?;
        store::set_default_address(&txn, customer_id, kind, id).await?;
        let event = CustomerUpdated::address(customer_id, CustomerChange::DefaultAddress, id);
        Outbox::append(&txn, &event).await?;
        txn.commit().await?;
        self.customer(customer_id).await
    }

    pub async fn add_to_wishlist(
        &self,
        customer_id: i64,
        product: &str,
    ) -> Result<(), CustomerError> {
        let product = product_id(product)?;
        Ok(store::add_to_wishlist(&self.db, customer_id, &product).await?)
    }

    /// Removes the product; `false` when it was not on the wishlist.
    pub async fn remove_from_wishlist(
        &self,
        customer_id: i64,
        product: &str,
    ) -> Result<bool, CustomerError> {
        let product = product_id(product)?;
        Ok(store::remove_from_wishlist(&self.db, customer_id, &product).await?)
    }

    pub async fn wishlist(
        &self,
        customer_id: i64,
        request: &PageRequest,
    ) -> Result<(Page<WishlistItem>, u64), CustomerError> {
        let page = store::wishlist_page(&self.db, customer_id, request).await?;
        let total = store::count_wishlist(&self.db, customer_id).await?;
        Ok((page, total))
    }
}
