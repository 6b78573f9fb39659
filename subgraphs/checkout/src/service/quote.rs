//! A cart's prices: pricing's totals with the chosen shipping method's price, and every
//! shipping method that serves the cart, priced for it. A quote costs a constant number of
//! statements and calls whatever the number of lines: the cart (2 statements), zones and
//! methods (2), the catalog (1 call) and pricing (1 call; 2 when a free-over threshold changes
//! the chosen method's price).

use std::collections::HashMap;

use commerce_kernel::Money;
use commerce_kernel::viewer::Viewer;
use tracing::instrument;

use super::CheckoutService;
use crate::domain::{Cart, CheckoutError, Country, ShippingMethod};
use crate::remote::{PriceCartResult, PriceLine, PriceRequest, Shopper, Variant};
use crate::store;

/// A shipping method that serves the cart, with its price for it.
#[derive(Debug, Clone)]
pub struct ShippingOption {
    pub method: ShippingMethod,
    pub price: Money,
}

/// Everything the cart's price fields show, computed once per cart per request.
#[derive(Debug, Clone, Default)]
pub struct CartQuote {
    /// Pricing's answer; `None` when the cart is empty or has no destination yet.
    pub priced: Option<PriceCartResult>,
    pub shipping_options: Vec<ShippingOption>,
    /// The catalog's view of the cart's variants (the checkout copies names and SKUs).
    pub variants: HashMap<String, Variant>,
}

impl CheckoutService {
    /// Methods whose zone covers `country`, oldest first.
    async fn methods_for(&self, country: Country) -> Result<Vec<ShippingMethod>, CheckoutError> {
        let (zones, methods) = tokio::try_join!(store::zones(&self.db), store::methods(&self.db))?;
        Ok(methods
            .into_iter()
            .filter(|method| {
                zones
                    .iter()
                    .any(|zone| zone.id == method.zone_id && zone.covers(country))
            })
            .collect())
    }

    /// Whether method `id` ships to `country`.
    pub(crate) async fn method_serves(
        &self,
        id: i64,
        country: Country,
    ) -> Result<bool, CheckoutError> {
        Ok(self.methods_for(country).await?.iter().any(|m| m.id == id))
    }

    /// Prices the cart for `viewer` (see the module comment for what it costs).
    #[instrument(skip_all, fields(cart = cart.id, lines = cart.lines.len()))]
    pub async fn quote(&self, cart: &Cart, viewer: &Viewer) -> Result<CartQuote, CheckoutError> {
        let shopper = shopper(cart, viewer);
        let Some(country) = cart.destination() else {
            return Ok(CartQuote::default());
        };
        let zero = Money::zero(cart.currency);
        let methods = self.methods_for(country).await?;
        if cart.lines.is_empty() {
            return Ok(CartQuote {
                shipping_options: options(methods, zero, 0),
                ..CartQuote::default()
            });
        }
        let ids: Vec<String> = cart.lines.iter().map(|l| l.variant_id.clone()).collect();
        let variants = self.remote.variants(&ids).await?;
        let chosen = cart
            .shipping_method_id
            .and_then(|id| methods.iter().find(|m| m.id == id));
        // Before the subtotal is known a free-over method is quoted at its full price.
        let first_price =
            chosen.and_then(|method| method.quote(zero, weight_grams(cart, &variants)));
        let priced = self
            .price(cart, &variants, country, first_price, shopper.as_ref())
            .await?;
        let PriceCartResult::PricedCart(totals) = &priced else {
            return Ok(CartQuote {
                priced: Some(priced),
                variants,
                ..CartQuote::default()
            });
        };
        let subtotal = after_discounts(cart, totals)?;
        let weight = weight_grams(cart, &variants);
        let final_price = chosen.and_then(|method| method.quote(subtotal, weight));
        let priced = if final_price == first_price {
            priced
        } else {
            self.price(cart, &variants, country, final_price, shopper.as_ref())
                .await?
        };
        Ok(CartQuote {
            priced: Some(priced),
            shipping_options: options(methods, subtotal, weight),
            variants,
        })
    }

    async fn price(
        &self,
        cart: &Cart,
        variants: &HashMap<String, Variant>,
        country: Country,
        shipping: Option<Money>,
        shopper: Option<&Shopper>,
    ) -> Result<PriceCartResult, CheckoutError> {
        let lines = cart
            .lines
            .iter()
            .map(|line| PriceLine {
                variant_id: &line.variant_id,
                variant: variants.get(&line.variant_id),
                quantity: line.quantity,
            })
            .collect();
        let region = cart
            .shipping_address
            .as_ref()
            .and_then(|address| address.region.as_deref());
        self.remote
            .price_cart(&PriceRequest {
                lines,
                currency: cart.currency.code(),
                coupon_codes: &cart.coupon_codes,
                shipping: shipping.map(|price| price.to_decimal_string()),
                country: country.code(),
                region,
                shopper,
            })
            .await
    }
}

/// What the cart weighs; variants without a known weight count as weightless.
fn weight_grams(cart: &Cart, variants: &HashMap<String, Variant>) -> i64 {
    cart.lines
        .iter()
        .map(|line| {
            let grams = variants
                .get(&line.variant_id)
                .and_then(|v| v.weight_grams)
                .unwrap_or(0);
            i64::from(grams) * i64::from(line.quantity)
        })
        .sum()
}

/// A customer's cart is priced for its customer: their coupon uses, and their groups' prices
/// when they are the one asking (their token carries the groups).
fn shopper(cart: &Cart, viewer: &Viewer) -> Option<Shopper> {
    let customer_id = cart.customer_id.clone()?;
    let groups = if viewer.customer_id() == Some(customer_id.as_str()) {
        viewer.customer_groups().to_vec()
    } else {
        Vec::new()
    };
    Some(Shopper {
        customer_id,
        groups,
    })
}

/// The lines' subtotal after order discounts: what a free-over threshold is compared with.
fn after_discounts(
    cart: &Cart,
    totals: &crate::remote::PricedCart,
) -> Result<Money, CheckoutError> {
    let money = |value: &crate::remote::MoneyValue| {
        Money::parse_decimal(&value.amount, cart.currency)
            .map_err(|error| CheckoutError::unexpected(format!("pricing's amount: {error}")))
    };
    money(&totals.subtotal)?
        .checked_sub(money(&totals.order_discount_total)?)
        .map_err(|error| CheckoutError::unexpected(error.to_string()))
}

fn options(
    methods: Vec<ShippingMethod>,
    subtotal: Money,
    weight_grams: i64,
) -> Vec<ShippingOption> {
    methods
        .into_iter()
        .filter_map(|method| {
            let price = method.quote(subtotal, weight_grams)?;
            Some(ShippingOption { method, price })
        })
        .collect()
}
