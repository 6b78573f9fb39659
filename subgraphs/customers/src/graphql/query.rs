//! Root queries: who am I, and staff reads of customers, groups and roles.

use async_graphql::connection::Connection;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Object};
use commerce_kernel::error::top_level;
use commerce_kernel::pagination::{Cursor, PageRequest, TotalCount, connection};
use commerce_kernel::viewer::Viewer;
use commerce_kernel::{GlobalId, GraphqlResultExt};

use super::loaders::CustomerLoader;
use super::types::{Customer, CustomerGroup, StaffMember, StaffRole, ViewerInfo};
use super::{customers_service, require, viewer};
use crate::service::{decode_id, ids};

#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// Who is calling, from the verified access token.
    async fn viewer(&self, ctx: &Context<'_>) -> ViewerInfo {
        ViewerInfo(viewer(ctx).clone())
    }

    /// The signed-in customer; null when not signed in as a customer.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        let Some(id) = viewer(ctx).customer_id() else {
            return Ok(None);
        };
        let id = decode_id(id, ids::CUSTOMER).map_err(top_level)?;
        Ok(Some(Customer::new(
            customers_service(ctx)
                .customer(id)
                .await
                .map_err(top_level)?,
        )))
    }

    /// The signed-in staff member; null otherwise.
    async fn staff_me(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<StaffMember>> {
        let Viewer::Staff { id, .. } = viewer(ctx) else {
            return Ok(None);
        };
        let id = decode_id(id, ids::STAFF_MEMBER).map_err(top_level)?;
        let member = customers_service(ctx)
            .staff_member(id)
            .await
            .map_err(top_level)?;
        Ok(Some(StaffMember(member)))
    }

    /// Resolves `Customer` references for the router, batched; unknown ids resolve to null.
    #[graphql(entity)]
    async fn find_customer_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Customer>> {
        let Ok(key) = GlobalId::decode(&id, ids::CUSTOMER) else {
            return Ok(None);
        };
        let loader = ctx.data_unchecked::<DataLoader<CustomerLoader>>();
        Ok(loader.load_one(key).await.or_internal()?.map(Customer::new))
    }
}

#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// A customer by id (needs `customers:read`); null when unknown.
    async fn customer(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Customer>> {
        require(ctx, "customers:read")?;
        let key = decode_id(&id, ids::CUSTOMER).map_err(top_level)?;
        let loader = ctx.data_unchecked::<DataLoader<CustomerLoader>>();
        Ok(loader.load_one(key).await.or_internal()?.map(Customer::new))
    }

    /// Every customer, oldest first (needs `customers:read`).
    async fn customers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<String, Customer, TotalCount>> {
        require(ctx, "customers:read")?;
        let request = PageRequest::parse(first, after, last, before).map_err(top_level)?;
        let (page, total) = customers_service(ctx)
            .customers(&request)
            .await
            .map_err(top_level)?;
        Ok(connection(
            page.map(Customer::new),
            |customer| Cursor(vec![customer.record_id().into()]),
            i64::try_from(total).unwrap_or(i64::MAX),
        ))
    }

    /// Every customer group (needs `customers:read`).
    async fn customer_groups(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<CustomerGroup>> {
        require(ctx, "customers:read")?;
        let groups = customers_service(ctx).groups().await.map_err(top_level)?;
        Ok(groups.into_iter().map(CustomerGroup).collect())
    }

    /// Every staff role with its permissions (needs `staff:manage`).
    async fn staff_roles(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StaffRole>> {
        require(ctx, "staff:manage")?;
        let roles = customers_service(ctx).roles().await.map_err(top_level)?;
        Ok(roles.into_iter().map(StaffRole).collect())
    }

    /// The permissions the subgraphs check, for building roles.
    async fn known_permissions(&self) -> Vec<&'static str> {
        crate::domain::KNOWN_PERMISSIONS.to_vec()
    }
}
