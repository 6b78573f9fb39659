//! DataLoaders of what an order holds (lines, timeline, fulfillments) and of orders by id and
//! number: a list of orders costs one query per kind, never one per order. They keep no
//! cache, so they may live in schema data.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use commerce_kernel::Currency;
use commerce_kernel::error::top_level;

use crate::domain::{Fulfillment, Order, OrderEvent, OrderId, OrderLine};
use crate::service::OrdersService;

/// Orders by id (the `order` root field, `_entities`).
pub struct OrderLoader(pub OrdersService);

impl Loader<OrderId> for OrderLoader {
    type Value = Order;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[OrderId]) -> Result<HashMap<OrderId, Order>, Self::Error> {
        let orders = self.0.orders(keys).await.map_err(top_level)?;
        Ok(orders.into_iter().map(|order| (order.id, order)).collect())
    }
}

/// Orders by number (`orderByNumber`).
pub struct OrderNumberLoader(pub OrdersService);

impl Loader<i64> for OrderNumberLoader {
    type Value = Order;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Order>, Self::Error> {
        let orders = self.0.orders_by_number(keys).await.map_err(top_level)?;
        Ok(orders
            .into_iter()
            .map(|order| (order.number, order))
            .collect())
    }
}

/// Lines by order; the key carries the order's currency, which lines do not store.
pub struct LinesLoader(pub OrdersService);

impl Loader<(OrderId, Currency)> for LinesLoader {
    type Value = Vec<OrderLine>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[(OrderId, Currency)],
    ) -> Result<HashMap<(OrderId, Currency), Vec<OrderLine>>, Self::Error> {
        let currencies: HashMap<OrderId, Currency> = keys.iter().copied().collect();
        let mut lines = self.0.lines(&currencies).await.map_err(top_level)?;
        Ok(keys
            .iter()
            .map(|key| (*key, lines.remove(&key.0).unwrap_or_default()))
            .collect())
    }
}

pub struct TimelineLoader(pub OrdersService);

impl Loader<OrderId> for TimelineLoader {
    type Value = Vec<OrderEvent>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[OrderId],
    ) -> Result<HashMap<OrderId, Vec<OrderEvent>>, Self::Error> {
        self.0.timelines(keys).await.map_err(top_level)
    }
}

pub struct FulfillmentsLoader(pub OrdersService);

impl Loader<OrderId> for FulfillmentsLoader {
    type Value = Vec<Fulfillment>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[OrderId],
    ) -> Result<HashMap<OrderId, Vec<Fulfillment>>, Self::Error> {
        self.0.fulfillments(keys).await.map_err(top_level)
    }
}
