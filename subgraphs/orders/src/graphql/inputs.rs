//! Input objects, and their conversion into the domain's raw input and filters.

use async_graphql::{Enum, ID, InputObject};
use chrono::{DateTime, Utc};
use commerce_kernel::{Currency, Money, ValidationError};

use super::types::OrderStatus;
use crate::domain::{
    self, OrderFilter, OrderSort, RawAddress, RawLine, RawOrder, RawShippingMethod, RawTotals,
    SortField,
};
use crate::service::OrderError;

/// An amount as a decimal string in a currency, e.g. `{currency: "EUR", amount: "19.90"}`.
#[derive(InputObject)]
pub struct MoneyInput {
    pub currency: String,
    pub amount: String,
}

impl MoneyInput {
    pub fn parse(&self, field: &str) -> Result<Money, OrderError> {
        let currency = Currency::parse(&self.currency).map_err(|error| {
            ValidationError::new(format!("{field}.currency"), error.to_string())
        })?;
        domain::amount(&format!("{field}.amount"), &self.amount, currency)
    }
}

/// Staff search filters; every given one must hold.
#[derive(InputObject, Default)]
pub struct OrderFilterInput {
    /// Any of these statuses.
    pub status: Option<Vec<OrderStatus>>,
    /// Placed at or after.
    pub placed_from: Option<DateTime<Utc>>,
    /// Placed at or before.
    pub placed_to: Option<DateTime<Utc>>,
    pub customer_id: Option<ID>,
    /// Grand total at least this (orders in this currency only).
    pub total_min: Option<MoneyInput>,
    /// Grand total at most this (orders in this currency only).
    pub total_max: Option<MoneyInput>,
    pub number: Option<i32>,
    /// The order's email, exactly (case-insensitive).
    pub email: Option<String>,
}

