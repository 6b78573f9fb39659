//! Mutations, for staff with `webhooks:manage`: registering, changing, rotating, enabling,
//! disabling and deleting endpoints, and replaying deliveries. Expected failures come back as
//! members of each mutation's result union.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use commerce_kernel::error::top_level;
use commerce_kernel::result_union;

use super::results::{
    ErrorResult, InvalidWebhookInput, UnknownWebhookEventType, WebhookDeliveryNotFound,
    WebhookEndpointDisabled, WebhookEndpointNotFound, WebhookTargetNotAllowed,
};
use super::types::{
    WebhookDeliveriesReplayed, WebhookDelivery, WebhookEndpoint, WebhookEndpointCreated,
    WebhookEndpointDeleted, WebhookSecretRotated, endpoint_id,
};
use super::{access, service_of};
use crate::domain::{EndpointInput, EndpointPatch, delivery_key, endpoint_key};
use crate::service::WebhooksError;

result_union!(
    /// The endpoint with its secret, or why it was refused.
    pub CreateWebhookEndpointResult(WebhooksError => ErrorResult) = WebhookEndpointCreated | InvalidWebhookInput | UnknownWebhookEventType | WebhookTargetNotAllowed
);
result_union!(
    /// The changed endpoint, or why it was not changed.
    pub UpdateWebhookEndpointResult(WebhooksError => ErrorResult) = WebhookEndpoint | WebhookEndpointNotFound | InvalidWebhookInput | UnknownWebhookEventType | WebhookTargetNotAllowed
);
result_union!(
    /// The endpoint with its new secret, or why not.
    pub RotateWebhookSecretResult(WebhooksError => ErrorResult) = WebhookSecretRotated | WebhookEndpointNotFound
);
result_union!(
    /// The endpoint enabled or disabled, or why not.
    pub WebhookEndpointResult(WebhooksError => ErrorResult) = WebhookEndpoint | WebhookEndpointNotFound | InvalidWebhookInput
);
result_union!(
    /// Confirmation of the deletion, or why it did not happen.
    pub DeleteWebhookEndpointResult(WebhooksError => ErrorResult) = WebhookEndpointDeleted | WebhookEndpointNotFound
);
result_union!(
    /// The delivery, pending again, or why it was not replayed.
    // The members are GraphQL types, all named after webhooks.
    #[allow(clippy::enum_variant_names)]
    pub ReplayWebhookDeliveryResult(WebhooksError => ErrorResult) = WebhookDelivery | WebhookDeliveryNotFound | WebhookEndpointDisabled
);
result_union!(
    /// How many deliveries were replayed, or why none were.
    // The members are GraphQL types, all named after webhooks.
    #[allow(clippy::enum_variant_names)]
    pub ReplayWebhookDeliveriesResult(WebhooksError => ErrorResult) = WebhookDeliveriesReplayed | WebhookEndpointNotFound | WebhookEndpointDisabled
);

#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    /// An http or https URL (no credentials, no fragment).
    pub url: String,
    /// At least one of `webhookEventTypes`.
    pub event_types: Vec<String>,
    /// At most 500 characters.
    pub description: Option<String>,
}

/// Fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateWebhookEndpointInput {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<String>,
}

const MAX_REASON: usize = 500;

#[derive(Default)]
pub struct Mutation;

#[Object]
impl Mutation {
    /// Registers an endpoint, enabled, and returns its signing secret (shown only here).
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookEndpointInput,
    ) -> async_graphql::Result<CreateWebhookEndpointResult> {
        access::require_manager(ctx)?;
        let outcome = match EndpointInput::parse(
            &input.url,
            &input.event_types,
            input.description.as_deref(),
        ) {
            Ok(input) => service_of(ctx).create_endpoint(&input).await,
            Err(error) => Err(error),
        };
        CreateWebhookEndpointResult::from_result(outcome)
    }

    /// Changes an endpoint's URL, event types or description; deliveries already made keep
    /// going to it.
    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateWebhookEndpointInput,
    ) -> async_graphql::Result<UpdateWebhookEndpointResult> {
        access::require_manager(ctx)?;
        let id = endpoint_key(&id).map_err(top_level)?;
        let outcome = match EndpointPatch::parse(
            input.url.as_deref(),
            input.event_types.as_deref(),
            input.description.as_deref(),
        ) {
            Ok(patch) => service_of(ctx).update_endpoint(id, &patch).await,
            Err(error) => Err(error),
        };
        UpdateWebhookEndpointResult::from_result(outcome)
    }

    /// A new signing secret (shown only here). The previous one keeps signing beside it for
    /// the configured overlap (24 hours by default), so receivers can switch without a gap.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<RotateWebhookSecretResult> {
        access::require_manager(ctx)?;
        let id = endpoint_key(&id).map_err(top_level)?;
        RotateWebhookSecretResult::from_result(service_of(ctx).rotate_secret(id).await)
    }

    /// Enables an endpoint and clears why it was disabled; its pending deliveries resume.
    async fn enable_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<WebhookEndpointResult> {
        access::require_manager(ctx)?;
        let id = endpoint_key(&id).map_err(top_level)?;
        WebhookEndpointResult::from_result(service_of(ctx).enable(id).await)
    }

    /// Disables an endpoint with a reason (1-500 characters); nothing is sent to it until it
    /// is enabled again.
    async fn disable_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> async_graphql::Result<WebhookEndpointResult> {
        access::require_manager(ctx)?;
        let id = endpoint_key(&id).map_err(top_level)?;
        let reason = reason.trim();
        let outcome = if reason.is_empty() || reason.chars().count() > MAX_REASON {
            Err(WebhooksError::invalid(
                "reason",
                format!("1 to {MAX_REASON} characters"),
            ))
        } else {
            service_of(ctx).disable(id, reason).await
        };
        WebhookEndpointResult::from_result(outcome)
    }

    /// Deletes an endpoint with its deliveries and their log.
    async fn delete_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<DeleteWebhookEndpointResult> {
        access::require_manager(ctx)?;
        let key = endpoint_key(&id).map_err(top_level)?;
        let outcome = service_of(ctx).delete(key).await;
        DeleteWebhookEndpointResult::from_result(outcome.map(|()| WebhookEndpointDeleted {
            deleted_endpoint_id: endpoint_id(key),
        }))
    }

    /// Sends a delivery again now, with the same `webhook-id` (receivers deduplicate by it),
    /// whatever its status, on a fresh retry schedule.
    async fn replay_webhook_delivery(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ReplayWebhookDeliveryResult> {
        access::require_manager(ctx)?;
        let id = delivery_key(&id).map_err(top_level)?;
        ReplayWebhookDeliveryResult::from_result(service_of(ctx).replay(id).await)
    }

    /// Sends every delivery of an endpoint made at or after `since` again, in order per
    /// aggregate.
    async fn replay_webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        endpoint_id: ID,
        since: DateTime<Utc>,
    ) -> async_graphql::Result<ReplayWebhookDeliveriesResult> {
        access::require_manager(ctx)?;
        let endpoint_id = endpoint_key(&endpoint_id).map_err(top_level)?;
        let outcome = service_of(ctx)
            .replay_since(endpoint_id, since.timestamp_micros())
            .await;
        ReplayWebhookDeliveriesResult::from_result(outcome)
    }
}
