//! The router's caches follow the catalog's, pricing's, inventory's and reviews' events: a
//! product, price, stock or review change drops every cached answer and entity that holds the
//! product or variant, and a price list, promotion or tax change every product and variant, in
//! every router instance sharing the cache. The router knows no
//! domain; this is where the stack tells it which entity an event is about.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use commerce_kernel::events::{
    Consumer, ConsumerOptions, Envelope, FanOut, Subscription, Transport, spawn_consumer,
};
use commerce_router::RouterState;
use commerce_router::response_cache::Invalidation;
use tokio_util::sync::CancellationToken;

/// How long after an event the router drops what it names a second time.
const SECOND_PASS: Duration = Duration::from_millis(300);

/// One domain's events, turned into invalidations of the router's cache.
struct RouterInvalidation {
    domain: &'static str,
    router: Arc<RouterState>,
}

/// The entities an event changed, as the supergraph keys them.
fn invalidations(event: &Envelope) -> Vec<Invalidation> {
    let field = |name: &str| event.payload.get(name).and_then(|v| v.as_str());
    let mut entries = Vec::new();
    let mut entity = |typename: &str, id: Option<&str>| {
        if let Some(id) = id {
            entries.push(Invalidation::entity(typename, "id", id));
        }
    };
    match event.event_type.as_str() {
        "catalog.product_changed" => {
            entity("Product", field("productId"));
            entity("ProductVariant", field("variantId"));
        }
        // A cached `Product.priceRange` or `Product.inStock` is tagged with the variants its
        // `@requires` sent, so the variant is enough.
        "pricing.price_changed" | "inventory.stock_changed" => {
            entity("ProductVariant", field("variantId"));
        }
        // A price list, promotion or tax change may move any price.
        "pricing.rules_changed" => {
            for typename in ["Product", "ProductVariant"] {
                entries.push(Invalidation::Type {
                    typename: typename.to_owned(),
                });
            }
        }
        // A moderation moves the product's rating and its list of reviews.
        "reviews.review_submitted" | "reviews.review_moderated" => {
            entity("Product", field("productId"));
        }
        _ => {}
    }
    entries
}

#[async_trait]
impl Consumer for RouterInvalidation {
    fn subscription(&self) -> Subscription {
        Subscription {
            group: "router-cache".to_owned(),
            domain: self.domain.to_owned(),
            // Each router instance drops its own entries (in-process caches); with a shared
            // Redis cache the second drop finds nothing.
            fan_out: FanOut::EveryInstance,
        }
    }

    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let entries = invalidations(event);
        if entries.is_empty() {
            return Ok(());
        }
        self.router.invalidate(&entries, "events").await;
        // The subgraphs' own read caches follow the same event through consumers of their
        // own; an answer refilled from one that had not evicted yet would stay until its time
        // to live. A second pass, once they have caught up, drops it.
        let router = self.router.clone();
        tokio::spawn(async move {
            tokio::time::sleep(SECOND_PASS).await;
            router.invalidate(&entries, "events").await;
        });
        Ok(())
    }
}

/// Feeds the router's caches (when it has one) the events that change what they hold, until
/// `shutdown`.
pub fn spawn(router: &Arc<RouterState>, transport: &Transport, shutdown: &CancellationToken) {
    if router.cache_store().is_none() {
        return;
    }
    for domain in ["catalog", "pricing", "inventory", "reviews"] {
        let consumer = Arc::new(RouterInvalidation {
            domain,
            router: router.clone(),
        });
        let options = ConsumerOptions {
            // A change must show within a second: do not wait long for the next read.
            block: Duration::from_millis(200),
            ..ConsumerOptions::default()
        };
        spawn_consumer(transport, consumer, options, shutdown.clone());
    }
}
