//! GraphQL output types: carts with their lines, addresses, totals and shipping options,
//! shipping zones and methods, and the `ProductVariant` stub lines point at. Built from domain
//! values, never from rows.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use commerce_kernel::error::top_level;
use tokio::sync::OnceCell;

use super::service_of;
use crate::domain::{self, LineId, ShippingKind};
use crate::remote::{MoneyValue, PriceCartResult, PricedCart};
use crate::service::CartQuote;

/// An exact amount: a decimal string with the currency's digits (`"19.90"`), never a float.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
#[graphql(shareable)]
pub struct Money {
    /// Decimal with exactly the currency's minor digits, e.g. `"19.90"` (EUR) or `"500"` (JPY).
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
}

impl From<commerce_kernel::Money> for Money {
    fn from(value: commerce_kernel::Money) -> Self {
        Self {
            amount: value.to_decimal_string(),
            currency: value.currency.code().to_owned(),
        }
    }
}

impl From<&MoneyValue> for Money {
    fn from(value: &MoneyValue) -> Self {
        Self {
            amount: value.amount.clone(),
            currency: value.currency.clone(),
        }
    }
}

/// The catalog's variant; checkout only knows its id (the router resolves the rest).
#[derive(SimpleObject)]
#[graphql(unresolvable = "id")]
pub struct ProductVariant {
    pub id: ID,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum CartStatus {
    /// Open for changes.
    Active,
    /// A checkout is running; the cart opens again if it fails.
    CheckingOut,
    /// An order was placed from it.
    Completed,
    /// Its lines moved into a customer's cart.
    Merged,
}

impl From<domain::CartStatus> for CartStatus {
    fn from(status: domain::CartStatus) -> Self {
        match status {
            domain::CartStatus::Active => Self::Active,
            domain::CartStatus::CheckingOut => Self::CheckingOut,
            domain::CartStatus::Completed => Self::Completed,
            domain::CartStatus::Merged => Self::Merged,
        }
    }
}

/// A cart with its price fields computed once per request (one catalog and one pricing call
/// for all of them).
pub struct Cart {
    cart: domain::Cart,
    quote: OnceCell<Arc<CartQuote>>,
}

impl From<domain::Cart> for Cart {
    fn from(cart: domain::Cart) -> Self {
        Self {
            cart,
            quote: OnceCell::new(),
        }
    }
}

impl Cart {
    async fn quote(&self, ctx: &Context<'_>) -> async_graphql::Result<&Arc<CartQuote>> {
        self.quote
            .get_or_try_init(|| async {
                let quote = service_of(ctx)
                    .quote(&self.cart, super::access::viewer(ctx))
                    .await
                    .map_err(top_level)?;
                Ok::<_, async_graphql::Error>(Arc::new(quote))
            })
            .await
    }
}

#[Object]
impl Cart {
    async fn id(&self) -> ID {
        ID(self.cart.global_id())
    }

    /// A guest cart's token: keep it, it is the only way back to the cart. Null for a
    /// customer's cart.
    async fn token(&self) -> Option<&str> {
        self.cart
            .customer_id
            .is_none()
            .then_some(self.cart.token.as_str())
    }

    async fn status(&self) -> CartStatus {
        self.cart.status.into()
    }

    /// ISO 4217; fixed at creation.
    async fn currency(&self) -> &str {
        self.cart.currency.code()
    }

    /// Where the cart ships to and is taxed for: the shipping address's country, else the
    /// country given at creation.
    async fn country(&self) -> Option<&str> {
        self.cart.destination().map(domain::Country::code)
    }

    /// The guest's email (signed-in customers' orders use their account's).
    async fn email(&self) -> Option<&str> {
        self.cart.email.as_deref()
    }

    async fn lines(&self) -> Vec<CartLine> {
        self.cart.lines.iter().cloned().map(CartLine).collect()
    }

    /// Units over every line.
    async fn item_count(&self) -> i32 {
        self.cart.lines.iter().map(|l| l.quantity).sum()
    }

    async fn shipping_address(&self) -> Option<CartAddress> {
        self.cart.shipping_address.clone().map(CartAddress)
    }

    async fn billing_address(&self) -> Option<CartAddress> {
        self.cart.billing_address.clone().map(CartAddress)
    }

    /// Upper case, as pricing reads them.
    async fn coupon_codes(&self) -> &[String] {
        &self.cart.coupon_codes
    }

