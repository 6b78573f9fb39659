//! Reads: an order by id or number, the staff search, and the `Order` and `Customer` entities.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Object};
use commerce_kernel::ClientResultExt;
use commerce_kernel::error::top_level;
use commerce_kernel::pagination::PageRequest;

use super::inputs::{OrderFilterInput, OrderSortInput};
use super::loaders::{OrderLoader, OrderNumberLoader};
use super::types::{Customer, Order, OrderConnection, order_connection};
use super::{access, service_of};
use crate::domain::{OrderId, OrderSort};
use crate::service::OrderError;

#[derive(Default)]
pub struct Query;

#[Object]
impl Query {
    /// An order by id: for its customer, or staff with `orders:read` (null when there is no
    /// such order). Anyone else gets FORBIDDEN (UNAUTHENTICATED when signed out).
    async fn order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Order>> {
        let order = match OrderId::parse(&id) {
            Ok(id) => {
                ctx.data_unchecked::<DataLoader<OrderLoader>>()
                    .load_one(id)
                    .await?
            }
            // A malformed id names no order; the access rules still apply.
            Err(_) => None,
        };
        Ok(access::visible(ctx, order)?.map(Order))
    }

    /// An order by its number, with the same rules as `order`.
    async fn order_by_number(
        &self,
        ctx: &Context<'_>,
        number: i32,
    ) -> async_graphql::Result<Option<Order>> {
        let order = ctx
            .data_unchecked::<DataLoader<OrderNumberLoader>>()
            .load_one(i64::from(number))
            .await?;
        Ok(access::visible(ctx, order)?.map(Order))
    }

    /// Staff search (`orders:read`): every filter given must hold; newest first by default.
    async fn orders(
        &self,
        ctx: &Context<'_>,
        filter: Option<OrderFilterInput>,
        sort: Option<OrderSortInput>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<OrderConnection> {
        access::require_reader(ctx)?;
        let request = PageRequest::parse(first, after, last, before).or_client()?;
        let filter = filter.unwrap_or_default().parse().map_err(top_level)?;
        let sort = OrderSort::from(sort);
        let (page, total) = service_of(ctx)
            .search(&filter, sort, &request)
            .await
            .map_err(top_level)?;
        Ok(order_connection(page, sort, total))
    }

    /// An order for the router: null when the viewer may not read it (see `order`).
    #[graphql(entity)]
    async fn find_order_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Order>> {
        let id = OrderId::parse(&id)
            .map_err(OrderError::InvalidId)
            .map_err(top_level)?;
        let order = ctx
            .data_unchecked::<DataLoader<OrderLoader>>()
            .load_one(id)
            .await?;
        Ok(order
            .filter(|order| access::may_read(ctx, order))
            .map(Order))
    }

    /// Any customer id resolves; `orders` checks who asks.
    #[graphql(entity)]
    async fn find_customer_by_id(&self, id: ID) -> Customer {
        Customer { id }
    }
}
