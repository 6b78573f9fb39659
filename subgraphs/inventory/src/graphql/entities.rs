//! Per-request state that makes batch costs deterministic: an `_entities` batch reads the stock
//! of every variant it names in one query, and warehouses (a shop has a handful) are read once
//! per request. DataLoaders batch by timing, which a busy machine can split; this cannot.

use std::collections::HashMap;

use async_graphql::{Context, Result, Value};
use tokio::sync::OnceCell;

use crate::domain::{Availability, VariantId, Warehouse, WarehouseId};
use crate::service::InventoryService;
use commerce_kernel::error::top_level;

/// Lives for one request; put there by the kernel's `entities::RequestScopes`.
#[derive(Default)]
pub struct RequestScope {
    entity_stock: OnceCell<HashMap<VariantId, Availability>>,
    warehouses: OnceCell<HashMap<WarehouseId, Warehouse>>,
}

impl RequestScope {
    pub fn of<'a>(ctx: &'a Context<'_>) -> Result<&'a Self> {
        ctx.data::<Self>()
    }

    /// Stock of every variant the current `_entities` batch names, directly or in a product's
    /// required `variants`, read with one query on first use.
    pub async fn entity_stock(
        &self,
        ctx: &Context<'_>,
    ) -> Result<&HashMap<VariantId, Availability>> {
        self.entity_stock
            .get_or_try_init(|| async {
                let variants = variants_in_representations(ctx)?;
                ctx.data::<InventoryService>()?
                    .availability(&variants)
                    .await
                    .map_err(top_level)
            })
            .await
    }

    /// A warehouse from the request's one read of all warehouses.
    pub async fn warehouse(&self, ctx: &Context<'_>, id: WarehouseId) -> Result<Option<Warehouse>> {
        let all = self
            .warehouses
            .get_or_try_init(|| async {
                let all = ctx
                    .data::<InventoryService>()?
                    .warehouses()
                    .await
                    .map_err(top_level)?;
                Ok::<_, async_graphql::Error>(all.into_iter().map(|w| (w.id, w)).collect())
            })
            .await?;
        Ok(all.get(&id).cloned())
    }
}

/// Variant ids in the `representations` argument of the field being resolved. Ids that do not
/// parse are skipped here; the entity resolver for that representation reports them.
fn variants_in_representations(ctx: &Context<'_>) -> Result<Vec<VariantId>> {
    let arguments = ctx.field().arguments()?;
    let representations = arguments
        .iter()
        .find(|(name, _)| name.as_str() == "representations")
        .map(|(_, value)| value);
    let Some(Value::List(representations)) = representations else {
        return Ok(Vec::new());
    };
    let mut variants = Vec::new();
    for representation in representations {
        let Value::Object(fields) = representation else {
            continue;
        };
        match fields.get("__typename") {
            Some(Value::String(name)) if name == "ProductVariant" => {
                variants.extend(parse_id(fields.get("id")));
            }
            Some(Value::String(name)) if name == "Product" => {
                if let Some(Value::List(required)) = fields.get("variants") {
                    variants.extend(required.iter().filter_map(|variant| match variant {
                        Value::Object(variant) => parse_id(variant.get("id")),
                        _ => None,
                    }));
                }
            }
            _ => {}
        }
    }
    variants.sort();
    variants.dedup();
    Ok(variants)
}

fn parse_id(value: Option<&Value>) -> Option<VariantId> {
    match value {
        Some(Value::String(id)) => VariantId::parse(id).ok(),
        _ => None,
    }
}