    /// The chosen method with its price for this cart; null until one is chosen (or when
    /// it no longer serves the cart).
    async fn shipping_method(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<ShippingOption>> {
        let Some(id) = self.cart.shipping_method_id else {
            return Ok(None);
        };
        let quote = self.quote(ctx).await?;
        Ok(quote
            .shipping_options
            .iter()
            .find(|option| option.method.id == id)
            .cloned()
            .map(ShippingOption))
    }

    /// Methods that ship to the cart's country in its currency, priced for this cart (a
    /// free-over threshold counts the lines after discounts). Empty until it has a country.
    async fn available_shipping_methods(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<ShippingOption>> {
        let quote = self.quote(ctx).await?;
        Ok(quote
            .shipping_options
            .iter()
            .cloned()
            .map(ShippingOption)
            .collect())
    }

    /// Totals from pricing's rules: lines, discounts with their reasons, shipping, taxes,
    /// grand total. Null until the cart has lines and a country; `problem` says why pricing
    /// could not price it (a variant without a price in the cart's currency).
    async fn totals(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CartTotals>> {
        let quote = self.quote(ctx).await?;
        Ok(quote.priced.as_ref().map(|priced| match priced {
            PriceCartResult::PricedCart(priced) => CartTotals::Priced(priced.clone()),
            PriceCartResult::MissingPrices { variant_ids } => CartTotals::Problem(format!(
                "no price in this currency for {}",
                variant_ids.join(", ")
            )),
            PriceCartResult::InvalidPricingInput { message } => {
                CartTotals::Problem(message.clone())
            }
        }))
    }

    /// What checkout still needs (`lines`, `email`, `shippingAddress`, `shippingMethod`).
    async fn missing_for_checkout(&self) -> Vec<String> {
        self.cart.missing_for_checkout()
    }
}

pub struct CartLine(domain::CartLine);

#[Object]
impl CartLine {
    async fn id(&self) -> ID {
        ID(LineId::global(self.0.id))
    }

    /// The catalog's variant (name, SKU, price through the router).
    async fn variant(&self) -> ProductVariant {
        ProductVariant {
            id: ID(self.0.variant_id.clone()),
        }
    }

    async fn quantity(&self) -> i32 {
        self.0.quantity
    }
}

/// A postal address on a cart.
pub struct CartAddress(domain::Address);

#[Object]
impl CartAddress {
    async fn first_name(&self) -> &str {
        &self.0.first_name
    }
    async fn last_name(&self) -> &str {
        &self.0.last_name
    }
    async fn company(&self) -> Option<&str> {
        self.0.company.as_deref()
    }
    async fn line1(&self) -> &str {
        &self.0.line1
    }
    async fn line2(&self) -> Option<&str> {
        self.0.line2.as_deref()
    }
    async fn city(&self) -> &str {
        &self.0.city
    }
    async fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }
    async fn postal_code(&self) -> &str {
        &self.0.postal_code
    }
    /// ISO 3166-1 alpha-2, upper case.
    async fn country_code(&self) -> &str {
        &self.0.country_code
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
}

#[derive(InputObject)]
pub struct CartAddressInput {
    pub first_name: String,
    pub last_name: String,
    pub company: Option<String>,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country_code: String,
    pub phone: Option<String>,
}

impl From<CartAddressInput> for domain::Address {
    fn from(input: CartAddressInput) -> Self {
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

/// A cart's totals, or why pricing could not price it.
pub enum CartTotals {
    Priced(Box<PricedCart>),
    Problem(String),
}

fn money(value: &MoneyValue) -> Money {
    Money::from(value)
}

/// `total = Σ lines.total + shippingTotal (+ taxTotal when prices exclude tax)`, as pricing
/// computes it.
#[Object]
impl CartTotals {
    /// Why the cart has no totals (e.g. a variant without a price in its currency).
    async fn problem(&self) -> Option<&str> {
        match self {
            Self::Priced(_) => None,
            Self::Problem(problem) => Some(problem),
        }
    }

    async fn tax_inclusive(&self) -> Option<bool> {
        self.priced().map(|p| p.tax_inclusive)
    }

    async fn lines(&self) -> Vec<CartLineTotal> {
        self.priced()
            .map(|p| p.lines.iter().cloned().map(CartLineTotal).collect())
            .unwrap_or_default()
    }

    /// The lines at their unit prices, before order discounts.
    async fn subtotal(&self) -> Option<Money> {
        self.priced().map(|p| money(&p.subtotal))
    }

    /// Every discount with the reason to show (promotion names, coupon codes).
    async fn discounts(&self) -> Vec<CartDiscount> {
        self.priced()
            .map(|p| p.discounts.iter().cloned().map(CartDiscount).collect())
            .unwrap_or_default()
    }

    async fn discount_total(&self) -> Option<Money> {
        self.priced().map(|p| money(&p.order_discount_total))
    }

    /// The shipping method's price before shipping promotions.
    async fn shipping(&self) -> Option<Money> {
        self.priced().map(|p| money(&p.shipping.price))
    }

    async fn shipping_discount(&self) -> Option<Money> {
        self.priced().map(|p| money(&p.shipping.discount))
    }

    async fn shipping_total(&self) -> Option<Money> {
        self.priced().map(|p| money(&p.shipping.total))
    }

    async fn tax_total(&self) -> Option<Money> {
        self.priced().map(|p| money(&p.tax_total))
    }

    /// What the customer pays.
    async fn grand_total(&self) -> Option<Money> {
        self.priced().map(|p| money(&p.total))
    }

    /// Each coupon code of the cart: applied, or why not.
    async fn coupons(&self) -> Vec<CartCoupon> {
        self.priced()
            .map(|p| {
                p.coupons
                    .iter()
                    .map(|c| CartCoupon {
                        code: c.code.clone(),
                        applied: c.applied,
                        reason: c.reason.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl CartTotals {
    fn priced(&self) -> Option<&PricedCart> {
        match self {
            Self::Priced(priced) => Some(priced),
            Self::Problem(_) => None,
        }
    }
}

pub struct CartLineTotal(crate::remote::PricedLine);

#[Object]
impl CartLineTotal {
    async fn variant_id(&self) -> ID {
        ID(self.0.variant_id.clone())
    }
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }
    async fn unit_price(&self) -> Money {
        money(&self.0.unit_price)
    }
    async fn subtotal(&self) -> Money {
        money(&self.0.subtotal)
    }
    /// This line's share of the order discounts.
    async fn discount(&self) -> Money {
        money(&self.0.discount)
    }
    async fn tax(&self) -> Money {
        money(&self.0.tax)
    }
    async fn total(&self) -> Money {
        money(&self.0.total)
    }
    /// The catalogue promotion in the unit price, as the customer reads it.
    async fn promotion_reason(&self) -> Option<&str> {
        self.0.promotion.as_ref().map(|p| p.reason.as_str())
    }
}

pub struct CartDiscount(crate::remote::Discount);

#[Object]
impl CartDiscount {
    /// The promotion's name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// For the customer, e.g. "10% off: Winter sale".
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    async fn coupon_code(&self) -> Option<&str> {
        self.0.coupon_code.as_deref()
    }
    /// `CATALOGUE`, `ORDER` or `SHIPPING`, as pricing names them.
    async fn scope(&self) -> &str {
        &self.0.scope
    }
    async fn amount(&self) -> Money {
        money(&self.0.amount)
    }
}

#[derive(SimpleObject)]
pub struct CartCoupon {
    pub code: String,
    pub applied: bool,
    /// Why it did not apply.
    pub reason: Option<String>,
}

/// A shipping method with its price for one cart.
pub struct ShippingOption(crate::service::ShippingOption);

#[Object]
impl ShippingOption {
    async fn method(&self) -> ShippingMethod {
        ShippingMethod(self.0.method.clone())
    }
    async fn price(&self) -> Money {
        self.0.price.into()
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ShippingMethodKind {
    /// One price whatever the cart.
    Flat,
    /// Priced by the cart's weight, in bands.
    ByWeight,
    /// A price that drops to zero once the cart's subtotal reaches a threshold.
    FreeOver,
}

impl From<ShippingKind> for ShippingMethodKind {
    fn from(kind: ShippingKind) -> Self {
        match kind {
            ShippingKind::Flat => Self::Flat,
            ShippingKind::ByWeight => Self::ByWeight,
            ShippingKind::FreeOver => Self::FreeOver,
        }
    }
}

impl From<ShippingMethodKind> for ShippingKind {
    fn from(kind: ShippingMethodKind) -> Self {
        match kind {
            ShippingMethodKind::Flat => Self::Flat,
            ShippingMethodKind::ByWeight => Self::ByWeight,
            ShippingMethodKind::FreeOver => Self::FreeOver,
        }
    }
}

/// Countries that share shipping methods.
pub struct ShippingZone(pub domain::ShippingZone);

#[Object]
impl ShippingZone {
    async fn id(&self) -> ID {
        ID(self.0.global_id())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// ISO 3166-1 alpha-2 codes; a country is in one zone at most.
    async fn countries(&self) -> Vec<&str> {
        self.0.countries.iter().map(|c| c.code()).collect()
    }
}

pub struct ShippingMethod(pub domain::ShippingMethod);

#[Object]
impl ShippingMethod {
    async fn id(&self) -> ID {
        ID(self.0.global_id())
    }
    async fn zone_id(&self) -> ID {
        ID(commerce_kernel::GlobalId::encode(
            domain::SHIPPING_ZONE,
            self.0.zone_id,
        ))
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> ShippingMethodKind {
        self.0.kind.into()
    }
    /// Its price per currency.
    async fn rates(&self) -> Vec<ShippingRate> {
        self.0.rates.iter().cloned().map(ShippingRate).collect()
    }
}

pub struct ShippingRate(domain::ShippingRate);

#[Object]
impl ShippingRate {
    async fn currency(&self) -> &str {
        self.0.currency.code()
    }
    /// FLAT and FREE_OVER: the price (below the threshold).
    async fn amount(&self) -> Money {
        commerce_kernel::Money::new(self.0.amount, self.0.currency).into()
    }
    /// FREE_OVER: from this subtotal shipping is free.
    async fn free_over(&self) -> Option<Money> {
        self.0
            .free_over
            .map(|amount| commerce_kernel::Money::new(amount, self.0.currency).into())
    }
    /// BY_WEIGHT: ascending bands.
    async fn bands(&self) -> Vec<WeightBand> {
        self.0
            .bands
            .iter()
            .map(|band| WeightBand {
                up_to_grams: band.up_to_grams.and_then(|g| i32::try_from(g).ok()),
                price: commerce_kernel::Money::new(band.amount, self.0.currency).into(),
            })
            .collect()
    }
}

#[derive(SimpleObject)]
pub struct WeightBand {
    /// Inclusive; no limit when null.
    pub up_to_grams: Option<i32>,
    pub price: Money,
}
