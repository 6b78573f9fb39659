//! Staff writes: products, variants, categories, collections and the bulk import. Conflicts
//! (a taken slug or SKU, a category with children) come back as union members; bad input and
//! unknown ids are top-level errors.

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use commerce_kernel::{ClientResultExt, GlobalId, result_union};

use commerce_kernel::error::top_level;

use super::results::{CategoryHasChildren, ErrorResult, SkuTaken, SlugTaken};
use super::types::{
    CATEGORY, COLLECTION, Category, Collection, DeletePayload, PRODUCT, Product, ProductStatus,
    ProductVariant, VARIANT,
};
use crate::domain::{
    self, Attribute, ImageUrl, NewCategory, NewCollection, NewProduct, NewVariant, Sku, Slug, Text,
    ValidationError,
};
use crate::service::{
    CatalogError, CatalogService, CategoryChange, CollectionChange, ImportFormat as Format,
};

result_union!(
    /// The product, or why it could not be saved.
    pub ProductResult(CatalogError => ErrorResult) = Product | SlugTaken | SkuTaken
);
result_union!(
    /// The variant, or why it could not be saved.
    pub ProductVariantResult(CatalogError => ErrorResult) = ProductVariant | SkuTaken
);
result_union!(
    /// The category, or why it could not be saved.
    pub CategoryResult(CatalogError => ErrorResult) = Category | SlugTaken
);
result_union!(
    /// The collection, or why it could not be saved.
    pub CollectionResult(CatalogError => ErrorResult) = Collection | SlugTaken
);
result_union!(
    /// The deleted category's id, or why it could not be deleted.
    pub DeleteCategoryResult(CatalogError => ErrorResult) = DeletePayload | CategoryHasChildren
);

#[derive(InputObject)]
pub struct AttributeInput {
    pub name: String,
    pub value: String,
}

#[derive(InputObject)]
pub struct ProductVariantInput {
    pub sku: String,
    /// Defaults to the option values ("M / Blue").
    pub name: Option<String>,
    #[graphql(default)]
    pub options: Vec<AttributeInput>,
    /// Shipping weight in grams (0 to 1,000,000), for shipping priced by weight.
    pub weight_grams: Option<i32>,
}

#[derive(InputObject)]
pub struct CreateProductInput {
    /// Derived from the name when omitted.
    pub slug: Option<String>,
    pub name: String,
    #[graphql(default)]
    pub description: String,
    #[graphql(default_with = "ProductStatus::Draft")]
    pub status: ProductStatus,
    pub category_id: Option<ID>,
    #[graphql(default)]
    pub attributes: Vec<AttributeInput>,
    #[graphql(default)]
    pub image_urls: Vec<String>,
    #[graphql(default)]
    pub collection_ids: Vec<ID>,
    #[graphql(default)]
    pub variants: Vec<ProductVariantInput>,
}

/// Omitted fields keep their value; `categoryId: null` removes the category.
#[derive(InputObject)]
pub struct UpdateProductInput {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub status: Option<ProductStatus>,
    pub category_id: MaybeUndefined<ID>,
    pub attributes: Option<Vec<AttributeInput>>,
    pub image_urls: Option<Vec<String>>,
    pub collection_ids: Option<Vec<ID>>,
}

#[derive(InputObject)]
pub struct UpdateProductVariantInput {
    pub sku: Option<String>,
    pub name: Option<String>,
    pub options: Option<Vec<AttributeInput>>,
    pub position: Option<i32>,
    /// Shipping weight in grams (0 to 1,000,000).
    pub weight_grams: Option<i32>,
}

#[derive(InputObject)]
pub struct CreateCategoryInput {
    pub slug: String,
    pub name: String,
    /// A root category when omitted.
    pub parent_id: Option<ID>,
    #[graphql(default)]
    pub position: i32,
}

/// Omitted fields keep their value; `parentId: null` makes the category a root.
#[derive(InputObject)]
pub struct UpdateCategoryInput {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub position: Option<i32>,
    pub parent_id: MaybeUndefined<ID>,
}

