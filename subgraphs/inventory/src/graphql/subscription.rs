//! Subscriptions, fed by this instance's copy of the inventory stream (`LiveEvents`). An
//! event is a signal: the variant's stock is read again when the client's selection asks for
//! it, so a client sees the stock as stored, whichever events it lagged behind.

use async_graphql::{Context, ID, Result, Subscription};
use commerce_kernel::ClientResultExt;
use commerce_kernel::events::{Event, LiveEvents};
use futures::{Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use super::types::ProductVariant;
use crate::domain::VariantId;
use crate::domain::events::StockChanged;

pub struct Subscription;

#[Subscription]
impl Subscription {
    /// The variant now, then each time its stock changes (staff changes, reservations,
    /// sales, expiries, restocks); its stock fields as readable as in queries.
    async fn stock_changed(
        &self,
        ctx: &Context<'_>,
        variant_id: ID,
    ) -> Result<impl Stream<Item = ProductVariant> + use<>> {
        let id = VariantId::parse(&variant_id).or_client()?;
        let events = ctx.data_unchecked::<LiveEvents>().subscribe();
        let watched = id.clone();
        let changes = futures::stream::unfold(events, move |mut events| {
            let id = watched.clone();
            async move {
                loop {
                    match events.recv().await {
                        Ok(event)
                            if event.event_type == StockChanged::TYPE
                                && event.aggregate_id == id.as_str() =>
                        {
                            return Some((ProductVariant::new(id), events));
                        }
                        Ok(_) => {}
                        // Events were dropped: the stock may have changed, read it again.
                        Err(RecvError::Lagged(_)) => {
                            return Some((ProductVariant::new(id), events));
                        }
                        Err(RecvError::Closed) => return None,
                    }
                }
            }
        });
        let now = futures::stream::once(std::future::ready(ProductVariant::new(id)));
        Ok(now.chain(changes).boxed())
    }
}
