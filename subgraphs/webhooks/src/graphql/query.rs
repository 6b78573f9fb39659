//! Reads, for staff with `webhooks:manage`: the event types, endpoints, and each endpoint's
//! delivery log.

use async_graphql::{Context, ID, Object};
use commerce_kernel::ClientResultExt;
use commerce_kernel::error::top_level;
use commerce_kernel::pagination::PageRequest;

use super::types::{
    WebhookDelivery, WebhookDeliveryConnection, WebhookDeliveryStatus, WebhookEndpoint,
    delivery_connection,
};
use super::{access, service_of};
use crate::domain::{EVENT_TYPES, delivery_key, endpoint_key};

#[derive(Default)]
pub struct Query;

#[Object]
impl Query {
    /// The event types endpoints can subscribe to (docs/events.md describes each).
    async fn webhook_event_types(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        access::require_manager(ctx)?;
        Ok(EVENT_TYPES.iter().map(|t| (*t).to_owned()).collect())
    }

    /// Every endpoint, oldest first.
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<WebhookEndpoint>> {
        access::require_manager(ctx)?;
        let endpoints = service_of(ctx).endpoints().await.map_err(top_level)?;
        Ok(endpoints.into_iter().map(WebhookEndpoint::from).collect())
    }

    async fn webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<WebhookEndpoint>> {
        access::require_manager(ctx)?;
        let id = endpoint_key(&id).map_err(top_level)?;
        let endpoint = service_of(ctx).endpoint(id).await.map_err(top_level)?;
        Ok(endpoint.map(WebhookEndpoint::from))
    }

    /// An endpoint's delivery log, newest first, optionally only in one status.
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        endpoint_id: ID,
        status: Option<WebhookDeliveryStatus>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<WebhookDeliveryConnection> {
        access::require_manager(ctx)?;
        let endpoint_id = endpoint_key(&endpoint_id).map_err(top_level)?;
        let request = PageRequest::parse(first, after, last, before).or_client()?;
        let (page, total) = service_of(ctx)
            .deliveries(endpoint_id, status.map(Into::into), &request)
            .await
            .map_err(top_level)?;
        Ok(delivery_connection(page, total))
    }

    async fn webhook_delivery(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<WebhookDelivery>> {
        access::require_manager(ctx)?;
        let id = delivery_key(&id).map_err(top_level)?;
        let delivery = service_of(ctx).delivery(id).await.map_err(top_level)?;
        Ok(delivery.map(WebhookDelivery::from))
    }
}
