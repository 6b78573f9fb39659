//! Raw input of the use cases as callers send it, and its parsing into domain values. No I/O.

use commerce_kernel::{Currency, GlobalId, Money, ValidationError};
use serde::Serialize;

use super::{Address, OrderError, OrderLineId, ShippingMethod, Totals};

/// Most lines one order may hold (a checkout's cart lines).
pub const MAX_LINES: usize = 200;
/// Largest quantity of one line.
pub const MAX_QUANTITY: i64 = 100_000;
const MAX_TEXT: usize = 500;

#[derive(Debug, Clone, Serialize)]
pub struct RawAddress {
    pub first_name: String,
    pub last_name: String,
    pub company: Option<String>,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country_code: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RawLine {
    pub variant_id: String,
    pub product_id: String,
    pub sku: String,
    pub product_name: String,
    pub variant_name: Option<String>,
    pub quantity: i32,
    pub unit_price: String,
    pub discount: String,
    pub tax: String,
    pub total: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RawShippingMethod {
    pub id: String,
    pub name: String,
    pub price: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RawTotals {
    pub subtotal: String,
    pub discount_total: String,
    pub shipping_total: String,
    pub tax_total: String,
    pub total: String,
    pub tax_inclusive: bool,
}

/// What the checkout saga sends to place an order: everything copied at order time.
#[derive(Debug, Clone, Serialize)]
pub struct RawOrder {
    pub checkout_id: String,
    pub customer_id: Option<String>,
    pub email: String,
    pub currency: String,
    pub lines: Vec<RawLine>,
    pub shipping_address: RawAddress,
    pub billing_address: Option<RawAddress>,
    pub shipping_method: Option<RawShippingMethod>,
    pub totals: RawTotals,
    pub coupon_codes: Vec<String>,
    pub payment_intent_id: Option<String>,
    pub reservation_key: Option<String>,
}

/// A line of a new order, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewLine {
    pub variant_id: String,
    pub product_id: String,
    pub sku: String,
    pub product_name: String,
    pub variant_name: Option<String>,
    pub quantity: i64,
    pub unit_price: Money,
    pub discount: Money,
    pub tax: Money,
    pub total: Money,
}

/// An order to place, validated; serialized, it is the request an idempotency key is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewOrder {
    pub checkout_id: String,
    pub customer_id: Option<String>,
    pub email: String,
    pub currency: Currency,
    pub lines: Vec<NewLine>,
    pub shipping_address: Address,
    pub billing_address: Address,
    pub shipping_method: Option<ShippingMethod>,
    pub totals: Totals,
    pub coupon_codes: Vec<String>,
    pub payment_intent_id: Option<String>,
    pub reservation_key: Option<String>,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> OrderError {
    OrderError::Invalid(ValidationError::new(field, message))
}

fn text(field: &str, value: &str) -> Result<String, OrderError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > MAX_TEXT {
        return Err(invalid(field, format!("must be 1-{MAX_TEXT} characters")));
    }
    Ok(value.to_owned())
}

fn optional_text(field: &str, value: Option<&str>) -> Result<Option<String>, OrderError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => text(field, value).map(Some),
    }
}

fn global_id(field: &str, value: &str, type_name: &str) -> Result<String, OrderError> {
    match GlobalId::parse(value) {
        Ok(id) if id.type_name() == type_name => Ok(value.trim().to_owned()),
        _ => Err(invalid(field, format!("{value:?} is not a {type_name} id"))),
    }
}

/// A non-negative amount in the order's currency.
pub fn amount(field: &str, value: &str, currency: Currency) -> Result<Money, OrderError> {
    match Money::parse_decimal(value, currency) {
        Ok(money) if money.amount >= 0 => Ok(money),
        Ok(_) => Err(invalid(field, "must not be negative")),
        Err(error) => Err(invalid(field, error.to_string())),
    }
}

/// A trimmed, lower-cased email with one `@` between non-empty parts.
pub fn email(field: &str, value: &str) -> Result<String, OrderError> {
    let value = value.trim().to_lowercase();
    match value.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.contains('@') =>
        {
            Ok(value)
        }
        _ => Err(invalid(field, format!("{value:?} is not an email address"))),
    }
}

