//! `_entities` batches resolved whole: the first `Order` of a request reads every `Order`
//! representation, and its first `payments` field loads the intents of all of them in one
//! query; `PaymentIntent` representations are read in one query the same way. The cost of a
//! batch depends neither on its size nor on scheduling.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_graphql::{Context, ID};
use commerce_kernel::entities::{RequestScopes, representation_ids};
use commerce_kernel::error::top_level;
use tokio::sync::OnceCell;

use crate::domain::{IntentId, PaymentIntent};
use crate::service::PaymentsService;

const ORDER: &str = "Order";

/// A batch load's outcome, error included: a failure is logged once and given to every
/// field of the batch, not retried per entity.
type Loaded<T> = OnceCell<async_graphql::Result<T>>;

/// Per-request state of the `_entities` batches.
#[derive(Default)]
pub struct EntityBatches {
    orders: OnceLock<Arc<OrderBatch>>,
    intents: Loaded<HashMap<IntentId, PaymentIntent>>,
}

/// Gives every request its own [`EntityBatches`].
pub fn request_scopes() -> RequestScopes {
    RequestScopes::default().with::<EntityBatches>()
}

fn service<'a>(ctx: &Context<'a>) -> &'a PaymentsService {
    ctx.data_unchecked::<PaymentsService>()
}

/// The request's batch of orders; call from the `Order` entity resolver.
pub fn order_batch(ctx: &Context<'_>) -> async_graphql::Result<Arc<OrderBatch>> {
    let batch = ctx.data::<EntityBatches>()?.orders.get_or_init(|| {
        let mut ids = representation_ids(ctx, ORDER);
        ids.sort_unstable();
        ids.dedup();
        Arc::new(OrderBatch {
            service: service(ctx).clone(),
            ids,
            payments: OnceCell::new(),
        })
    });
    Ok(batch.clone())
}

/// Every `Order` representation of a request, and their payments once a field asks.
pub struct OrderBatch {
    service: PaymentsService,
    ids: Vec<String>,
    payments: Loaded<HashMap<String, Vec<PaymentIntent>>>,
}

impl OrderBatch {
    /// The intents of one order of the batch; the first call loads the whole batch's.
    pub async fn payments(&self, order_id: &ID) -> async_graphql::Result<Vec<PaymentIntent>> {
        let by_order = self
            .payments
            .get_or_init(|| async {
                self.service
                    .intents_of_orders(&self.ids)
                    .await
                    .map_err(top_level)
            })
            .await
            .as_ref()
            .map_err(Clone::clone)?;
        Ok(by_order.get(order_id.as_str()).cloned().unwrap_or_default())
    }
}

/// An intent of the request's `PaymentIntent` representations; the first call loads them all.
pub async fn intent(
    ctx: &Context<'_>,
    id: IntentId,
) -> async_graphql::Result<Option<PaymentIntent>> {
    let intents = ctx
        .data::<EntityBatches>()?
        .intents
        .get_or_init(|| async {
            let ids: Vec<IntentId> = representation_ids(ctx, IntentId::TYPE)
                .iter()
                .filter_map(|id| IntentId::parse(id).ok())
                .collect();
            let intents = service(ctx).intents(&ids).await.map_err(top_level)?;
            Ok(intents
                .into_iter()
                .map(|intent| (intent.id, intent))
                .collect())
        })
        .await
        .as_ref()
        .map_err(Clone::clone)?;
    Ok(intents.get(&id).cloned())
}
