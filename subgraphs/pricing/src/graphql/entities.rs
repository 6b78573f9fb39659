//! Federation: the catalog's `ProductVariant` gets `price(currency, quantity)` and `Product`
//! gets `priceRange(currency)`. The catalog facts promotions need (product, categories with
//! ancestors, collections) come in the representations through `@requires`. Prices are loaded
//! once per request and currency for every variant id in the `_entities` batch
//! ([`RequestPrices`]): a constant number of statements, whatever the batch size and however
//! the resolvers get scheduled (a timer-based DataLoader splits big batches on a busy machine).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use async_graphql::{ComplexObject, Context, ID, InputObject, Result, SimpleObject, Value};
use axum::http::header::CACHE_CONTROL;
use chrono::{DateTime, Utc};
use commerce_kernel::error::client_error;
use commerce_kernel::viewer::Viewer;
use commerce_kernel::{Currency, ErrorCode};
use tokio::sync::OnceCell;

use super::types::{Money, PriceRange, VariantPrice};
use crate::domain::{LineFacts, TaxMode, VariantId};
use crate::service::{PriceBatch, PricingService, ViewerPrice};
use commerce_kernel::error::top_level;

/// Per-request price state, put into every request by [`RequestScope`]: the variant ids of the
/// `_entities` batch and, per currency, the one batch loaded for all of them.
#[derive(Default)]
pub struct RequestPrices {
    ids: OnceLock<Arc<Vec<String>>>,
    batches: Mutex<HashMap<Currency, Arc<OnceCell<Arc<PriceBatch>>>>>,
    /// The earliest `changes_at` of the request's batches.
    changes_at: Mutex<Option<DateTime<Utc>>>,
}

impl RequestPrices {
    /// Seconds the request's prices hold when `batch` makes that sooner than its batches so
    /// far did; none otherwise (every variant's resolver asks, the header is set once per
    /// new earliest change).
    fn sooner_expiry(&self, batch: &PriceBatch) -> Option<i64> {
        let at = batch.changes_at?;
        let mut earliest = self
            .changes_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if earliest.is_some_and(|earliest| earliest <= at) {
            return None;
        }
        *earliest = Some(at);
        Some((at - batch.now).num_seconds().max(0))
    }

    /// Remembers every variant id the `_entities` batch mentions (variants themselves and the
    /// variants of products); the first entity resolver of the request does the work.
    fn remember_batch(&self, ctx: &Context<'_>) {
        self.ids.get_or_init(|| Arc::new(batch_variant_ids(ctx)));
    }

    /// The batch loaded for `currency`, loading it for every remembered id on first use.
    async fn batch(
        &self,
        service: &PricingService,
        currency: Currency,
        needed: &[String],
    ) -> Result<Arc<PriceBatch>> {
        let known = self
            .ids
            .get()
            .filter(|ids| needed.iter().all(|id| ids.contains(id)));
        let Some(ids) = known else {
            // Not from an `_entities` batch we saw: load just what is needed.
            let batch = service
                .price_batch(needed, currency)
                .await
                .map_err(top_level)?;
            return Ok(Arc::new(batch));
        };
        let cell = {
            let mut batches = self.batches.lock().unwrap_or_else(PoisonError::into_inner);
            batches.entry(currency).or_default().clone()
        };
        let batch = cell
            .get_or_try_init(|| async {
                let batch = service
                    .price_batch(ids, currency)
                    .await
                    .map_err(top_level)?;
                Ok::<_, async_graphql::Error>(Arc::new(batch))
            })
            .await?;
        Ok(batch.clone())
    }
}

