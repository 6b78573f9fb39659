//! `_entities` batches: the first resolver of a type reads every representation of that type
//! in the request and loads them all in one query (and their variants and collections in one
//! more each), so the cost of a batch does not depend on its size or on task scheduling.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::{Any, Context, Request, ServerResult, Value};
use commerce_kernel::GlobalId;
use tokio::sync::OnceCell;

use super::errors::graphql_error;
use super::loaders::PageBatch;
use super::types::{PRODUCT, Product, ProductVariant, VARIANT};
use crate::domain;
use crate::service::Catalog;

/// Per-request state of the `_entities` batches.
#[derive(Default)]
pub struct EntityBatches {
    products: OnceCell<(Arc<PageBatch>, HashMap<i64, domain::Product>)>,
    variants: OnceCell<HashMap<i64, domain::Variant>>,
}

/// Gives every request its own [`EntityBatches`].
pub struct RequestScope;

impl ExtensionFactory for RequestScope {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestScope)
    }
}

#[async_trait::async_trait]
impl Extension for RequestScope {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        next.run(ctx, request.data(EntityBatches::default())).await
    }
}

/// The numeric keys of the batch's representations of `type_name` (bad ids are skipped here
/// and rejected by their own resolver).
fn representation_keys(ctx: &Context<'_>, type_name: &str) -> Vec<i64> {
    let Ok((_, representations)) = ctx.param_value::<Vec<Any>>("representations", None) else {
        return Vec::new();
    };
    representations
        .iter()
        .filter_map(|Any(value)| match value {
            Value::Object(fields) => Some(fields),
            _ => None,
        })
        .filter(|fields| fields.get("__typename") == Some(&Value::from(type_name)))
        .filter_map(|fields| match fields.get("id") {
            Some(Value::String(id)) => GlobalId::decode(id, type_name).ok(),
            _ => None,
        })
        .collect()
}

fn batches<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a EntityBatches> {
    ctx.data::<EntityBatches>()
}

pub async fn product(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Product>> {
    let catalog = ctx.data_unchecked::<Catalog>();
    let (page, products) = batches(ctx)?
        .products
        .get_or_try_init(|| async {
            let ids = representation_keys(ctx, PRODUCT);
            let rows = catalog.products(&ids).await.map_err(graphql_error)?;
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
    let catalog = ctx.data_unchecked::<Catalog>();
    let variants = batches(ctx)?
        .variants
        .get_or_try_init(|| async {
            let ids = representation_keys(ctx, VARIANT);
            let rows = catalog.variants(&ids).await.map_err(graphql_error)?;
            Ok::<_, async_graphql::Error>(rows.into_iter().map(|v| (v.id, v)).collect())
        })
        .await?;
    Ok(variants.get(&id).cloned().map(ProductVariant::from))
}