#[derive(InputObject)]
pub struct CreateCollectionInput {
    pub slug: String,
    pub name: String,
    #[graphql(default)]
    pub description: String,
    #[graphql(default)]
    pub product_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct UpdateCollectionInput {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// One JSON object per line.
    JsonLines,
    /// A header row, then one product per row.
    Csv,
}

/// What an import did: rows that failed imported nothing and are listed with their line.
#[derive(SimpleObject)]
pub struct ImportReport {
    pub created_count: i32,
    pub created_ids: Vec<ID>,
    pub errors: Vec<ImportRowError>,
}

#[derive(SimpleObject)]
pub struct ImportRowError {
    /// The row's 1-based line in the input (a CSV header is line 1).
    pub line: i32,
    pub message: String,
}

fn valid<T>(result: Result<T, ValidationError>) -> async_graphql::Result<T> {
    result.map_err(top_level)
}

fn decode(id: &ID, kind: &str) -> async_graphql::Result<i64> {
    GlobalId::decode(id, kind).or_client()
}

fn decode_all(ids: &[ID], kind: &str) -> async_graphql::Result<Vec<i64>> {
    ids.iter().map(|id| decode(id, kind)).collect()
}

fn attributes(field: &str, input: &[AttributeInput]) -> async_graphql::Result<Vec<Attribute>> {
    let pairs = input.iter().map(|a| (a.name.as_str(), a.value.as_str()));
    valid(Attribute::parse_list(field, pairs))
}

fn image_urls(input: &[String]) -> async_graphql::Result<Vec<ImageUrl>> {
    valid(
        input
            .iter()
            .map(|url| ImageUrl::parse("imageUrls", url))
            .collect(),
    )
}

fn new_variant(field: &str, input: &ProductVariantInput) -> async_graphql::Result<NewVariant> {
    let sku = valid(Sku::parse(&format!("{field}.sku"), &input.sku))?;
    let name = input
        .name
        .as_deref()
        .map(|n| Text::name(&format!("{field}.name"), n));
    let options = attributes(&format!("{field}.options"), &input.options)?;
    let weight = input
        .weight_grams
        .map(|grams| domain::weight_grams(&format!("{field}.weightGrams"), grams))
        .transpose();
    Ok(NewVariant::new(sku, valid(name.transpose())?, options).with_weight(valid(weight)?))
}

fn optional<T>(
    value: Option<&String>,
    parse: impl FnOnce(&str) -> Result<T, ValidationError>,
) -> async_graphql::Result<Option<T>> {
    valid(value.map(|v| parse(v)).transpose())
}

impl CreateProductInput {
    fn parse(&self) -> async_graphql::Result<NewProduct> {
        let name = valid(Text::name("name", &self.name))?;
        let slug = match &self.slug {
            Some(slug) => valid(Slug::parse("slug", slug))?,
            None => valid(Slug::from_text(name.as_str()).ok_or_else(|| {
                ValidationError::new("slug", "cannot derive a slug from the name; give one")
            }))?,
        };
        let variants = self.variants.iter().enumerate();
        Ok(NewProduct {
            slug,
            name,
            description: valid(Text::description("description", &self.description))?,
            status: self.status.into(),
            category_id: self
                .category_id
                .as_ref()
                .map(|id| decode(id, CATEGORY))
                .transpose()?,
            attributes: attributes("attributes", &self.attributes)?,
            image_urls: image_urls(&self.image_urls)?,
            collection_ids: decode_all(&self.collection_ids, COLLECTION)?,
            variants: variants
                .map(|(i, v)| new_variant(&format!("variants[{i}]"), v))
                .collect::<async_graphql::Result<_>>()?,
        })
    }
}

impl UpdateProductInput {
    fn parse(&self) -> async_graphql::Result<domain::ProductPatch> {
        let category_id = match &self.category_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => Some(Some(decode(id, CATEGORY)?)),
        };
        Ok(domain::ProductPatch {
            slug: optional(self.slug.as_ref(), |s| Slug::parse("slug", s))?,
            name: optional(self.name.as_ref(), |s| Text::name("name", s))?,
            description: optional(self.description.as_ref(), |s| {
                Text::description("description", s)
            })?,
            status: self.status.map(Into::into),
            category_id,
            attributes: self
                .attributes
                .as_deref()
                .map(|a| attributes("attributes", a))
                .transpose()?,
            image_urls: self.image_urls.as_deref().map(image_urls).transpose()?,
            collection_ids: self
                .collection_ids
                .as_deref()
                .map(|ids| decode_all(ids, COLLECTION))
                .transpose()?,
        })
    }
}

