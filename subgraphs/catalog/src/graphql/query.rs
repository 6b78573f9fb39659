//! Read fields and the federation entity resolvers.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, ID, Object};
use commerce_kernel::pagination::{Cursor, PageRequest};
use commerce_kernel::{ClientResultExt, ErrorCode, GlobalId, KernelError};
use serde_json::json;

use super::access::{is_writer, require_writer};
use super::listing::{ProductConnection, ProductFilterInput, ProductSort, products_page};
use super::loaders::Loaders;
use super::types::{
    CATEGORY, COLLECTION, Category, Collection, PRODUCT, Product, ProductVariant, VARIANT,
    category_tree,
};
use crate::domain::{self, ProductStatus};
use crate::service::CatalogService;
use commerce_kernel::error::top_level;

pub struct Query;

fn catalog<'a>(ctx: &Context<'a>) -> &'a CatalogService {
    ctx.data_unchecked::<CatalogService>()
}

/// Exactly one of `id` and `slug` must be given.
fn one_of(id: Option<ID>, slug: Option<String>) -> async_graphql::Result<Result<ID, String>> {
    match (id, slug) {
        (Some(id), None) => Ok(Ok(id)),
        (None, Some(slug)) => Ok(Err(slug)),
        _ => Err(KernelError::new(
            ErrorCode::BadUserInput,
            "pass exactly one of `id` and `slug`",
        ))
        .or_client(),
    }
}

#[Object]
impl Query {
    /// A product by id or slug (cached); null when there is none, or when it is a draft and
    /// the caller is not staff.
    async fn product(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> async_graphql::Result<Option<Product>> {
        let found = match one_of(id, slug)? {
            Ok(id) => {
                let id = GlobalId::decode(&id, PRODUCT).or_client()?;
                catalog(ctx).product(id).await
            }
            Err(slug) => catalog(ctx).product_by_slug(slug.trim()).await,
        };
        let visible = |p: &domain::Product| p.status == ProductStatus::Published || is_writer(ctx);
        Ok(found.map_err(top_level)?.filter(visible).map(Product::from))
    }

    /// Products, published ones unless the filter asks for drafts (staff only);
    /// keyset-paginated.
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ProductFilterInput>,
        sort: Option<ProductSort>,
    ) -> async_graphql::Result<ProductConnection> {
        let page = PageRequest::parse(first, after, last, before).or_client()?;
        let filter = filter.unwrap_or_default().parse()?;
        if filter.status != ProductStatus::Published {
            require_writer(ctx)?;
        }
        products_page(ctx, page, filter, sort).await
    }

    async fn product_variant(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<ProductVariant>> {
        let id = GlobalId::decode(&id, VARIANT).or_client()?;
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders.variants.load_one(id).await?.map(ProductVariant))
    }

    /// The whole category tree, flat, siblings in display order (build the tree from `parent`).
    async fn categories(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Category>> {
        let tree = category_tree(ctx).await?;
        Ok(tree.all().iter().cloned().map(Category::from).collect())
    }

    async fn category(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> async_graphql::Result<Option<Category>> {
        let tree = category_tree(ctx).await?;
        let found = match one_of(id, slug)? {
            Ok(id) => tree.get(GlobalId::decode(&id, CATEGORY).or_client()?),
            Err(slug) => tree.by_slug(slug.trim()),
        };
        Ok(found.cloned().map(Category::from))
    }

    async fn collection(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> async_graphql::Result<Option<Collection>> {
        let found = match one_of(id, slug)? {
            Ok(id) => {
                let id = GlobalId::decode(&id, COLLECTION).or_client()?;
                catalog(ctx)
                    .collections_by_ids(&[id])
                    .await
                    .map(|mut c| c.pop())
            }
            Err(slug) => catalog(ctx).collection_by_slug(slug.trim()).await,
        };
        Ok(found.map_err(top_level)?.map(Collection::from))
    }

    /// Collections in creation order.
    async fn collections(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<String, Collection, EmptyFields>> {
        let page = PageRequest::parse(first, after, last, before).or_client()?;
        let page = catalog(ctx)
            .list_collections(&page)
            .await
            .map_err(top_level)?;
        let mut connection = Connection::new(page.has_previous_page, page.has_next_page);
        connection
            .edges
            .extend(page.items.into_iter().map(|collection| {
                Edge::new(
                    Cursor(vec![json!(collection.id)]).encode(),
                    Collection::from(collection),
                )
            }));
        Ok(connection)
    }

    /// Resolves `Product` references, a whole `_entities` batch in one query.
    #[graphql(entity)]
    async fn find_product_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Product>> {
        super::entities::product(ctx, GlobalId::decode(&id, PRODUCT).or_client()?).await
    }

    /// Resolves `ProductVariant` references, a whole batch in one query.
    #[graphql(entity)]
    async fn find_product_variant_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<ProductVariant>> {
        super::entities::variant(ctx, GlobalId::decode(&id, VARIANT).or_client()?).await
    }
}
