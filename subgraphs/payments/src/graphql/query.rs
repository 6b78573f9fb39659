//! Reads: an intent by id, and the `PaymentIntent` and `Order` entities.

use async_graphql::{Context, ID, Object};
use commerce_kernel::ClientResultExt;
use commerce_kernel::error::top_level;
use commerce_kernel::pagination::PageRequest;

use super::types::{
    Order, PaymentIntent, PaymentIntentConnection, PaymentIntentFilter, intent_connection,
};
use super::{access, entities, service_of};
use crate::domain::IntentId;

#[derive(Default)]
pub struct Query;

#[Object]
impl Query {
    /// A payment intent by id, for staff with `payments:read` and the customer it belongs
    /// to (others: FORBIDDEN); null when there is none.
    async fn payment_intent(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<PaymentIntent>> {
        access::require_signed_in(ctx)?;
        let id = IntentId::parse(&id).map_err(top_level)?;
        let Some(intent) = service_of(ctx).intent(id).await.map_err(top_level)? else {
            return Ok(None);
        };
        access::require_read(ctx, &intent)?;
        Ok(Some(intent.into()))
    }

    /// Every payment intent, newest first, narrowed by `filter` (staff with
    /// `payments:read`).
    async fn payment_intents(
        &self,
        ctx: &Context<'_>,
        filter: Option<PaymentIntentFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<PaymentIntentConnection> {
        access::require_reader(ctx)?;
        let request = PageRequest::parse(first, after, last, before).or_client()?;
        let filter = filter.unwrap_or_default().into();
        let (page, total) = service_of(ctx)
            .search(&filter, &request)
            .await
            .map_err(top_level)?;
        Ok(intent_connection(page, total))
    }

    /// Null for an intent the viewer may not read, as for one that does not exist.
    #[graphql(entity)]
    async fn find_payment_intent_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<PaymentIntent>> {
        let id = IntentId::parse(&id).map_err(top_level)?;
        let intent = entities::intent(ctx, id).await?;
        let viewer = access::viewer(ctx);
        Ok(intent
            .filter(|intent| access::may_read(viewer, intent))
            .map(PaymentIntent::from))
    }

    /// Any order id resolves; orders without payments have an empty list.
    #[graphql(entity)]
    async fn find_order_by_id(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Order> {
        Ok(Order {
            id,
            batch: entities::order_batch(ctx)?,
        })
    }
}
