//! `_entities` batches: the first resolver of a type reads every representation of that type
//! in the request and loads them all in one query (and their variants and collections in one
//! more each), so the cost of a batch does not depend on its size or on task scheduling.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::Context;
use commerce_kernel::GlobalId;
use commerce_kernel::entities::representation_ids;
use tokio::sync::OnceCell;

use super::loaders::PageBatch;
use super::types::{PRODUCT, Product, ProductVariant, VARIANT};
use crate::domain;
use crate::service::CatalogService;
use commerce_kernel::error::top_level;

/// Per-request state of the `_entities` batches.
#[derive(Default)]
pub struct EntityBatches {
    products: OnceCell<(Arc<PageBatch>, HashMap<i64, domain::Product>)>,
    variants: OnceCell<HashMap<i64, domain::Variant>>,
}

/// The numeric keys of the batch's representations of `type_name` (bad ids are skipped here
/// and rejected by their own resolver).
fn representation_keys(ctx: &Context<'_>, type_name: &str) -> Vec<i64> {
    representation_ids(ctx, type_name)
        .iter()
        .filter_map(|id| GlobalId::decode(id, type_name).ok())
        .collect()
}

fn batches<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a EntityBatches> {
    ctx.data::<EntityBatches>()
}

pub async fn product(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Product>> {
    let catalog = ctx.data_unchecked::<CatalogService>();
    let (page, products) = batches(ctx)?
        .products
        .get_or_try_init(|| async {
            let ids = representation_keys(ctx, PRODUCT);
            let rows = catalog.products(&ids).await.map_err(top_level)?;
            let page = Arc::new(PageBatch::new(catalog.clone(), ids));
            Ok::<_, async_graphql::Error>((page, rows.into_iter().map(|p| (p.id, p)).collect()))
        })
        .await?;
    Ok(products
        .get(&id)
        .cloned()
        .map(|p| Product::in_page(p, page.clone())))
}

pub async fn variant(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<ProductVariant>> {
    let catalog = ctx.data_unchecked::<CatalogService>();
    let variants = batches(ctx)?
        .variants
        .get_or_try_init(|| async {
            let ids = representation_keys(ctx, VARIANT);
            let rows = catalog.variants(&ids).await.map_err(top_level)?;
            Ok::<_, async_graphql::Error>(rows.into_iter().map(|v| (v.id, v)).collect())
        })
        .await?;
    Ok(variants.get(&id).cloned().map(ProductVariant::from))
}
