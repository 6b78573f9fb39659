//! `products(first, after, last, before, filter, sort)`: a Relay connection whose
//! `totalCount` and `facets` are computed only when selected (and cached per filter).

use std::sync::Arc;

use async_graphql::connection::PageInfo;
use async_graphql::parser::types::Field;
use async_graphql::{Context, Enum, ID, InputObject, Object, SelectionField, SimpleObject};
use commerce_kernel::pagination::PageRequest;
use commerce_kernel::projection::{Json, Project, ProjectedList, Selections};
use commerce_kernel::{ClientResultExt, GlobalId};

use super::loaders::PageBatch;
use super::types::{CATEGORY, COLLECTION, Category, Product, ProductStatus};
use crate::domain::{self, AttributeFilter, ListedParts, SearchQuery};
use crate::service::CatalogService;
use commerce_kernel::error::top_level;

/// Listing orders.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ProductSort {
    /// By name, A to Z.
    Name,
    /// Most recently created first.
    Newest,
    /// Best search match first; without a search, the same as NEWEST.
    Relevance,
}

impl From<ProductSort> for domain::ProductSort {
    fn from(sort: ProductSort) -> Self {
        match sort {
            ProductSort::Name => Self::Name,
            ProductSort::Newest => Self::Newest,
            ProductSort::Relevance => Self::Relevance,
        }
    }
}

/// Products having any of `values` for the attribute `name`.
#[derive(InputObject)]
pub struct AttributeFilterInput {
    pub name: String,
    pub values: Vec<String>,
}

/// Every given part must match.
#[derive(InputObject, Default)]
pub struct ProductFilterInput {
    /// Published products unless asked otherwise (drafts are for staff).
    #[graphql(default_with = "ProductStatus::Published")]
    pub status: ProductStatus,
    /// This category or any category below it.
    pub category_id: Option<ID>,
    pub collection_id: Option<ID>,
    /// Attribute names are ANDed, the values of one name ORed.
    #[graphql(default)]
    pub attributes: Vec<AttributeFilterInput>,
    /// Full-text search over names and descriptions.
    pub search: Option<String>,
}

impl ProductFilterInput {
    pub fn parse(self) -> async_graphql::Result<domain::ProductFilter> {
        let decode = |id: Option<ID>, kind| id.map(|id| GlobalId::decode(&id, kind)).transpose();
        let attributes = self.attributes.into_iter().map(|a| (a.name, a.values));
        let search = self.search.as_deref().map(SearchQuery::parse).transpose();
        Ok(domain::ProductFilter {
            status: self.status.into(),
            category_id: decode(self.category_id, CATEGORY).or_client()?,
            collection_id: decode(self.collection_id, COLLECTION).or_client()?,
            attributes: AttributeFilter::parse_all(attributes).map_err(top_level)?,
            search: search.map_err(top_level)?.flatten(),
        })
    }
}

/// A page of products, in the shape of async-graphql's `Connection` (`pageInfo`, `edges`,
/// `nodes`) with the fields that aggregate over the whole filter. Its edges and nodes are
/// answered by projection when the selection allows (see `commerce_kernel::projection`).
pub struct ProductConnection {
    has_previous_page: bool,
    has_next_page: bool,
    edges: Vec<ProductEdge>,
    extras: ProductListExtras,
}

#[Object(shareable)]
impl ProductConnection {
    /// Information to aid in pagination.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            start_cursor: self.edges.first().map(ProductEdge::cursor),
            end_cursor: self.edges.last().map(ProductEdge::cursor),
        }
    }

    /// A list of edges.
    async fn edges(&self) -> ProjectedList<'_, ProductEdge> {
        ProjectedList(self.edges.iter().collect())
    }

    /// A list of nodes.
    async fn nodes(&self) -> ProjectedList<'_, Product> {
        ProjectedList(self.edges.iter().map(|edge| &edge.node).collect())
    }

    #[graphql(flatten)]
    async fn extras(&self) -> &ProductListExtras {
        &self.extras
    }
}

/// A product with its place in the listing's order, encoded as a cursor only when asked for
/// (a page usually asks for its last one only).
pub struct ProductEdge {
    position: domain::SortPosition,
    node: Product,
}

impl ProductEdge {
    fn cursor(&self) -> String {
        self.position.to_cursor().encode()
    }
}

/// An edge in a connection.
#[Object(shareable)]
impl ProductEdge {
    /// The item at the end of the edge
    async fn node(&self) -> &Product {
        &self.node
    }

    /// A cursor for use in pagination
    #[graphql(name = "cursor")]
    async fn cursor_field(&self) -> String {
        self.cursor()
    }
}

impl Project for ProductEdge {
    const TYPE_NAME: &'static str = "ProductEdge";

    fn project_field(
        &self,
        field: &Field,
        selections: Selections<'_>,
        out: &mut Json,
    ) -> Option<()> {
        match field.name.node.as_str() {
            "node" => selections.object(&self.node, field, out),
            "cursor" => {
                out.str(&self.cursor());
                Some(())
            }
            _ => None,
        }
    }
}