impl OrderFilterInput {
    pub fn parse(self) -> Result<OrderFilter, OrderError> {
        let total_min = self
            .total_min
            .map(|m| m.parse("filter.totalMin"))
            .transpose()?;
        let total_max = self
            .total_max
            .map(|m| m.parse("filter.totalMax"))
            .transpose()?;
        if let (Some(min), Some(max)) = (total_min, total_max)
            && min.currency != max.currency
        {
            return Err(ValidationError::new(
                "filter.totalMax",
                "totalMin and totalMax must be in one currency",
            )
            .into());
        }
        Ok(OrderFilter {
            statuses: self
                .status
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            placed_from: self.placed_from,
            placed_to: self.placed_to,
            customer_id: self.customer_id.map(|id| id.to_string()),
            total_min,
            total_max,
            number: self.number.map(i64::from),
            email: self
                .email
                .map(|email| email.trim().to_lowercase())
                .filter(|email| !email.is_empty()),
        })
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OrderSortField {
    Number,
    #[default]
    PlacedAt,
    Total,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OrderSortDirection {
    Asc,
    #[default]
    Desc,
}

/// Newest first unless told otherwise; ties break on the order id.
#[derive(InputObject)]
pub struct OrderSortInput {
    #[graphql(default)]
    pub field: OrderSortField,
    #[graphql(default)]
    pub direction: OrderSortDirection,
}

impl From<Option<OrderSortInput>> for OrderSort {
    fn from(input: Option<OrderSortInput>) -> Self {
        let Some(input) = input else {
            return OrderSort::newest_first();
        };
        OrderSort {
            field: match input.field {
                OrderSortField::Number => SortField::Number,
                OrderSortField::PlacedAt => SortField::PlacedAt,
                OrderSortField::Total => SortField::Total,
            },
            descending: input.direction == OrderSortDirection::Desc,
        }
    }
}

/// A postal address to copy into the order. This and the other inputs of `placeOrder` are
/// internal like it, so the router's public schema leaves them out too.
#[derive(InputObject)]
#[graphql(inaccessible)]
pub struct OrderAddressInput {
    pub first_name: String,
    pub last_name: String,
    pub company: Option<String>,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. `GB`, `DE`, `US`.
    pub country_code: String,
    pub phone: Option<String>,
}

impl From<OrderAddressInput> for RawAddress {
    fn from(input: OrderAddressInput) -> Self {
        Self {
            first_name: input.first_name,
            last_name: input.last_name,
            company: input.company,
            line1: input.line1,
            line2: input.line2,
            city: input.city,
            region: input.region,
            postal_code: input.postal_code,
            country_code: input.country_code,
            phone: input.phone,
        }
    }
}

/// A cart line as checkout priced it. Amounts are decimals in the order's currency; `discount`,
/// `tax` and `total` are for the whole line.
#[derive(InputObject)]
#[graphql(inaccessible)]
pub struct PlaceOrderLineInput {
    pub variant_id: ID,
    pub product_id: ID,
    pub sku: String,
    pub product_name: String,
    pub variant_name: Option<String>,
    pub quantity: i32,
    pub unit_price: String,
    pub discount: String,
    pub tax: String,
    pub total: String,
}

#[derive(InputObject)]
#[graphql(inaccessible)]
pub struct OrderShippingMethodInput {
    pub id: ID,
    pub name: String,
    pub price: String,
}

#[derive(InputObject)]
#[graphql(inaccessible)]
pub struct OrderTotalsInput {
    pub subtotal: String,
    pub discount_total: String,
    pub shipping_total: String,
    pub tax_total: String,
    pub total: String,
    pub tax_inclusive: bool,
}

/// Everything an order copies at checkout.
#[derive(InputObject)]
#[graphql(inaccessible)]
pub struct PlaceOrderInput {
    /// The checkout (cart) the order comes from.
    pub checkout_id: String,
    /// The signed-in customer; null for a guest.
    pub customer_id: Option<ID>,
    pub email: String,
    /// ISO 4217 code of every amount below.
    pub currency: String,
    pub lines: Vec<PlaceOrderLineInput>,
    pub shipping_address: OrderAddressInput,
    /// Null: the same as the shipping address.
    pub billing_address: Option<OrderAddressInput>,
    pub shipping_method: Option<OrderShippingMethodInput>,
    pub totals: OrderTotalsInput,
    #[graphql(default)]
    pub coupon_codes: Vec<String>,
    /// The payments subgraph's `PaymentIntent` id of the authorization.
    pub payment_intent_id: Option<ID>,
    /// The inventory reservation key the stock is committed from.
    pub reservation_key: Option<String>,
}

impl From<PlaceOrderInput> for RawOrder {
    fn from(input: PlaceOrderInput) -> Self {
        Self {
            checkout_id: input.checkout_id,
            customer_id: input.customer_id.map(|id| id.to_string()),
            email: input.email,
            currency: input.currency,
            lines: input
                .lines
                .into_iter()
                .map(|line| RawLine {
                    variant_id: line.variant_id.to_string(),
                    product_id: line.product_id.to_string(),
                    sku: line.sku,
                    product_name: line.product_name,
                    variant_name: line.variant_name,
                    quantity: line.quantity,
                    unit_price: line.unit_price,
                    discount: line.discount,
                    tax: line.tax,
                    total: line.total,
                })
                .collect(),
            shipping_address: input.shipping_address.into(),
            billing_address: input.billing_address.map(Into::into),
            shipping_method: input.shipping_method.map(|method| RawShippingMethod {
                id: method.id.to_string(),
                name: method.name,
                price: method.price,
            }),
            totals: RawTotals {
                subtotal: input.totals.subtotal,
                discount_total: input.totals.discount_total,
                shipping_total: input.totals.shipping_total,
                tax_total: input.totals.tax_total,
                total: input.totals.total,
                tax_inclusive: input.totals.tax_inclusive,
            },
            coupon_codes: input.coupon_codes,
            payment_intent_id: input.payment_intent_id.map(|id| id.to_string()),
            reservation_key: input.reservation_key,
        }
    }
}

/// Units of one order line.
#[derive(InputObject)]
pub struct OrderLineQuantityInput {
    pub order_line_id: ID,
    pub quantity: i32,
}

/// A fulfillment: lines from one warehouse.
#[derive(InputObject)]
pub struct OrderFulfillInput {
    /// The inventory's `Warehouse` id.
    pub warehouse_id: ID,
    pub lines: Vec<OrderLineQuantityInput>,
    #[graphql(default)]
    pub tracking_numbers: Vec<String>,
}
