//! The catalog's GraphQL object types, kept apart from the domain types through `From`
//! impls so a table or domain change never silently changes the public schema.

use async_graphql::{ComplexObject, Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use commerce_kernel::GlobalId;

use super::loaders::Loaders;
use crate::domain;

pub const PRODUCT: &str = "Product";
pub const VARIANT: &str = "ProductVariant";
pub const CATEGORY: &str = "Category";
pub const COLLECTION: &str = "Collection";

fn loaders<'a>(ctx: &Context<'a>) -> &'a Loaders {
    ctx.data_unchecked::<Loaders>()
}

/// Whether the public sees a product.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ProductStatus {
    Draft,
    Published,
}

impl From<domain::ProductStatus> for ProductStatus {
    fn from(status: domain::ProductStatus) -> Self {
        match status {
            domain::ProductStatus::Draft => Self::Draft,
            domain::ProductStatus::Published => Self::Published,
        }
    }
}

impl From<ProductStatus> for domain::ProductStatus {
    fn from(status: ProductStatus) -> Self {
        match status {
            ProductStatus::Draft => Self::Draft,
            ProductStatus::Published => Self::Published,
        }
    }
}

/// A descriptive property of a product, such as material or brand.
#[derive(SimpleObject)]
pub struct Attribute {
    pub name: String,
    pub value: String,
}

/// A choice that distinguishes a variant, such as size or colour.
#[derive(SimpleObject)]
pub struct VariantOption {
    pub name: String,
    pub value: String,
}

pub struct Product(pub domain::Product);

impl From<domain::Product> for Product {
    fn from(product: domain::Product) -> Self {
        Self(product)
    }
}

/// Something the shop sells; what is bought is one of its variants.
#[Object]
impl Product {
    async fn id(&self) -> ID {
        ID(GlobalId::encode(PRODUCT, self.0.id))
    }

    async fn slug(&self) -> &str {
        &self.0.slug
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    async fn status(&self) -> ProductStatus {
        self.0.status.into()
    }

    async fn attributes(&self) -> Vec<Attribute> {
        let attributes = self.0.attributes.iter().cloned();
        attributes.map(|a| Attribute { name: a.name, value: a.value }).collect()
    }

    async fn image_urls(&self) -> &[String] {
        &self.0.image_urls
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    async fn category(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Category>> {
        let Some(id) = self.0.category_id else {
            return Ok(None);
        };
        Ok(loaders(ctx).categories.load_one(id).await?.map(Category::from))
    }

    async fn collections(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Collection>> {
        let collections = loaders(ctx).collections_by_product.load_one(self.0.id).await?;
        Ok(collections.unwrap_or_default().into_iter().map(Collection::from).collect())
    }

    /// The variants in display order.
    async fn variants(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ProductVariant>> {
        let variants = loaders(ctx).variants_by_product.load_one(self.0.id).await?;
        Ok(variants.unwrap_or_default().into_iter().map(ProductVariant::from).collect())
    }
}

pub struct ProductVariant(pub domain::Variant);

impl From<domain::Variant> for ProductVariant {
    fn from(variant: domain::Variant) -> Self {
        Self(variant)
    }
}

/// A buyable version of a product (one size and colour), identified by its SKU.
#[Object]
impl ProductVariant {
    async fn id(&self) -> ID {
        ID(GlobalId::encode(VARIANT, self.0.id))
    }

    async fn sku(&self) -> &str {
        &self.0.sku
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn options(&self) -> Vec<VariantOption> {
        let options = self.0.options.iter().cloned();
        options.map(|o| VariantOption { name: o.name, value: o.value }).collect()
    }

    async fn position(&self) -> i32 {
        self.0.position
    }

    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Product> {
        let product = loaders(ctx).products.load_one(self.0.product_id).await?;
        product.map(Product).ok_or_else(|| "variant without product".into())
    }
}

/// A node of the category tree.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Category {
    #[graphql(skip)]
    pub inner: domain::Category,
    pub slug: String,
    pub name: String,
    pub position: i32,
}

impl From<domain::Category> for Category {
    fn from(category: domain::Category) -> Self {
        Self {
            slug: category.slug.clone(),
            name: category.name.clone(),
            position: category.position,
            inner: category,
        }
    }
}

#[ComplexObject]
impl Category {
    async fn id(&self) -> ID {
        ID(GlobalId::encode(CATEGORY, self.inner.id))
    }

    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Category>> {
        let Some(id) = self.inner.parent_id else {
            return Ok(None);
        };
        Ok(loaders(ctx).categories.load_one(id).await?.map(Category::from))
    }

    /// From the root down to the parent (for breadcrumbs).
    async fn ancestors(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Category>> {
        let ids = self.inner.path.ancestor_ids();
        let mut found = loaders(ctx).categories.load_many(ids.iter().copied()).await?;
        Ok(ids.iter().filter_map(|id| found.remove(id)).map(Category::from).collect())
    }
}

/// A hand-picked set of products ("Summer sale").
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Collection {
    #[graphql(skip)]
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
}

impl From<domain::Collection> for Collection {
    fn from(collection: domain::Collection) -> Self {
        Self {
            id: collection.id,
            slug: collection.slug,
            name: collection.name,
            description: collection.description,
        }
    }
}

#[ComplexObject]
impl Collection {
    #[graphql(name = "id")]
    async fn global_id(&self) -> ID {
        ID(GlobalId::encode(COLLECTION, self.id))
    }
}

/// The result of a delete.
#[derive(SimpleObject)]
pub struct DeletePayload {
    pub deleted_id: ID,
}
