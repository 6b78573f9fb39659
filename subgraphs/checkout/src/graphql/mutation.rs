//! Mutations: carts (create, lines, email, addresses, coupons, shipping method, merge) and
//! staff's shipping zones and methods. Expected failures come back as members of each
//! mutation's result union.

use async_graphql::{Context, ID, InputObject, Object};
use commerce_kernel::error::top_level;
use commerce_kernel::result_union;

use super::access::{self, SHIPPING_WRITE, cart_ref, viewer};
use super::checkout::{CheckoutPaymentInput, CheckoutResult, checkout_result};
use super::results::{
    CountryAlreadyZoned, CouponInvalid, CurrencyNotSold, ErrorResult, InsufficientStock,
    InvalidCheckoutInput, InvalidQuantity, ShippingMethodUnavailable, UnknownCountry,
    VariantUnavailable,
};
use super::service_of;
use super::types::{Cart, CartAddressInput, ShippingMethod, ShippingMethodKind, ShippingZone};
use crate::domain::{self, RateInput};
use crate::service::{AddressSource, CheckoutError, CheckoutRequest, MethodInput, ZoneInput};

result_union!(
    /// The cart after the change, or why the change was refused.
    pub CartResult(CheckoutError => ErrorResult) = Cart | InvalidQuantity | VariantUnavailable | InsufficientStock | UnknownCountry | CurrencyNotSold | CouponInvalid | ShippingMethodUnavailable | InvalidCheckoutInput
);
result_union!(
    /// The saved zone, or why it was refused.
    pub ShippingZoneResult(CheckoutError => ErrorResult) = ShippingZone | UnknownCountry | CountryAlreadyZoned | InvalidCheckoutInput
);
result_union!(
    /// The saved method, or why it was refused.
    pub ShippingMethodResult(CheckoutError => ErrorResult) = ShippingMethod | InvalidCheckoutInput
);

impl From<domain::Cart> for CartResult {
    fn from(cart: domain::Cart) -> Self {
        Self::Cart(cart.into())
    }
}

impl From<domain::ShippingZone> for ShippingZone {
    fn from(zone: domain::ShippingZone) -> Self {
        Self(zone)
    }
}

impl From<domain::ShippingMethod> for ShippingMethod {
    fn from(method: domain::ShippingMethod) -> Self {
        Self(method)
    }
}

#[derive(InputObject)]
pub struct ShippingZoneInput {
    pub name: String,
    /// ISO 3166-1 alpha-2 codes; each may be in one zone only.
    pub countries: Vec<String>,
}

#[derive(InputObject)]
pub struct ShippingMethodInput {
    pub zone_id: ID,
    pub name: String,
    pub kind: ShippingMethodKind,
    /// One per currency the method ships in.
    pub rates: Vec<ShippingRateInput>,
}

#[derive(InputObject)]
pub struct ShippingRateInput {
    pub currency: String,
    /// FLAT and FREE_OVER: the price, decimal.
    pub amount: Option<String>,
    /// FREE_OVER: the subtotal (after discounts) from which shipping is free, decimal.
    pub free_over: Option<String>,
    /// BY_WEIGHT: ascending bands; only the last may leave `upToGrams` open.
    #[graphql(default)]
    pub bands: Vec<WeightBandInput>,
}

#[derive(InputObject)]
pub struct WeightBandInput {
    pub up_to_grams: Option<i32>,
    /// Decimal.
    pub price: String,
}

impl From<ShippingMethodInput> for MethodInput {
    fn from(input: ShippingMethodInput) -> Self {
        Self {
            zone_id: input.zone_id.0,
            name: input.name,
            kind: input.kind.into(),
            rates: input
                .rates
                .into_iter()
                .map(|rate| RateInput {
                    currency: rate.currency,
                    amount: rate.amount,
                    free_over: rate.free_over,
                    bands: rate
                        .bands
                        .into_iter()
                        .map(|band| (band.up_to_grams.map(i64::from), band.price))
                        .collect(),
                })
                .collect(),
        }
    }
}

fn address_source(
    address: Option<CartAddressInput>,
    saved_address_id: Option<ID>,
) -> async_graphql::Result<AddressSource> {
    match (address, saved_address_id) {
        (Some(address), None) => Ok(AddressSource::New(Box::new(address.into()))),
        (None, Some(id)) => Ok(AddressSource::Saved(id.0)),
        _ => Err(commerce_kernel::error::client_error(
            commerce_kernel::ErrorCode::BadUserInput,
            "give either `address` or `savedAddressId`",
        )),
    }
}

