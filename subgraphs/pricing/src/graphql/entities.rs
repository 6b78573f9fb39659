//! Federation: the catalog's `ProductVariant` gets `price(currency, quantity)` and `Product`
//! gets `priceRange(currency)`. The catalog facts promotions need (product, categories with
//! ancestors, collections) come in the representations through `@requires`, and every price of
//! a batch is loaded by one [`PriceLoader`] call: a constant number of statements.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{ComplexObject, Context, ID, InputObject, Result, SimpleObject};
use commerce_kernel::error::client_error;
use commerce_kernel::viewer::Viewer;
use commerce_kernel::{Currency, ErrorCode};

use super::graphql_error;
use super::types::{Money, PriceRange, VariantPrice};
use crate::domain::{LineFacts, TaxMode, VariantId};
use crate::service::{PriceBatch, PricingService, ViewerPrice};

/// One variant's prices in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PriceKey {
    pub variant_id: String,
    pub currency: Currency,
}

/// Loads every requested variant's price data per currency in one batch; values share the
/// batch (promotions and tax mode are loaded once).
pub struct PriceLoader(pub PricingService);

impl Loader<PriceKey> for PriceLoader {
    type Value = Arc<PriceBatch>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[PriceKey]) -> Result<HashMap<PriceKey, Arc<PriceBatch>>> {
        let mut by_currency: HashMap<Currency, Vec<String>> = HashMap::new();
        for key in keys {
            by_currency
                .entry(key.currency)
                .or_default()
                .push(key.variant_id.clone());
        }
        let mut loaded = HashMap::with_capacity(keys.len());
        for (currency, ids) in by_currency {
            let batch = Arc::new(
                self.0
                    .price_batch(&ids, currency)
                    .await
                    .map_err(graphql_error)?,
            );
            for variant_id in ids {
                loaded.insert(
                    PriceKey {
                        variant_id,
                        currency,
                    },
                    batch.clone(),
                );
            }
        }
        Ok(loaded)
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
) -> Result<HashMap<PriceKey, Arc<PriceBatch>>> {
    let loader = ctx.data::<DataLoader<PriceLoader>>()?;
    let keys = ids.iter().map(|id| PriceKey {
        variant_id: id.clone(),
        currency,
    });
    loader.load_many(keys).await
}

fn price_of(
    loaded: &HashMap<PriceKey, Arc<PriceBatch>>,
    variant_id: &str,
    currency: Currency,
    quantity: u32,
    groups: &[String],
    facts: Option<&LineFacts>,
) -> Option<ViewerPrice> {
    let key = PriceKey {
        variant_id: variant_id.to_owned(),
        currency,
    };
    loaded
        .get(&key)?
        .price_for(variant_id, quantity, groups, currency, facts)
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
        let ids = [self.id.0.clone()];
        let loaded = load_prices(ctx, &ids, currency).await?;
        let facts = self.product.as_ref().map(|p| p.facts.clone());
        let price = price_of(
            &loaded,
            &self.id,
            currency,
            quantity,
            &viewer_groups(ctx),
            facts.as_ref(),
        );
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
        let loaded = load_prices(ctx, &ids, currency).await?;
        let groups = viewer_groups(ctx);
        let prices: Vec<ViewerPrice> = ids
            .iter()
            .filter_map(|id| price_of(&loaded, id, currency, 1, &groups, Some(&self.facts)))
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