/// Every variant id in the `representations` argument of the current `_entities` field.
fn batch_variant_ids(ctx: &Context<'_>) -> Vec<String> {
    let Ok(arguments) = ctx.field().arguments() else {
        return Vec::new();
    };
    let mut ids = Vec::new();
    let representations = arguments
        .iter()
        .filter(|(name, _)| name.as_str() == "representations");
    for (_, value) in representations {
        let Value::List(items) = value else { continue };
        for item in items {
            collect_variant_ids(item, &mut ids);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn collect_variant_ids(representation: &Value, ids: &mut Vec<String>) {
    let Value::Object(fields) = representation else {
        return;
    };
    let id_of = |value: &Value| match value {
        Value::Object(o) => match o.get("id") {
            Some(Value::String(id)) => Some(id.clone()),
            _ => None,
        },
        _ => None,
    };
    match fields.get("__typename") {
        Some(Value::String(t)) if t == "ProductVariant" => ids.extend(id_of(representation)),
        Some(Value::String(t)) if t == "Product" => {
            if let Some(Value::List(variants)) = fields.get("variants") {
                ids.extend(variants.iter().filter_map(id_of));
            }
        }
        _ => {}
    }
}

/// `{ id }` inside a representation.
#[derive(InputObject, Clone, Debug)]
#[graphql(visible = false)]
pub struct IdRepresentation {
    pub id: ID,
}

/// `category { id ancestors { id } }` inside a product representation.
#[derive(InputObject, Clone, Debug)]
#[graphql(visible = false)]
pub struct CategoryRepresentation {
    pub id: ID,
    pub ancestors: Option<Vec<IdRepresentation>>,
}

/// `product { id category {...} collections { id } }` inside a variant representation.
#[derive(InputObject, Clone, Debug)]
#[graphql(visible = false)]
pub struct ProductRepresentation {
    pub id: ID,
    pub category: Option<CategoryRepresentation>,
    pub collections: Option<Vec<IdRepresentation>>,
}

/// The facts promotions match on, from what the router sent.
pub fn facts(
    product_id: &str,
    category: Option<&CategoryRepresentation>,
    collections: Option<&[IdRepresentation]>,
) -> LineFacts {
    let mut category_ids = Vec::new();
    if let Some(category) = category {
        category_ids.push(category.id.0.clone());
        category_ids.extend(category.ancestors.iter().flatten().map(|a| a.id.0.clone()));
    }
    LineFacts {
        product_id: Some(product_id.to_owned()),
        category_ids,
        collection_ids: collections
            .into_iter()
            .flatten()
            .map(|c| c.id.0.clone())
            .collect(),
    }
}

/// A category as far as pricing needs it; owned by the catalog.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Category")]
pub struct CategoryRef {
    #[graphql(external)]
    pub id: ID,
    #[graphql(external)]
    pub ancestors: Vec<CategoryRef>,
}

/// A collection as far as pricing needs it; owned by the catalog.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Collection")]
pub struct CollectionRef {
    #[graphql(external)]
    pub id: ID,
}

fn viewer_groups(ctx: &Context<'_>) -> Vec<String> {
    let viewer = ctx.data_opt::<Viewer>().cloned().unwrap_or_default();
    viewer.customer_groups().to_vec()
}

fn parse_currency(code: &str) -> Result<Currency> {
    Currency::parse(code).map_err(|e| client_error(ErrorCode::BadUserInput, e.to_string()))
}

async fn load_prices(
    ctx: &Context<'_>,
    ids: &[String],
    currency: Currency,
) -> Result<Arc<PriceBatch>> {
    let service = ctx.data::<PricingService>()?;
    let prices = ctx.data::<RequestPrices>()?;
    let batch = prices.batch(service, currency, ids).await?;
    if let Some(seconds) = prices.sooner_expiry(&batch) {
        // A cache in front (the router's) keeps these prices only until a promotion's or
        // price list's window moves: nothing is written then, so no event would drop them.
        ctx.insert_http_header(CACHE_CONTROL, format!("max-age={seconds}"));
    }
    Ok(batch)
}

/// The catalog's variant, extended with its price.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "ProductVariant", complex)]
pub struct PricedVariant {
    pub id: ID,
    /// From the representation, when the router sent the product.
    #[graphql(skip)]
    pub product: Option<PricedProduct>,
}

#[ComplexObject]
impl PricedVariant {
    /// Owned by the catalog; pricing only reads it from representations.
    #[graphql(external)]
    async fn product(&self) -> Result<PricedProduct> {
        self.product.clone().ok_or_else(|| {
            client_error(
                ErrorCode::BadUserInput,
                "the catalog resolves ProductVariant.product",
            )
        })
    }

    /// What the viewer pays per unit when buying `quantity`: their customer group's price list
    /// (volume tiers included) and the best catalogue promotion. Null when the variant has no
    /// price in `currency`.
    #[graphql(requires = "product { id category { id ancestors { id } } collections { id } }")]
    async fn price(
        &self,
        ctx: &Context<'_>,
        currency: String,
        #[graphql(default = 1)] quantity: i32,
    ) -> Result<Option<VariantPrice>> {
        let currency = parse_currency(&currency)?;
        let quantity = u32::try_from(quantity)
            .ok()
            .filter(|q| (1..=crate::domain::cart::MAX_QUANTITY).contains(q))
            .ok_or_else(|| {
                client_error(
                    ErrorCode::BadUserInput,
                    format!(
                        "quantity {quantity} is not between 1 and {}",
                        crate::domain::cart::MAX_QUANTITY
                    ),
                )
            })?;
        let batch = load_prices(ctx, std::slice::from_ref(&self.id.0), currency).await?;
        let facts = self.product.as_ref().map(|p| &p.facts);
        let price = batch.price_for(&self.id, quantity, &viewer_groups(ctx), currency, facts);
        Ok(price.map(|p| VariantPrice::new(&p, quantity)))
    }
}

/// The catalog's product, extended with its price range.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Product", complex)]
pub struct PricedProduct {
    pub id: ID,
    #[graphql(external)]
    pub variants: Vec<PricedVariant>,
    #[graphql(external)]
    pub category: Option<CategoryRef>,
    #[graphql(external)]
    pub collections: Vec<CollectionRef>,
    #[graphql(skip)]
    pub facts: LineFacts,
}

#[ComplexObject]
impl PricedProduct {
    /// The lowest and highest unit price (quantity 1) among the variants for this viewer,
    /// catalogue promotions included. Null when no variant has a price in `currency`.
    #[graphql(requires = "variants { id } category { id ancestors { id } } collections { id }")]
    async fn price_range(&self, ctx: &Context<'_>, currency: String) -> Result<Option<PriceRange>> {
        let currency = parse_currency(&currency)?;
        let ids: Vec<String> = self.variants.iter().map(|v| v.id.0.clone()).collect();
        if ids.is_empty() {
            return Ok(None);
        }
        let batch = load_prices(ctx, &ids, currency).await?;
        let groups = viewer_groups(ctx);
        let prices: Vec<ViewerPrice> = ids
            .iter()
            .filter_map(|id| batch.price_for(id, 1, &groups, currency, Some(&self.facts)))
            .collect();
        let min = prices.iter().min_by_key(|p| p.unit.amount);
        let max = prices.iter().max_by_key(|p| p.unit.amount);
        let (Some(min), Some(max)) = (min, max) else {
            return Ok(None);
        };
        Ok(Some(PriceRange {
            min: Money::from(min.unit),
            max: Money::from(max.unit),
            compare_at_max: prices
                .iter()
                .filter_map(|p| p.compare_at)
                .max_by_key(|m| m.amount)
                .map(Money::from),
            tax_inclusive: min.tax_mode == TaxMode::Inclusive,
        }))
    }
}

/// Remembers the batch's variant ids for [`RequestPrices`]; entity resolvers call it first.
pub fn remember_batch(ctx: &Context<'_>) -> Result<()> {
    ctx.data::<RequestPrices>()?.remember_batch(ctx);
    Ok(())
}

/// Checks a variant id from a representation.
pub fn variant_id(id: &ID) -> Result<VariantId> {
    VariantId::parse("id", id).map_err(|e| client_error(ErrorCode::BadUserInput, e.message))
}

/// Checks a product id from a representation.
pub fn product_id(id: &ID) -> Result<String> {
    crate::domain::Targets::parse(std::slice::from_ref(&id.0), &[], &[])
        .map(|t| t.product_ids.concat())
        .map_err(|e| client_error(ErrorCode::BadUserInput, e.message))
}