#[derive(Default)]
pub struct Mutation;

#[Object]
impl Mutation {
    /// A new cart in a currency the shop sells in, optionally for a country (taxes and
    /// shipping before an address is known). Signed in: the customer's cart (their active
    /// one if they have it). Otherwise a guest cart: keep its `token`.
    async fn cart_create(
        &self,
        ctx: &Context<'_>,
        currency: String,
        country: Option<String>,
    ) -> async_graphql::Result<CartResult> {
        let cart = service_of(ctx)
            .create_cart(viewer(ctx), &currency, country.as_deref())
            .await;
        CartResult::from_result(cart)
    }

    /// Adds units of a variant (to its line if the cart has one), after the catalog confirms
    /// it is published and inventory that the units are available.
    async fn cart_add_line(
        &self,
        ctx: &Context<'_>,
        cart_id: Option<ID>,
        token: Option<String>,
        variant_id: ID,
        quantity: i32,
    ) -> async_graphql::Result<CartResult> {
        let reference = cart_ref(cart_id, token)?;
        let cart = service_of(ctx)
            .add_line(viewer(ctx), &reference, &variant_id, quantity)
            .await;
        CartResult::from_result(cart)
    }

    /// Sets a line's quantity (1-999; remove a line with `cartRemoveLine`).
    async fn cart_update_line(
        &self,
        ctx: &Context<'_>,
        cart_id: Option<ID>,
        token: Option<String>,
        line_id: ID,
        quantity: i32,
    ) -> async_graphql::Result<CartResult> {
        let reference = cart_ref(cart_id, token)?;
        let cart = service_of(ctx)
            .update_line(viewer(ctx), &reference, &line_id, quantity)
            .await;
        CartResult::from_result(cart)
    }

    async fn cart_remove_line(
        &self,
        ctx: &Context<'_>,
        cart_id: Option<ID>,
        token: Option<String>,
        line_id: ID,
    ) -> async_graphql::Result<CartResult> {
        let reference = cart_ref(cart_id, token)?;
        let cart = service_of(ctx)
            .remove_line(viewer(ctx), &reference, &line_id)
            .await;
        CartResult::from_result(cart)
    }

    /// The guest's email for the order.
    async fn cart_set_email(
        &self,
        ctx: &Context<'_>,
        cart_id: Option<ID>,
        token: Option<String>,
        email: String,
    ) -> async_graphql::Result<CartResult> {
        let reference = cart_ref(cart_id, token)?;
        let cart = service_of(ctx)
            .set_email(viewer(ctx), &reference, &email)
            .await;
        CartResult::from_result(cart)
    }

    /// Where to ship: a typed `address`, or (signed in) `savedAddressId` from the address
    /// book. A chosen method that does not ship there is dropped.
    async fn cart_set_shipping_address(
        &self,
        ctx: &Context<'_>,
        cart_id: Option<ID>,
        token: Option<String>,
        address: Option<CartAddressInput>,
        saved_address_id: Option<ID>,
    ) -> async_graphql::Result<CartResult> {
        let reference = cart_ref(cart_id, token)?;
        let source = address_source(address, saved_address_id)?;
        let cart = service_of(ctx)
            .set_shipping_address(viewer(ctx), &reference, source)
            .await;
        CartResult::from_result(cart)
    }

    async fn cart_set_billing_address(
        &self,
        ctx: &Context<'_>,
        cart_id: Option<ID>,
        token: Option<String>,
        address: Option<CartAddressInput>,
        saved_address_id: Option<ID>,
    ) -> async_graphql::Result<CartResult> {
        let reference = cart_ref(cart_id, token)?;
        let source = address_source(address, saved_address_id)?;
        let cart = service_of(ctx)
            .set_billing_address(viewer(ctx), &reference, source)
            .await;
        CartResult::from_result(cart)
    }

    /// Adds a coupon code; `CouponInvalid` with pricing's reason when it does not apply.
    async fn cart_apply_coupon(
        &self,
        ctx: &Context<'_>,
        cart_id: Option<ID>,
        token: Option<String>,
        code: String,
    ) -> async_graphql::Result<CartResult> {
        let reference = cart_ref(cart_id, token)?;
        let cart = service_of(ctx)
            .apply_coupon(viewer(ctx), &reference, &code)
            .await;
        CartResult::from_result(cart)
    }

