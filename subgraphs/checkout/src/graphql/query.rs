//! Reads: a cart by id or token, the signed-in customer's cart, and (staff) shipping zones
//! and methods.

use async_graphql::{Context, ID, Object};
use commerce_kernel::error::top_level;

use super::access::{self, SHIPPING_READ, cart_ref, viewer};
use super::service_of;
use super::types::{Cart, ShippingMethod, ShippingZone};
use crate::service::CheckoutError;

#[derive(Default)]
pub struct Query;

#[Object]
impl Query {
    /// A cart by `cartId` (a customer's own) or `token` (a guest cart). Null when there is
    /// none; FORBIDDEN when it is someone else's.
    async fn cart(
        &self,
        ctx: &Context<'_>,
        cart_id: Option<ID>,
        token: Option<String>,
    ) -> async_graphql::Result<Option<Cart>> {
        let reference = cart_ref(cart_id, token)?;
        match service_of(ctx).cart(viewer(ctx), &reference).await {
            Ok(cart) => Ok(Some(cart.into())),
            Err(CheckoutError::CartNotFound) => Ok(None),
            Err(error) => Err(top_level(error)),
        }
    }

    /// The signed-in customer's active cart; null when they have none.
    async fn my_cart(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Cart>> {
        let cart = service_of(ctx).my_cart(viewer(ctx)).await;
        Ok(cart.map_err(top_level)?.map(Cart::from))
    }

    /// Staff (`shipping:read`): every shipping zone.
    async fn shipping_zones(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ShippingZone>> {
        access::require(ctx, SHIPPING_READ)?;
        let zones = service_of(ctx).shipping_zones().await.map_err(top_level)?;
        Ok(zones.into_iter().map(ShippingZone).collect())
    }

    /// Staff (`shipping:read`): every shipping method.
    async fn shipping_methods(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<ShippingMethod>> {
        access::require(ctx, SHIPPING_READ)?;
        let methods = service_of(ctx)
            .shipping_methods()
            .await
            .map_err(top_level)?;
        Ok(methods.into_iter().map(ShippingMethod).collect())
    }
}