pub struct Mutation;

fn catalog<'a>(ctx: &Context<'a>) -> &'a CatalogService {
    ctx.data_unchecked::<CatalogService>()
}

fn deleted(
    id: ID,
    outcome: Result<(), crate::service::CatalogError>,
) -> async_graphql::Result<DeletePayload> {
    outcome.map_err(top_level)?;
    Ok(DeletePayload { deleted_id: id })
}

/// Every mutation needs the `catalog:write` permission.
#[Object(guard = "super::access::require_writer")]
impl Mutation {
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
    ) -> async_graphql::Result<ProductResult> {
        let new = input.parse()?;
        let outcome = catalog(ctx).create_product(&new).await;
        ProductResult::from_result(outcome.map(Product::from))
    }

    async fn update_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProductInput,
    ) -> async_graphql::Result<ProductResult> {
        let (id, patch) = (decode(&id, PRODUCT)?, input.parse()?);
        let outcome = catalog(ctx).update_product(id, &patch).await;
        ProductResult::from_result(outcome.map(Product::from))
    }

    /// Deletes a product with its variants.
    async fn delete_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<DeletePayload> {
        let outcome = catalog(ctx).delete_product(decode(&id, PRODUCT)?).await;
        deleted(id, outcome)
    }

    /// Adds a variant after the product's existing ones.
    async fn create_product_variant(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        input: ProductVariantInput,
    ) -> async_graphql::Result<ProductVariantResult> {
        let (product_id, new) = (decode(&product_id, PRODUCT)?, new_variant("input", &input)?);
        let outcome = catalog(ctx).create_variant(product_id, &new).await;
        ProductVariantResult::from_result(outcome.map(ProductVariant))
    }

    async fn update_product_variant(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProductVariantInput,
    ) -> async_graphql::Result<ProductVariantResult> {
        let patch = domain::VariantPatch {
            sku: optional(input.sku.as_ref(), |s| Sku::parse("sku", s))?,
            name: optional(input.name.as_ref(), |s| Text::name("name", s))?,
            options: input
                .options
                .as_deref()
                .map(|o| attributes("options", o))
                .transpose()?,
            position: input.position,
            weight_grams: valid(
                input
                    .weight_grams
                    .map(|grams| domain::weight_grams("weightGrams", grams))
                    .transpose(),
            )?,
        };
        let outcome = catalog(ctx)
            .update_variant(decode(&id, VARIANT)?, &patch)
            .await;
        ProductVariantResult::from_result(outcome.map(ProductVariant))
    }

    async fn delete_product_variant(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<DeletePayload> {
        let outcome = catalog(ctx).delete_variant(decode(&id, VARIANT)?).await;
        deleted(id, outcome)
    }

    async fn create_category(
        &self,
        ctx: &Context<'_>,
        input: CreateCategoryInput,
    ) -> async_graphql::Result<CategoryResult> {
        let new = NewCategory {
            slug: valid(Slug::parse("slug", &input.slug))?,
            name: valid(Text::name("name", &input.name))?,
            parent_id: input
                .parent_id
                .as_ref()
                .map(|id| decode(id, CATEGORY))
                .transpose()?,
            position: input.position,
        };
        let outcome = catalog(ctx).create_category(&new).await;
        CategoryResult::from_result(outcome.map(Category::from))
    }

    /// Renames, reorders or moves a category (with everything below it).
    async fn update_category(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCategoryInput,
    ) -> async_graphql::Result<CategoryResult> {
        let change = CategoryChange {
            slug: optional(input.slug.as_ref(), |s| Slug::parse("slug", s))?,
            name: optional(input.name.as_ref(), |s| Text::name("name", s))?,
            position: input.position,
            parent_id: match &input.parent_id {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(parent) => Some(Some(decode(parent, CATEGORY)?)),
            },
        };
        let outcome = catalog(ctx)
            .update_category(decode(&id, CATEGORY)?, &change)
            .await;
        CategoryResult::from_result(outcome.map(Category::from))
    }

    /// Deletes a category without subcategories; its products become uncategorised.
    async fn delete_category(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<DeleteCategoryResult> {
        let outcome = catalog(ctx).delete_category(decode(&id, CATEGORY)?).await;
        DeleteCategoryResult::from_result(outcome.map(|()| DeletePayload { deleted_id: id }))
    }

    async fn create_collection(
        &self,
        ctx: &Context<'_>,
        input: CreateCollectionInput,
    ) -> async_graphql::Result<CollectionResult> {
        let new = NewCollection {
            slug: valid(Slug::parse("slug", &input.slug))?,
            name: valid(Text::name("name", &input.name))?,
            description: valid(Text::description("description", &input.description))?,
        };
        let product_ids = decode_all(&input.product_ids, PRODUCT)?;
        let outcome = catalog(ctx).create_collection(&new, &product_ids).await;
        CollectionResult::from_result(outcome.map(Collection::from))
    }

    async fn update_collection(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCollectionInput,
    ) -> async_graphql::Result<CollectionResult> {
        let change = CollectionChange {
            slug: optional(input.slug.as_ref(), |s| Slug::parse("slug", s))?,
            name: optional(input.name.as_ref(), |s| Text::name("name", s))?,
            description: optional(input.description.as_ref(), |s| {
                Text::description("description", s)
            })?,
        };
        let outcome = catalog(ctx)
            .update_collection(decode(&id, COLLECTION)?, &change)
            .await;
        CollectionResult::from_result(outcome.map(Collection::from))
    }

    async fn delete_collection(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<DeletePayload> {
        let outcome = catalog(ctx)
            .delete_collection(decode(&id, COLLECTION)?)
            .await;
        deleted(id, outcome)
    }

    async fn add_products_to_collection(
        &self,
        ctx: &Context<'_>,
        collection_id: ID,
        product_ids: Vec<ID>,
    ) -> async_graphql::Result<Collection> {
        self.change_collection(ctx, collection_id, product_ids, true)
            .await
    }

    async fn remove_products_from_collection(
        &self,
        ctx: &Context<'_>,
        collection_id: ID,
        product_ids: Vec<ID>,
    ) -> async_graphql::Result<Collection> {
        self.change_collection(ctx, collection_id, product_ids, false)
            .await
    }

    /// Imports products (with variants) from JSON Lines or CSV, at most 10,000 rows. Each
    /// row is all or nothing: bad rows are reported and import nothing, good rows are kept.
    async fn import_products(
        &self,
        ctx: &Context<'_>,
        format: ImportFormat,
        data: String,
    ) -> async_graphql::Result<ImportReport> {
        let format = match format {
            ImportFormat::JsonLines => Format::JsonLines,
            ImportFormat::Csv => Format::Csv,
        };
        let report = catalog(ctx)
            .import_products(format, &data)
            .await
            .map_err(top_level)?;
        let ids = report
            .created_ids
            .iter()
            .map(|&id| ID(GlobalId::encode(PRODUCT, id)));
        let errors = report.errors.into_iter().map(|e| ImportRowError {
            line: i32::try_from(e.line).unwrap_or(i32::MAX),
            message: e.message,
        });
        Ok(ImportReport {
            created_count: i32::try_from(report.created_ids.len()).unwrap_or(i32::MAX),
            created_ids: ids.collect(),
            errors: errors.collect(),
        })
    }
}

impl Mutation {
    async fn change_collection(
        &self,
        ctx: &Context<'_>,
        collection_id: ID,
        product_ids: Vec<ID>,
        add: bool,
    ) -> async_graphql::Result<Collection> {
        let id = decode(&collection_id, COLLECTION)?;
        let product_ids = decode_all(&product_ids, PRODUCT)?;
        let collection = catalog(ctx)
            .change_collection_products(id, &product_ids, add)
            .await;
        Ok(collection.map_err(top_level)?.into())
    }
}
