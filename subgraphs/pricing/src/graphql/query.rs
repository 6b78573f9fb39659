//! Query root: `priceCart` for checkout and storefronts, staff reads, and the federation
//! entity resolvers.

use async_graphql::{ComplexObject, Context, ID, Object, Result};
use commerce_kernel::ClientResultExt;
use commerce_kernel::error::top_level;

use super::access::{require, viewer};
use super::entities::{
    CategoryRepresentation, IdRepresentation, PricedProduct, PricedVariant, ProductRepresentation,
    facts, product_id, remember_batch, variant_id,
};
use super::inputs::{PriceCartCustomerInput, PriceCartInput};
use super::results::PriceCartResult;
use super::types::{
    Coupon, CurrencyTaxMode, PRICE_LIST, PROMOTION, PriceList, PriceListEntry, PriceTier,
    Promotion, TaxCategory, TaxRate, VariantPricing,
};
use super::{decode, service};
use crate::domain::TaxMode;
use crate::service::{CartRequest, ServiceError, Shopper};

pub struct Query;

/// Staff reads need `pricing:read` (or `pricing:write`): they show every customer group's prices.
fn require_read(ctx: &Context<'_>) -> Result<()> {
    let viewer = viewer(ctx);
    if viewer.require_permission("pricing:write").is_ok() {
        return Ok(());
    }
    require(&viewer, "pricing:read")
}

/// `Ok(None)` for a missing row, so lookups by id answer null.
fn found<T>(result: Result<T, ServiceError>) -> Result<Option<T>> {
    match result {
        Err(ServiceError::NotFound(_)) => Ok(None),
        other => other.map_err(top_level).map(Some),
    }
}

