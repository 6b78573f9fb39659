//! The catalog's GraphQL object types, kept apart from the domain types through `From`
//! impls so a table or domain change never silently changes the public schema.

use async_graphql::parser::types::Field;
use async_graphql::{Context, Enum, ID, InputType, Object, ScalarType, SimpleObject};
use chrono::{DateTime, Utc};
use commerce_kernel::pagination::PageRequest;
use commerce_kernel::projection::{Json, Project, Selections};
use commerce_kernel::{ClientResultExt, GlobalId};

use std::sync::Arc;

use super::listing::{ProductConnection, ProductSort, products_page};
use super::loaders::{Loaders, PageBatch};
use crate::domain;
use crate::service::{CatalogService, CategoryTree};
use commerce_kernel::error::top_level;

pub const PRODUCT: &str = "Product";
pub const VARIANT: &str = "ProductVariant";
pub const CATEGORY: &str = "Category";
pub const COLLECTION: &str = "Collection";

fn loaders<'a>(ctx: &Context<'a>) -> &'a Loaders {
    ctx.data_unchecked::<Loaders>()
}

/// Whether the public sees a product.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProductStatus {
    Draft,
    /// The default of listing filters: what the public sees.
    #[default]
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

pub struct Product {
    inner: domain::Product,
    /// The page this product was listed in, if any, to load nested lists page-wide.
    batch: Option<Arc<PageBatch>>,
}

impl Product {
    pub fn in_page(product: domain::Product, batch: Arc<PageBatch>) -> Self {
        Self {
            inner: product,
            batch: Some(batch),
        }
    }
}

impl From<domain::Product> for Product {
    fn from(product: domain::Product) -> Self {
        Self {
            inner: product,
            batch: None,
        }
    }
}

/// The in-memory category tree.
pub async fn category_tree(ctx: &Context<'_>) -> async_graphql::Result<Arc<CategoryTree>> {
    let catalog = ctx.data_unchecked::<CatalogService>();
    catalog.category_tree().await.map_err(top_level)
}

/// Something the shop sells; what is bought is one of its variants.
#[Object(serial)]
impl Product {
    async fn id(&self) -> ID {
        ID(GlobalId::encode(PRODUCT, self.inner.id))
    }

    async fn slug(&self) -> &str {
        &self.inner.slug
    }

    async fn name(&self) -> &str {
        &self.inner.name
    }

    async fn description(&self) -> &str {
        &self.inner.description
    }

    async fn status(&self) -> ProductStatus {
        self.inner.status.into()
    }

    async fn attributes(&self) -> Vec<Attribute> {
        let attributes = self.inner.attributes.iter().cloned();
        attributes
            .map(|a| Attribute {
                name: a.name.into(),
                value: a.value.into(),
            })
            .collect()
    }

    async fn image_urls(&self) -> &[String] {
        &self.inner.image_urls
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.inner.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.inner.updated_at
    }

    async fn category(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Category>> {
        let Some(id) = self.inner.category_id else {
            return Ok(None);
        };
        Ok(category_tree(ctx)
            .await?
            .get(id)
            .cloned()
            .map(Category::from))
    }

    async fn collections(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Collection>> {
        let id = self.inner.id;
        let collections = match &self.batch {
            Some(batch) => batch.collections(id).await?,
            None => loaders(ctx)
                .collections_by_product
                .load_one(id)
                .await?
                .unwrap_or_default(),
        };
        Ok(collections.into_iter().map(Collection::from).collect())
    }

    /// The variants in display order.
    async fn variants(&self, ctx: &Context<'_>) -> async_graphql::Result<Arc<[ProductVariant]>> {
        let id = self.inner.id;
        Ok(match &self.batch {
            Some(batch) => batch.variants(id).await?,
            None => {
                let variants = loaders(ctx).variants_by_product.load_one(id).await?;
                let variants = variants.unwrap_or_default().into_iter();
                variants.map(ProductVariant).collect()
            }
        })
    }
}

/// A page's products are answered by projection when the selection reads only what the page
/// holds: the product's own fields and its variants (see `commerce_kernel::projection`). The
/// field names and values are the resolvers' above; tests compare the two on every field.
impl Project for Product {
    const TYPE_NAME: &'static str = PRODUCT;

    fn project_field(
        &self,
        field: &Field,
        selections: Selections<'_>,
        out: &mut Json,
    ) -> Option<()> {
        let product = &self.inner;
        match field.name.node.as_str() {
            "id" => out.id(PRODUCT, product.id),
            "slug" => out.str(&product.slug),
            "name" => out.str(&product.name),
            "description" => out.str(&product.description),
            "status" => out.value(&InputType::to_value(&ProductStatus::from(product.status))),
            "attributes" => {
                let attributes = product.attributes.iter().map(AttributeView);
                selections.list(attributes, field, out)?
            }
            "imageUrls" => out.strs(product.image_urls.iter().map(String::as_str)),
            "createdAt" => out.value(&ScalarType::to_value(&product.created_at)),
            "updatedAt" => out.value(&ScalarType::to_value(&product.updated_at)),
            "variants" => {
                let variants = self.batch.as_ref()?.lent_variants(product.id)?;
                selections.list(variants, field, out)?
            }
            _ => return None,
        }
        Some(())
    }
}

/// A product's attribute as the projection answers `Attribute`.
struct AttributeView<'a>(&'a domain::Attribute);

/// A variant's option as the projection answers `VariantOption` (the same pair as an
/// attribute, another GraphQL type).
struct OptionView<'a>(&'a domain::Attribute);