impl RawAddress {
    fn parse(&self, field: &str) -> Result<Address, OrderError> {
        let at = |name: &str| format!("{field}.{name}");
        let country = self.country_code.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid(
                at("countryCode"),
                "must be an ISO 3166-1 alpha-2 code",
            ));
        }
        Ok(Address {
            first_name: text(&at("firstName"), &self.first_name)?,
            last_name: text(&at("lastName"), &self.last_name)?,
            company: optional_text(&at("company"), self.company.as_deref())?,
            line1: text(&at("line1"), &self.line1)?,
            line2: optional_text(&at("line2"), self.line2.as_deref())?,
            city: text(&at("city"), &self.city)?,
            region: optional_text(&at("region"), self.region.as_deref())?,
            postal_code: text(&at("postalCode"), &self.postal_code)?,
            country_code: country,
            phone: optional_text(&at("phone"), self.phone.as_deref())?,
        })
    }
}

impl RawLine {
    fn parse(&self, index: usize, currency: Currency) -> Result<NewLine, OrderError> {
        let at = |name: &str| format!("lines[{index}].{name}");
        let quantity = i64::from(self.quantity);
        if !(1..=MAX_QUANTITY).contains(&quantity) {
            return Err(invalid(at("quantity"), format!("must be 1-{MAX_QUANTITY}")));
        }
        Ok(NewLine {
            variant_id: global_id(&at("variantId"), &self.variant_id, "ProductVariant")?,
            product_id: global_id(&at("productId"), &self.product_id, "Product")?,
            sku: text(&at("sku"), &self.sku)?,
            product_name: text(&at("productName"), &self.product_name)?,
            variant_name: optional_text(&at("variantName"), self.variant_name.as_deref())?,
            quantity,
            unit_price: amount(&at("unitPrice"), &self.unit_price, currency)?,
            discount: amount(&at("discount"), &self.discount, currency)?,
            tax: amount(&at("tax"), &self.tax, currency)?,
            total: amount(&at("total"), &self.total, currency)?,
        })
    }
}

impl RawTotals {
    fn parse(&self, currency: Currency) -> Result<Totals, OrderError> {
        let field = |name: &str| format!("totals.{name}");
        Ok(Totals {
            subtotal: amount(&field("subtotal"), &self.subtotal, currency)?,
            discount_total: amount(&field("discountTotal"), &self.discount_total, currency)?,
            shipping_total: amount(&field("shippingTotal"), &self.shipping_total, currency)?,
            tax_total: amount(&field("taxTotal"), &self.tax_total, currency)?,
            total: amount(&field("total"), &self.total, currency)?,
            tax_inclusive: self.tax_inclusive,
        })
    }
}

impl RawOrder {
    /// Validates every field. Amounts are taken as the checkout priced them (pricing owns the
    /// rules); only their currency and sign are checked here.
    pub fn parse(&self) -> Result<NewOrder, OrderError> {
        let currency = Currency::parse(&self.currency)
            .map_err(|error| invalid("currency", error.to_string()))?;
        if self.lines.is_empty() || self.lines.len() > MAX_LINES {
            return Err(invalid(
                "lines",
                format!("an order needs 1-{MAX_LINES} lines"),
            ));
        }
        let lines = self
            .lines
            .iter()
            .enumerate()
            .map(|(index, line)| line.parse(index, currency))
            .collect::<Result<Vec<_>, _>>()?;
        let shipping_address = self.shipping_address.parse("shippingAddress")?;
        let billing_address = match &self.billing_address {
            Some(address) => address.parse("billingAddress")?,
            None => shipping_address.clone(),
        };
        let shipping_method = self
            .shipping_method
            .as_ref()
            .map(|method| {
                Ok::<_, OrderError>(ShippingMethod {
                    id: text("shippingMethod.id", &method.id)?,
                    name: text("shippingMethod.name", &method.name)?,
                    price: amount("shippingMethod.price", &method.price, currency)?,
                })
            })
            .transpose()?;
        let coupon_codes = self
            .coupon_codes
            .iter()
            .map(|code| text("couponCodes", code).map(|code| code.to_uppercase()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NewOrder {
            checkout_id: text("checkoutId", &self.checkout_id)?,
            customer_id: self
                .customer_id
                .as_deref()
                .map(|id| global_id("customerId", id, "Customer"))
                .transpose()?,
            email: email("email", &self.email)?,
            currency,
            lines,
            shipping_address,
            billing_address,
            shipping_method,
            totals: self.totals.parse(currency)?,
            coupon_codes,
            payment_intent_id: optional_text("paymentIntentId", self.payment_intent_id.as_deref())?,
            reservation_key: optional_text("reservationKey", self.reservation_key.as_deref())?,
        })
    }
}

/// Order lines and quantities, as staff pick them for a fulfillment or a return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineQuantity {
    pub order_line_id: OrderLineId,
    pub quantity: i64,
}

