//! Batched lookups. A page of products loads its variants and collections through a
//! [`PageBatch`] (one query each for the whole page, however its resolvers are scheduled);
//! products resolved one by one (`_entities`, variant → product) go through DataLoaders.
//! Neither caches, so sharing the loaders between requests never serves stale data.
//! Categories need no loader: they come from the service's in-memory tree.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use tokio::sync::OnceCell;

use super::types::ProductVariant;
use crate::domain::{Collection, Product, Variant};
use crate::service::CatalogService;
use commerce_kernel::error::top_level;

pub struct Loaders {
    pub products: DataLoader<ProductLoader>,
    pub variants: DataLoader<VariantLoader>,
    pub variants_by_product: DataLoader<VariantsByProductLoader>,
    pub collections_by_product: DataLoader<CollectionsByProductLoader>,
}

impl Loaders {
    pub fn new(catalog: &CatalogService) -> Self {
        Self {
            products: DataLoader::new(ProductLoader(catalog.clone()), tokio::spawn),
            variants: DataLoader::new(VariantLoader(catalog.clone()), tokio::spawn),
            variants_by_product: DataLoader::new(
                VariantsByProductLoader(catalog.clone()),
                tokio::spawn,
            ),
            collections_by_product: DataLoader::new(
                CollectionsByProductLoader(catalog.clone()),
                tokio::spawn,
            ),
        }
    }
}

pub struct ProductLoader(CatalogService);
pub struct VariantLoader(CatalogService);
pub struct VariantsByProductLoader(CatalogService);
pub struct CollectionsByProductLoader(CatalogService);

impl Loader<i64> for ProductLoader {
    type Value = Product;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Product>, Self::Error> {
        let rows = self.0.products(keys).await.map_err(top_level)?;
        Ok(rows.into_iter().map(|p| (p.id, p)).collect())
    }
}

impl Loader<i64> for VariantLoader {
    type Value = Variant;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Variant>, Self::Error> {
        let rows = self.0.variants(keys).await.map_err(top_level)?;
        Ok(rows.into_iter().map(|v| (v.id, v)).collect())
    }
}

impl Loader<i64> for VariantsByProductLoader {
    type Value = Vec<Variant>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<Variant>>, Self::Error> {
        self.0.variants_of_products(keys).await.map_err(top_level)
    }
}

impl Loader<i64> for CollectionsByProductLoader {
    type Value = Vec<Collection>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<Collection>>, Self::Error> {
        let rows = self
            .0
            .collections_of_products(keys)
            .await
            .map_err(top_level)?;
        Ok(group(rows))
    }
}

fn group<V>(pairs: impl IntoIterator<Item = (i64, V)>) -> HashMap<i64, Vec<V>> {
    let mut groups: HashMap<i64, Vec<V>> = HashMap::new();
    for (key, value) in pairs {
        groups.entry(key).or_default().push(value);
    }
    groups
}

/// The products of one page, whose nested lists are loaded together on first use.
pub struct PageBatch {
    catalog: CatalogService,
    ids: Vec<i64>,
    /// Wrapped once for the page, so each product's resolver lends its list out (no copies).
    variants: OnceCell<HashMap<i64, Arc<[ProductVariant]>>>,
    collections: OnceCell<HashMap<i64, Vec<Collection>>>,
}

impl PageBatch {
    pub fn new(catalog: CatalogService, ids: Vec<i64>) -> Self {
        Self {
            catalog,
            ids,
            variants: OnceCell::new(),
            collections: OnceCell::new(),
        }
    }

    /// A page whose products came with their variants (a listing): only its collections are
    /// left to load.
    pub fn with_variants(
        catalog: CatalogService,
        products: impl IntoIterator<Item = (i64, Vec<Variant>)>,
    ) -> Self {
        let mut ids = Vec::new();
        let variants = products
            .into_iter()
            .inspect(|(id, _)| ids.push(*id))
            .map(lend)
            .collect();
        Self {
            catalog,
            ids,
            variants: OnceCell::new_with(Some(variants)),
            collections: OnceCell::new(),
        }
    }

    /// The product's variants when the page holds them already (a listing's page does).
    pub fn lent_variants(&self, product_id: i64) -> Option<&[ProductVariant]> {
        let all = self.variants.get()?;
        Some(all.get(&product_id).map_or(&[], |variants| &variants[..]))
    }

    pub async fn variants(&self, product_id: i64) -> async_graphql::Result<Arc<[ProductVariant]>> {
        let all = self
            .variants
            .get_or_try_init(|| async {
                let rows = self.catalog.variants_of_products(&self.ids).await;
                let rows = rows.map_err(top_level)?;
                Ok::<_, async_graphql::Error>(rows.into_iter().map(lend).collect())
            })
            .await?;
        Ok(all
            .get(&product_id)
            .cloned()
            .unwrap_or_else(|| Arc::new([])))
    }

    pub async fn collections(&self, product_id: i64) -> async_graphql::Result<Vec<Collection>> {
        let all = self
            .collections
            .get_or_try_init(|| async {
                let rows = self.catalog.collections_of_products(&self.ids).await;
                Ok::<_, async_graphql::Error>(group(rows.map_err(top_level)?))
            })
            .await?;
        Ok(all.get(&product_id).cloned().unwrap_or_default())
    }
}

/// A product's variants as the page lends them to its resolvers.
fn lend((id, variants): (i64, Vec<Variant>)) -> (i64, Arc<[ProductVariant]>) {
    (id, variants.into_iter().map(ProductVariant).collect())
}
