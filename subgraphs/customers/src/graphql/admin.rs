//! Staff mutations; each checks its permission first.

use async_graphql::{Context, ID, InputObject, Object};
use commerce_kernel::error::top_level;

use super::types::{Customer, CustomerGroup, StaffMember, StaffRole};
use super::{customers_service, require};
use crate::service::admin::NewStaff;
use crate::service::revocation::permission_to_revoke;

#[derive(InputObject)]
pub struct StaffMemberInput {
    pub email: String,
    pub name: String,
    /// The staff member's initial password (same policy as customers').
    pub password: String,
    /// Role codes, e.g. `["admin"]`.
    pub roles: Vec<String>,
}

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Creates a customer group (needs `customers:write`).
    async fn create_customer_group(
        &self,
        ctx: &Context<'_>,
        code: String,
        name: String,
    ) -> async_graphql::Result<CustomerGroup> {
        require(ctx, "customers:write")?;
        customers_service(ctx)
            .create_group(&code, &name)
            .await
            .map(CustomerGroup)
            .map_err(top_level)
    }

    /// Puts a customer in a group (needs `customers:write`); their next token carries it.
    async fn add_customer_to_group(
        &self,
        ctx: &Context<'_>,
        customer_id: ID,
        group_code: String,
    ) -> async_graphql::Result<Customer> {
        require(ctx, "customers:write")?;
        customers_service(ctx)
            .add_to_group(&customer_id, &group_code)
            .await
            .map(Customer::new)
            .map_err(top_level)
    }

    /// Takes a customer out of a group (needs `customers:write`).
    async fn remove_customer_from_group(
        &self,
        ctx: &Context<'_>,
        customer_id: ID,
        group_code: String,
    ) -> async_graphql::Result<Customer> {
        require(ctx, "customers:write")?;
        customers_service(ctx)
            .remove_from_group(&customer_id, &group_code)
            .await
            .map(Customer::new)
            .map_err(top_level)
    }

    /// Creates a role with permissions such as `catalog:write` (needs `staff:manage`).
    async fn create_staff_role(
        &self,
        ctx: &Context<'_>,
        code: String,
        name: String,
        permissions: Vec<String>,
    ) -> async_graphql::Result<StaffRole> {
        require(ctx, "staff:manage")?;
        customers_service(ctx)
            .create_role(&code, &name, &permissions)
            .await
            .map(StaffRole)
            .map_err(top_level)
    }

    /// Creates a staff account with roles (needs `staff:manage`).
    async fn create_staff_member(
        &self,
        ctx: &Context<'_>,
        input: StaffMemberInput,
    ) -> async_graphql::Result<StaffMember> {
        require(ctx, "staff:manage")?;
        let new = NewStaff {
            email: &input.email,
            name: &input.name,
            password: &input.password,
            roles: &input.roles,
        };
        customers_service(ctx)
            .create_staff_member(new)
            .await
            .map(StaffMember)
            .map_err(top_level)
    }

    /// Activates or deactivates a staff account (needs `staff:manage`). Deactivating ends its
    /// sessions and revokes its access tokens.
    async fn set_staff_member_active(
        &self,
        ctx: &Context<'_>,
        id: ID,
        active: bool,
    ) -> async_graphql::Result<StaffMember> {
        require(ctx, "staff:manage")?;
        customers_service(ctx)
            .set_staff_active(&id, active)
            .await
            .map(StaffMember)
            .map_err(top_level)
    }

    /// Revokes one access token by its id (`jti`) before it expires (needs `staff:manage`);
    /// every service refuses it from then on (`UNAUTHENTICATED`). Always true.
    async fn revoke_access_token(
        &self,
        ctx: &Context<'_>,
        token_id: String,
    ) -> async_graphql::Result<bool> {
        require(ctx, "staff:manage")?;
        customers_service(ctx)
            .revoke_token_id(&token_id)
            .await
            .map_err(top_level)?;
        Ok(true)
    }

    /// Revokes every access token issued until now to `subject` (a customer's or staff
    /// member's id, or the identity provider's `sub` of an external token); tokens issued
    /// afterwards are valid. A customer's need `customers:write`, anyone else's
    /// `staff:manage`. Always true.
    async fn revoke_access_tokens_of(
        &self,
        ctx: &Context<'_>,
        subject: String,
    ) -> async_graphql::Result<bool> {
        require(ctx, permission_to_revoke(&subject))?;
        customers_service(ctx)
            .revoke_subject_tokens(&subject)
            .await
            .map_err(top_level)?;
        Ok(true)
    }
}