#[Object]
impl Query {
    /// Prices a cart for the viewer: unit prices from their customer group's price lists,
    /// catalogue promotions, order promotions and coupons (stacking: buy X get Y, then
    /// percentages, then fixed amounts, then free shipping; an exclusive promotion applies
    /// alone), then taxes for the destination. Rounding happens once per computed amount.
    async fn price_cart(
        &self,
        ctx: &Context<'_>,
        input: PriceCartInput,
        #[graphql(
            inaccessible,
            desc = "Internal: the customer another subgraph prices for (checkout pricing a \
                    customer's cart with its service token). Others may not name one."
        )]
        customer: Option<PriceCartCustomerInput>,
    ) -> Result<PriceCartResult> {
        let viewer = viewer(ctx);
        let shopper = match customer {
            None => Shopper {
                groups: viewer.customer_groups().to_vec(),
                customer_id: viewer.customer_id().map(str::to_owned),
            },
            Some(customer) => {
                viewer.require_service().or_client()?;
                Shopper {
                    groups: customer.groups,
                    customer_id: Some(customer.id.0),
                }
            }
        };
        let request = CartRequest::from(input);
        PriceCartResult::from_result(service(ctx)?.price_cart(&request, &shopper).await)
    }

    /// Staff: what pricing stores for a variant (base prices in every currency).
    async fn variant_pricing(
        &self,
        ctx: &Context<'_>,
        variant_id: ID,
    ) -> Result<Option<VariantPricing>> {
        require_read(ctx)?;
        let id = super::entities::variant_id(&variant_id)?;
        Ok(found(service(ctx)?.variant_pricing(id.as_str()).await)?.map(Into::into))
    }

    /// Staff: every price list, newest first.
    async fn price_lists(&self, ctx: &Context<'_>) -> Result<Vec<PriceList>> {
        require_read(ctx)?;
        let lists = service(ctx)?.price_lists().await.map_err(top_level)?;
        Ok(lists.into_iter().map(Into::into).collect())
    }

    async fn price_list(&self, ctx: &Context<'_>, id: ID) -> Result<Option<PriceList>> {
        require_read(ctx)?;
        let key = decode(&id, PRICE_LIST)?;
        Ok(found(service(ctx)?.price_list(key).await)?.map(Into::into))
    }

    /// Staff: every promotion, newest first.
    async fn promotions(&self, ctx: &Context<'_>) -> Result<Vec<Promotion>> {
        require_read(ctx)?;
        let promotions = service(ctx)?.promotions().await.map_err(top_level)?;
        Ok(promotions.into_iter().map(Into::into).collect())
    }

    async fn promotion(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Promotion>> {
        require_read(ctx)?;
        let key = decode(&id, PROMOTION)?;
        Ok(found(service(ctx)?.promotion(key).await)?.map(Into::into))
    }

    async fn tax_categories(&self, ctx: &Context<'_>) -> Result<Vec<TaxCategory>> {
        let categories = service(ctx)?.tax_categories().await.map_err(top_level)?;
        Ok(categories
            .into_iter()
            .map(|(code, name)| TaxCategory {
                code: code.as_str().to_owned(),
                name,
            })
            .collect())
    }

    /// Tax rates of one country (with its regions), or of every country.
    async fn tax_rates(&self, ctx: &Context<'_>, country: Option<String>) -> Result<Vec<TaxRate>> {
        let rates = service(ctx)?
            .tax_rates(country.as_deref())
            .await
            .map_err(top_level)?;
        Ok(rates.into_iter().map(Into::into).collect())
    }

    /// Which currencies' prices include tax (unlisted currencies exclude it).
    async fn currency_tax_modes(&self, ctx: &Context<'_>) -> Result<Vec<CurrencyTaxMode>> {
        let modes = service(ctx)?.tax_modes().await.map_err(top_level)?;
        Ok(modes
            .into_iter()
            .map(|(currency, mode)| CurrencyTaxMode {
                currency: currency.code().to_owned(),
                tax_inclusive: mode == TaxMode::Inclusive,
            })
            .collect())
    }

    #[graphql(entity)]
    async fn find_product_variant_by_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(key)] id: ID,
        product: Option<ProductRepresentation>,
    ) -> Result<PricedVariant> {
        remember_batch(ctx)?;
        variant_id(&id)?;
        let product = match product {
            Some(p) => Some(PricedProduct {
                facts: facts(
                    &product_id(&p.id)?,
                    p.category.as_ref(),
                    p.collections.as_deref(),
                ),
                id: p.id,
                variants: Vec::new(),
                category: None,
                collections: Vec::new(),
            }),
            None => None,
        };
        Ok(PricedVariant { id, product })
    }

    #[graphql(entity)]
    async fn find_product_by_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(key)] id: ID,
        variants: Option<Vec<IdRepresentation>>,
        category: Option<CategoryRepresentation>,
        collections: Option<Vec<IdRepresentation>>,
    ) -> Result<PricedProduct> {
        remember_batch(ctx)?;
        let product = product_id(&id)?;
        let variants = variants
            .unwrap_or_default()
            .into_iter()
            .map(|v| {
                variant_id(&v.id).map(|_| PricedVariant {
                    id: v.id,
                    product: None,
                })
            })
            .collect::<Result<_>>()?;
        Ok(PricedProduct {
            facts: facts(&product, category.as_ref(), collections.as_deref()),
            id,
            variants,
            category: None,
            collections: Vec::new(),
        })
    }
}

#[ComplexObject]
impl PriceList {
    /// The first `first` variants (by id) with their tiers, optionally only `variantIds`.
    async fn entries(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
        variant_ids: Option<Vec<ID>>,
    ) -> Result<Vec<PriceListEntry>> {
        let first = u64::try_from(first.clamp(0, 100)).unwrap_or(0);
        let ids: Option<Vec<String>> =
            variant_ids.map(|ids| ids.into_iter().map(|id| id.0).collect());
        let entries = service(ctx)?
            .price_list_entries(&self.rule, ids.as_deref(), first)
            .await
            .map_err(top_level)?;
        Ok(entries
            .into_iter()
            .map(|(id, tiers)| PriceListEntry {
                variant_id: id.as_str().into(),
                tiers: tiers.as_slice().iter().map(PriceTier::from).collect(),
            })
            .collect())
    }
}

#[ComplexObject]
impl Promotion {
    /// The coupons that unlock this promotion.
    async fn coupons(&self, ctx: &Context<'_>) -> Result<Vec<Coupon>> {
        let coupons = service(ctx)?
            .promotion_coupons(self.key)
            .await
            .map_err(top_level)?;
        Ok(coupons.into_iter().map(Into::into).collect())
    }
}