    async fn cart_remove_coupon(
        &self,
        ctx: &Context<'_>,
        cart_id: Option<ID>,
        token: Option<String>,
        code: String,
    ) -> async_graphql::Result<CartResult> {
        let reference = cart_ref(cart_id, token)?;
        let cart = service_of(ctx)
            .remove_coupon(viewer(ctx), &reference, &code)
            .await;
        CartResult::from_result(cart)
    }

    /// Chooses one of `availableShippingMethods`.
    async fn cart_set_shipping_method(
        &self,
        ctx: &Context<'_>,
        cart_id: Option<ID>,
        token: Option<String>,
        shipping_method_id: ID,
    ) -> async_graphql::Result<CartResult> {
        let reference = cart_ref(cart_id, token)?;
        let cart = service_of(ctx)
            .set_shipping_method(viewer(ctx), &reference, &shipping_method_id)
            .await;
        CartResult::from_result(cart)
    }

    /// Signed in: moves the guest cart's lines into the customer's cart (quantities added)
    /// and closes the guest cart; without a cart of their own, the guest cart becomes theirs.
    async fn cart_merge(
        &self,
        ctx: &Context<'_>,
        guest_token: String,
    ) -> async_graphql::Result<CartResult> {
        let cart = service_of(ctx).merge(viewer(ctx), &guest_token).await;
        CartResult::from_result(cart)
    }

    /// Places the order: prices the cart again, reserves the stock, authorizes the payment,
    /// places the order and takes the stock, undoing what was done if a step fails. The same
    /// `idempotencyKey` again returns the first outcome and does nothing else (also while the
    /// first is running); with a different request it is a CONFLICT error. `expectedTotal`
    /// (decimal) guards against paying a total the customer did not see (`PriceChanged`).
    async fn checkout_complete(
        &self,
        ctx: &Context<'_>,
        cart_id: Option<ID>,
        token: Option<String>,
        idempotency_key: String,
        payment: CheckoutPaymentInput,
        expected_total: Option<String>,
    ) -> async_graphql::Result<CheckoutResult> {
        let request = CheckoutRequest {
            cart: cart_ref(cart_id, token)?,
            idempotency_key,
            payment: payment.into(),
            expected_total,
        };
        checkout_result(service_of(ctx).checkout(viewer(ctx), request).await)
    }

    /// Staff (`shipping:write`).
    async fn create_shipping_zone(
        &self,
        ctx: &Context<'_>,
        input: ShippingZoneInput,
    ) -> async_graphql::Result<ShippingZoneResult> {
        save_zone(ctx, None, input).await
    }

    /// Staff (`shipping:write`): replaces the zone's name and countries.
    async fn update_shipping_zone(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ShippingZoneInput,
    ) -> async_graphql::Result<ShippingZoneResult> {
        save_zone(ctx, Some(&id), input).await
    }

    /// Staff (`shipping:write`): deletes a zone with its methods; false when there was none.
    async fn delete_shipping_zone(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        access::require(ctx, SHIPPING_WRITE)?;
        service_of(ctx).delete_zone(&id).await.map_err(top_level)
    }

    /// Staff (`shipping:write`).
    async fn create_shipping_method(
        &self,
        ctx: &Context<'_>,
        input: ShippingMethodInput,
    ) -> async_graphql::Result<ShippingMethodResult> {
        access::require(ctx, SHIPPING_WRITE)?;
        let method = service_of(ctx).save_method(None, input.into()).await;
        ShippingMethodResult::from_result(method)
    }

    /// Staff (`shipping:write`): replaces every field of the method.
    async fn update_shipping_method(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ShippingMethodInput,
    ) -> async_graphql::Result<ShippingMethodResult> {
        access::require(ctx, SHIPPING_WRITE)?;
        let method = service_of(ctx).save_method(Some(&id), input.into()).await;
        ShippingMethodResult::from_result(method)
    }

    /// Staff (`shipping:write`): false when there was none.
    async fn delete_shipping_method(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<bool> {
        access::require(ctx, SHIPPING_WRITE)?;
        service_of(ctx).delete_method(&id).await.map_err(top_level)
    }
}

async fn save_zone(
    ctx: &Context<'_>,
    id: Option<&ID>,
    input: ShippingZoneInput,
) -> async_graphql::Result<ShippingZoneResult> {
    access::require(ctx, SHIPPING_WRITE)?;
    let zone = ZoneInput {
        name: input.name,
        countries: input.countries,
    };
    let saved = service_of(ctx)
        .save_zone(id.map(|id| id.as_str()), zone)
        .await;
    ShippingZoneResult::from_result(saved)
}
