//! Per-batch loaders: every to-one and to-many lookup of a page goes through one of these,
//! so a page (or an `_entities` batch) costs one query per type, whatever its size. They
//! batch without caching, so sharing them between requests never serves stale data.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};

use super::errors::graphql_error;
use crate::domain::{Category, Collection, Product, Variant};
use crate::service::Catalog;

pub struct Loaders {
    pub products: DataLoader<ProductLoader>,
    pub variants: DataLoader<VariantLoader>,
    pub variants_by_product: DataLoader<VariantsByProductLoader>,
    pub categories: DataLoader<CategoryLoader>,
    pub collections_by_product: DataLoader<CollectionsByProductLoader>,
}

impl Loaders {
    pub fn new(catalog: &Catalog) -> Self {
        Self {
            products: DataLoader::new(ProductLoader(catalog.clone()), tokio::spawn),
            variants: DataLoader::new(VariantLoader(catalog.clone()), tokio::spawn),
            variants_by_product: DataLoader::new(
                VariantsByProductLoader(catalog.clone()),
                tokio::spawn,
            ),
            categories: DataLoader::new(CategoryLoader(catalog.clone()), tokio::spawn),
            collections_by_product: DataLoader::new(
                CollectionsByProductLoader(catalog.clone()),
                tokio::spawn,
            ),
        }
    }
}

pub struct ProductLoader(Catalog);
pub struct VariantLoader(Catalog);
pub struct VariantsByProductLoader(Catalog);
pub struct CategoryLoader(Catalog);
pub struct CollectionsByProductLoader(Catalog);

impl Loader<i64> for ProductLoader {
    type Value = Product;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Product>, Self::Error> {
        let rows = self.0.products(keys).await.map_err(graphql_error)?;
        Ok(rows.into_iter().map(|p| (p.id, p)).collect())
    }
}

impl Loader<i64> for VariantLoader {
    type Value = Variant;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Variant>, Self::Error> {
        let rows = self.0.variants(keys).await.map_err(graphql_error)?;
        Ok(rows.into_iter().map(|v| (v.id, v)).collect())
    }
}

impl Loader<i64> for VariantsByProductLoader {
    type Value = Vec<Variant>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<Variant>>, Self::Error> {
        let rows = self.0.variants_of_products(keys).await.map_err(graphql_error)?;
        Ok(group(rows.into_iter().map(|v| (v.product_id, v))))
    }
}

impl Loader<i64> for CategoryLoader {
    type Value = Category;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Category>, Self::Error> {
        let rows = self.0.categories_by_ids(keys).await.map_err(graphql_error)?;
        Ok(rows.into_iter().map(|c| (c.id, c)).collect())
    }
}

impl Loader<i64> for CollectionsByProductLoader {
    type Value = Vec<Collection>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<Collection>>, Self::Error> {
        let rows = self.0.collections_of_products(keys).await.map_err(graphql_error)?;
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