/// Reads one page of products.
pub async fn products_page(
    ctx: &Context<'_>,
    page: PageRequest,
    filter: domain::ProductFilter,
    sort: Option<ProductSort>,
) -> async_graphql::Result<ProductConnection> {
    let catalog = ctx.data_unchecked::<CatalogService>();
    let filter = Arc::new(filter);
    let sort = sort.map(domain::ProductSort::from);
    let parts = listed_parts(ctx.field());
    let page = catalog
        .list_products(&filter, sort, &page, parts)
        .await
        .map_err(top_level)?;
    let mut items = page.items;
    let batch = Arc::new(if parts.variants {
        let variants = items
            .iter_mut()
            .map(|listed| (listed.product.id, std::mem::take(&mut listed.variants)));
        PageBatch::with_variants(catalog.clone(), variants)
    } else {
        PageBatch::new(
            catalog.clone(),
            items.iter().map(|l| l.product.id).collect(),
        )
    });
    let edges = items.into_iter().map(|listed| ProductEdge {
        position: listed.position,
        node: Product::in_page(listed.product, batch.clone()),
    });
    Ok(ProductConnection {
        has_previous_page: page.has_previous_page,
        has_next_page: page.has_next_page,
        edges: edges.collect(),
        extras: ProductListExtras { filter },
    })
}

/// The parts of each product that `connection` (a `products` field) selects, through its
/// `edges { node }` and `nodes`, fragments followed. `@skip` and `@include` are not weighed
/// (a part they leave out is read all the same), and a field this does not know reads every
/// part, so no field added to `Product` later can find its part missing.
fn listed_parts(connection: SelectionField<'_>) -> ListedParts {
    let mut parts = ListedParts::NONE;
    for field in connection.selection_set() {
        match field.name() {
            "edges" => field
                .selection_set()
                .filter(|edge| edge.name() == "node")
                .for_each(|node| add_parts(&mut parts, node)),
            "nodes" => add_parts(&mut parts, field),
            _ => {}
        }
    }
    parts
}

fn add_parts(parts: &mut ListedParts, product: SelectionField<'_>) {
    for field in product.selection_set() {
        match field.name() {
            "__typename" | "id" | "slug" | "name" | "status" | "createdAt" | "updatedAt"
            | "category" | "collections" => {}
            "description" => parts.description = true,
            "attributes" => parts.attributes = true,
            "imageUrls" => parts.image_urls = true,
            "variants" => {
                parts.variants = true;
                parts.variant_options |= field.selection_set().any(|v| v.name() == "options");
            }
            _ => *parts = ListedParts::ALL,
        }
    }
}

/// The connection fields that aggregate over the whole filter, not the page.
pub struct ProductListExtras {
    filter: Arc<domain::ProductFilter>,
}

#[Object]
impl ProductListExtras {
    /// How many products match the filter (may lag writes by a few seconds).
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        let catalog = ctx.data_unchecked::<CatalogService>();
        catalog
            .count_products(&self.filter)
            .await
            .map_err(top_level)
    }

    /// Matching products per category and per attribute value.
    async fn facets(&self, ctx: &Context<'_>) -> async_graphql::Result<ProductFacets> {
        let catalog = ctx.data_unchecked::<CatalogService>();
        let counts = catalog.facets(&self.filter).await.map_err(top_level)?;
        let mut attributes: Vec<AttributeFacet> = Vec::new();
        for (name, value, count) in counts.attributes {
            let value = AttributeValueCount { value, count };
            match attributes.last_mut() {
                Some(facet) if facet.name == name => facet.values.push(value),
                _ => attributes.push(AttributeFacet {
                    name,
                    values: vec![value],
                }),
            }
        }
        let categories = counts.categories.into_iter();
        Ok(ProductFacets {
            categories: categories
                .map(|(id, count)| CategoryFacet { id, count })
                .collect(),
            attributes,
        })
    }
}

#[derive(SimpleObject)]
pub struct ProductFacets {
    /// Largest first; a category counts the matching products of its whole subtree.
    pub categories: Vec<CategoryFacet>,
    /// By attribute name; values largest first.
    pub attributes: Vec<AttributeFacet>,
}

pub struct CategoryFacet {
    id: i64,
    count: i64,
}

#[Object]
impl CategoryFacet {
    async fn category(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Category>> {
        let tree = super::types::category_tree(ctx).await?;
        Ok(tree.get(self.id).cloned().map(Category::from))
    }

    async fn count(&self) -> i64 {
        self.count
    }
}

#[derive(SimpleObject)]
pub struct AttributeFacet {
    pub name: String,
    pub values: Vec<AttributeValueCount>,
}

#[derive(SimpleObject)]
pub struct AttributeValueCount {
    pub value: String,
    pub count: i64,
}