impl Project for AttributeView<'_> {
    const TYPE_NAME: &'static str = "Attribute";

    fn project_field(&self, field: &Field, _: Selections<'_>, out: &mut Json) -> Option<()> {
        pair_field(self.0, field, out)
    }
}

impl Project for OptionView<'_> {
    const TYPE_NAME: &'static str = "VariantOption";

    fn project_field(&self, field: &Field, _: Selections<'_>, out: &mut Json) -> Option<()> {
        pair_field(self.0, field, out)
    }
}

fn pair_field(pair: &domain::Attribute, field: &Field, out: &mut Json) -> Option<()> {
    match field.name.node.as_str() {
        "name" => out.str(&pair.name),
        "value" => out.str(&pair.value),
        _ => return None,
    }
    Some(())
}

pub struct ProductVariant(pub domain::Variant);

impl From<domain::Variant> for ProductVariant {
    fn from(variant: domain::Variant) -> Self {
        Self(variant)
    }
}

/// A buyable version of a product (one size and colour), identified by its SKU.
#[Object(serial)]
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
        options
            .map(|o| VariantOption {
                name: o.name.into(),
                value: o.value.into(),
            })
            .collect()
    }

    async fn position(&self) -> i32 {
        self.0.position
    }

    /// Shipping weight in grams; null when unknown.
    async fn weight_grams(&self) -> Option<i32> {
        self.0.weight_grams
    }

    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Product> {
        let product = loaders(ctx).products.load_one(self.0.product_id).await?;
        product
            .map(Product::from)
            .ok_or_else(|| "variant without product".into())
    }
}

impl Project for ProductVariant {
    const TYPE_NAME: &'static str = VARIANT;

    fn project_field(
        &self,
        field: &Field,
        selections: Selections<'_>,
        out: &mut Json,
    ) -> Option<()> {
        let variant = &self.0;
        match field.name.node.as_str() {
            "id" => out.id(VARIANT, variant.id),
            "sku" => out.str(&variant.sku),
            "name" => out.str(&variant.name),
            "options" => selections.list(variant.options.iter().map(OptionView), field, out)?,
            "position" => out.int(variant.position.into()),
            "weightGrams" => match variant.weight_grams {
                Some(grams) => out.int(grams.into()),
                None => out.null(),
            },
            _ => return None,
        }
        Some(())
    }
}

pub struct Category(pub domain::Category);

impl From<domain::Category> for Category {
    fn from(category: domain::Category) -> Self {
        Self(category)
    }
}

/// A node of the category tree.
#[Object]
impl Category {
    async fn id(&self) -> ID {
        ID(GlobalId::encode(CATEGORY, self.0.id))
    }

    async fn slug(&self) -> &str {
        &self.0.slug
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Order among siblings.
    async fn position(&self) -> i32 {
        self.0.position
    }

    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Category>> {
        let Some(id) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(category_tree(ctx).await?.get(id).cloned().map(Category))
    }

    /// Direct subcategories in display order.
    async fn children(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Category>> {
        let tree = category_tree(ctx).await?;
        let children = tree.all().iter().filter(|c| c.parent_id == Some(self.0.id));
        Ok(children.cloned().map(Category).collect())
    }

    /// From the root down to the parent (for breadcrumbs).
    async fn ancestors(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Category>> {
        let tree = category_tree(ctx).await?;
        Ok(tree
            .ancestors(&self.0)
            .into_iter()
            .cloned()
            .map(Category)
            .collect())
    }

    /// Published products in this category or below it.
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        sort: Option<ProductSort>,
    ) -> async_graphql::Result<ProductConnection> {
        let page = PageRequest::parse(first, after, last, before).or_client()?;
        let filter = domain::ProductFilter {
            category_id: Some(self.0.id),
            ..domain::ProductFilter::published()
        };
        products_page(ctx, page, filter, sort).await
    }
}

pub struct Collection(pub domain::Collection);

impl From<domain::Collection> for Collection {
    fn from(collection: domain::Collection) -> Self {
        Self(collection)
    }
}

/// A hand-picked set of products ("Summer sale").
#[Object]
impl Collection {
    async fn id(&self) -> ID {
        ID(GlobalId::encode(COLLECTION, self.0.id))
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

    /// Published products of the collection.
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        sort: Option<ProductSort>,
    ) -> async_graphql::Result<ProductConnection> {
        let page = PageRequest::parse(first, after, last, before).or_client()?;
        let filter = domain::ProductFilter {
            collection_id: Some(self.0.id),
            ..domain::ProductFilter::published()
        };
        products_page(ctx, page, filter, sort).await
    }
}

/// The result of a delete.
#[derive(SimpleObject)]
pub struct DeletePayload {
    pub deleted_id: ID,
}
