//! Query root: warehouses, the movement log, reservations, and the federation entity
//! resolvers. Entity resolvers read the whole batch's stock with one query on first use (see
//! `entities`), so an `_entities` batch costs one stock query whatever its size.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, Result};
use commerce_kernel::error::client_error;
use commerce_kernel::pagination::{Cursor, PageRequest, TotalCount, connection};
use commerce_kernel::{ClientResultExt, ErrorCode, GlobalId};

use super::access::require_writer;
use super::entities::RequestScope;
use super::types::{Product, ProductVariant, Reservation, StockMovement, Warehouse};
use crate::domain::{VariantId, WarehouseId};
use crate::service::{InventoryService, MovementFilter};
use commerce_kernel::error::top_level;

pub struct Query;

/// A variant as the router sends it inside a product representation (`variants { id }`).
#[derive(InputObject)]
#[graphql(visible = false)]
pub struct VariantRepresentation {
    id: ID,
}

#[Object]
impl Query {
    /// Every warehouse, by code.
    async fn warehouses(&self, ctx: &Context<'_>) -> Result<Vec<Warehouse>> {
        let warehouses = ctx
            .data::<InventoryService>()?
            .warehouses()
            .await
            .map_err(top_level)?;
        Ok(warehouses.into_iter().map(Warehouse).collect())
    }

    /// A warehouse by id, or null if there is none.
    async fn warehouse(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Warehouse>> {
        let id = WarehouseId::parse(&id).or_client()?;
        let found = RequestScope::of(ctx)?.warehouse(ctx, id).await?;
        Ok(found.map(Warehouse))
    }

    /// The movement log, newest first, optionally for one variant and/or warehouse.
    async fn stock_movements(
        &self,
        ctx: &Context<'_>,
        variant_id: Option<ID>,
        warehouse_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, StockMovement, TotalCount>> {
        require_writer(ctx)?;
        let filter = MovementFilter {
            variant: variant_id
                .as_ref()
                .map(|id| VariantId::parse(id))
                .transpose()
                .or_client()?,
            warehouse: warehouse_id
                .as_ref()
                .map(|id| WarehouseId::parse(id))
                .transpose()
                .or_client()?,
        };
        let request = PageRequest::parse(first, after, last, before).or_client()?;
        let inventory = ctx.data::<InventoryService>()?;
        let (page, total) = inventory
            .movements(&filter, &request)
            .await
            .map_err(top_level)?;
        Ok(connection(
            page.map(StockMovement),
            |movement| Cursor(vec![movement.0.id.into()]),
            total,
        ))
    }

    /// A reservation by the key it was made with; a lapsed one reads as `EXPIRED`.
    async fn reservation(&self, ctx: &Context<'_>, key: String) -> Result<Option<Reservation>> {
        require_writer(ctx)?;
        let found = ctx
            .data::<InventoryService>()?
            .reservation(&key)
            .await
            .map_err(top_level)?;
        Ok(found.map(Reservation))
    }

    #[graphql(entity)]
    async fn find_product_variant_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<ProductVariant> {
        let id = VariantId::parse(&id).or_client()?;
        let batch = RequestScope::of(ctx)?.entity_stock(ctx).await?;
        let stock = batch.get(&id).cloned().unwrap_or_default();
        Ok(ProductVariant::with_stock(id, stock))
    }

    #[graphql(entity)]
    async fn find_product_by_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(key)] id: ID,
        variants: Option<Vec<VariantRepresentation>>,
    ) -> Result<Product> {
        check_product_id(&id)?;
        let variants: Vec<VariantId> = variants
            .unwrap_or_default()
            .iter()
            .map(|variant| VariantId::parse(&variant.id))
            .collect::<Result<_, _>>()
            .or_client()?;
        let batch = RequestScope::of(ctx)?.entity_stock(ctx).await?;
        let in_stock = variants
            .iter()
            .any(|variant| batch.get(variant).is_some_and(|stock| stock.in_stock()));
        Ok(Product {
            id,
            variants,
            in_stock,
        })
    }

    #[graphql(entity)]
    async fn find_warehouse_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Warehouse> {
        let key = WarehouseId::parse(&id).or_client()?;
        let found = RequestScope::of(ctx)?.warehouse(ctx, key).await?;
        let not_found = || {
            client_error(
                ErrorCode::NotFound,
                format!("warehouse {:?} not found", id.as_str()),
            )
        };
        found.map(Warehouse).ok_or_else(not_found)
    }
}

/// Product ids belong to the catalog; only their type is checked, for a clear error.
fn check_product_id(id: &str) -> Result<()> {
    let product = GlobalId::parse(id).or_client()?;
    if product.type_name() == "Product" {
        return Ok(());
    }
    Err(client_error(
        ErrorCode::BadUserInput,
        format!("id {id:?} is a {}, expected a Product", product.type_name()),
    ))
}
