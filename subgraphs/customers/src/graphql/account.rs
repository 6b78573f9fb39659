//! The signed-in customer's own account: profile, address book, wishlist.

use async_graphql::{Context, ID, InputObject, Object};
use commerce_kernel::error::top_level;

use super::types::{Address, AddressKind, Customer};
use super::{customers_service, signed_in_customer};
use crate::domain::RawAddress;
use crate::service::account::{Defaults, ProfileChanges};

#[derive(InputObject)]
pub struct ProfileInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// An empty string removes the phone number.
    pub phone: Option<String>,
}

#[derive(InputObject)]
pub struct AddressInput {
    pub first_name: String,
    pub last_name: String,
    pub company: Option<String>,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. `GB`, `DE`, `US`.
    pub country_code: String,
    pub phone: Option<String>,
}

impl AddressInput {
    fn raw(&self) -> RawAddress<'_> {
        RawAddress {
            first_name: &self.first_name,
            last_name: &self.last_name,
            company: self.company.as_deref(),
            line1: &self.line1,
            line2: self.line2.as_deref(),
            city: &self.city,
            region: self.region.as_deref(),
            postal_code: &self.postal_code,
            country_code: &self.country_code,
            phone: self.phone.as_deref(),
        }
    }
}

#[derive(Default)]
pub struct AccountMutation;

async fn me(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Customer> {
    let record = customers_service(ctx)
        .customer(id)
        .await
        .map_err(top_level)?;
    Ok(Customer::new(record))
}

#[Object]
impl AccountMutation {
    /// Changes the signed-in customer's name or phone; omitted fields stay as they are.
    async fn update_profile(
        &self,
        ctx: &Context<'_>,
        input: ProfileInput,
    ) -> async_graphql::Result<Customer> {
        let id = signed_in_customer(ctx)?;
        let changes = ProfileChanges {
            first_name: input.first_name.as_deref(),
            last_name: input.last_name.as_deref(),
            phone: input.phone.as_deref(),
        };
        let record = customers_service(ctx)
            .update_profile(id, changes)
            .await
            .map_err(top_level)?;
        Ok(Customer::new(record))
    }

    /// Adds an address to the book, optionally making it a default.
    async fn add_address(
        &self,
        ctx: &Context<'_>,
        input: AddressInput,
        #[graphql(default)] default_shipping: bool,
        #[graphql(default)] default_billing: bool,
    ) -> async_graphql::Result<Address> {
        let id = signed_in_customer(ctx)?;
        let defaults = Defaults {
            shipping: default_shipping,
            billing: default_billing,
        };
        customers_service(ctx)
            .add_address(id, &input.raw(), defaults)
            .await
            .map(Address)
            .map_err(top_level)
    }

    /// Replaces an address of the book, optionally making it a default.
    async fn update_address(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: AddressInput,
        #[graphql(default)] default_shipping: bool,
        #[graphql(default)] default_billing: bool,
    ) -> async_graphql::Result<Address> {
        let customer = signed_in_customer(ctx)?;
        let defaults = Defaults {
            shipping: default_shipping,
            billing: default_billing,
        };
        customers_service(ctx)
            .update_address(customer, &id, &input.raw(), defaults)
            .await
            .map(Address)
            .map_err(top_level)
    }

    /// Removes an address; a default that pointed at it is cleared.
    async fn remove_address(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let customer = signed_in_customer(ctx)?;
        customers_service(ctx)
            .remove_address(customer, &id)
            .await
            .map_err(top_level)?;
        Ok(true)
    }

    /// Makes one of the customer's addresses their default shipping or billing address.
    async fn set_default_address(
        &self,
        ctx: &Context<'_>,
        id: ID,
        kind: AddressKind,
    ) -> async_graphql::Result<Customer> {
        let customer = signed_in_customer(ctx)?;
        let record = customers_service(ctx)
            .set_default_address(customer, &id, kind.into())
            .await
            .map_err(top_level)?;
        Ok(Customer::new(record))
    }

    /// Adds a product to the signed-in customer's wishlist (again is a no-op).
    async fn add_to_wishlist(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
    ) -> async_graphql::Result<Customer> {
        let customer = signed_in_customer(ctx)?;
        customers_service(ctx)
            .add_to_wishlist(customer, &product_id)
            .await
            .map_err(top_level)?;
        me(ctx, customer).await
    }

    /// Removes a product from the wishlist (absent is a no-op).
    async fn remove_from_wishlist(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
    ) -> async_graphql::Result<Customer> {
        let customer = signed_in_customer(ctx)?;
        customers_service(ctx)
            .remove_from_wishlist(customer, &product_id)
            .await
            .map_err(top_level)?;
        me(ctx, customer).await
    }
}