impl LineQuantity {
    pub fn parse(index: usize, order_line_id: &str, quantity: i32) -> Result<Self, OrderError> {
        let order_line_id = OrderLineId::parse(order_line_id)
            .map_err(|error| invalid(format!("lines[{index}].orderLineId"), error.message))?;
        if quantity < 1 {
            return Err(invalid(
                format!("lines[{index}].quantity"),
                "must be at least 1",
            ));
        }
        Ok(Self {
            order_line_id,
            quantity: i64::from(quantity),
        })
    }
}

/// An idempotency key: 1-200 visible characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(value: &str) -> Result<Self, OrderError> {
        let value = value.trim();
        if value.is_empty() || value.len() > 200 {
            return Err(invalid("idempotencyKey", "must be 1-200 characters"));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key this one derives for a call to another service, so a retry of ours sends the
    /// same key there too.
    pub fn derive(&self, step: &str) -> String {
        format!("order:{}:{step}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn address() -> RawAddress {
        RawAddress {
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            company: None,
            line1: "1 Analytical St".into(),
            line2: Some("  ".into()),
            city: "London".into(),
            region: None,
            postal_code: "N1 1AA".into(),
            country_code: "gb".into(),
            phone: None,
        }
    }

    fn order() -> RawOrder {
        RawOrder {
            checkout_id: "checkout-1".into(),
            customer_id: Some(GlobalId::encode("Customer", 1)),
            email: " Ada@Example.COM ".into(),
            currency: "eur".into(),
            lines: vec![RawLine {
                variant_id: GlobalId::encode("ProductVariant", 1),
                product_id: GlobalId::encode("Product", 1),
                sku: "SKU-1".into(),
                product_name: "Shirt".into(),
                variant_name: Some("Blue / M".into()),
                quantity: 2,
                unit_price: "10.00".into(),
                discount: "0".into(),
                tax: "3.80".into(),
                total: "20.00".into(),
            }],
            shipping_address: address(),
            billing_address: None,
            shipping_method: None,
            totals: RawTotals {
                subtotal: "20.00".into(),
                discount_total: "0".into(),
                shipping_total: "0".into(),
                tax_total: "3.80".into(),
                total: "20.00".into(),
                tax_inclusive: true,
            },
            coupon_codes: vec!["winter".into()],
            payment_intent_id: None,
            reservation_key: None,
        }
    }

    fn field_of(result: Result<NewOrder, OrderError>) -> String {
        match result {
            Err(OrderError::Invalid(error)) => error.field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn parses_and_normalises_an_order() {
        let order = order().parse().expect("valid order");
        assert_eq!(order.email, "ada@example.com");
        assert_eq!(order.currency.code(), "EUR");
        assert_eq!(order.shipping_address.country_code, "GB");
        assert_eq!(order.shipping_address.line2, None);
        assert_eq!(order.billing_address, order.shipping_address);
        assert_eq!(order.lines[0].unit_price.amount, 1000);
        assert_eq!(order.coupon_codes, vec!["WINTER"]);
    }

    #[test]
    fn names_the_field_that_is_wrong() {
        let mut bad = order();
        bad.lines[0].quantity = 0;
        assert_eq!(field_of(bad.parse()), "lines[0].quantity");
        let mut bad = order();
        bad.lines[0].unit_price = "-1.00".into();
        assert_eq!(field_of(bad.parse()), "lines[0].unitPrice");
        let mut bad = order();
        bad.currency = "XXX".into();
        assert_eq!(field_of(bad.parse()), "currency");
        let mut bad = order();
        bad.email = "nobody".into();
        assert_eq!(field_of(bad.parse()), "email");
        let mut bad = order();
        bad.customer_id = Some(GlobalId::encode("Product", 1));
        assert_eq!(field_of(bad.parse()), "customerId");
        let mut bad = order();
        bad.lines.clear();
        assert_eq!(field_of(bad.parse()), "lines");
        let mut bad = order();
        bad.totals.total = "1.001".into();
        assert_eq!(field_of(bad.parse()), "totals.total");
    }
}
