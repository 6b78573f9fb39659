//! Calls to the other subgraphs, each with the committed document under
//! `schema/operations/internal/<callee>/` and a service token (kernel `InternalClient`). Every
//! call answers for a whole cart at once, whatever its number of lines.

mod orders;
mod payments;

use std::collections::HashMap;

use commerce_kernel::internal::InternalClient;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::{Address, CheckoutError};

pub use payments::{Authorization, Payer, PaymentMethod};

const CART_VARIANTS: &str =
    include_str!("../../../../schema/operations/internal/catalog/cart_variants.graphql");
const CART_STOCK: &str =
    include_str!("../../../../schema/operations/internal/inventory/cart_stock.graphql");
const RESERVE_STOCK: &str =
    include_str!("../../../../schema/operations/internal/inventory/reserve_stock.graphql");
const RELEASE_RESERVATION: &str =
    include_str!("../../../../schema/operations/internal/inventory/release_reservation.graphql");
const COMMIT_RESERVATION: &str =
    include_str!("../../../../schema/operations/internal/inventory/commit_reservation.graphql");
const REDEEM_COUPONS: &str =
    include_str!("../../../../schema/operations/internal/pricing/redeem_coupons.graphql");
const PRICE_CART: &str =
    include_str!("../../../../schema/operations/internal/pricing/price_cart.graphql");
const CUSTOMER: &str =
    include_str!("../../../../schema/operations/internal/customers/customer.graphql");

/// The other subgraphs as checkout sees them.
#[derive(Clone)]
pub struct Remote {
    client: InternalClient,
}

#[derive(Deserialize)]
struct Entities<T> {
    #[serde(rename = "_entities")]
    entities: Vec<Option<T>>,
}

fn representations(type_name: &str, ids: &[String]) -> Value {
    let list: Vec<Value> = ids
        .iter()
        .map(|id| json!({ "__typename": type_name, "id": id }))
        .collect();
    json!({ "representations": list })
}

/// A variant as the catalog describes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Variant {
    pub id: String,
    pub sku: String,
    pub name: String,
    /// Null when the catalog does not know it.
    pub weight_grams: Option<i32>,
    pub product: VariantProduct,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VariantProduct {
    pub id: String,
    pub name: String,
    pub status: String,
    pub category: Option<Category>,
    pub collections: Vec<Reference>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Category {
    pub id: String,
    pub ancestors: Vec<Reference>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Reference {
    pub id: String,
}

impl Variant {
    /// Only variants of published products can be bought.
    pub fn is_buyable(&self) -> bool {
        self.product.status == "PUBLISHED"
    }

    /// The category and its ancestors, for promotions that target a category tree.
    pub fn category_ids(&self) -> Vec<String> {
        let Some(category) = &self.product.category else {
            return Vec::new();
        };
        std::iter::once(category.id.clone())
            .chain(category.ancestors.iter().map(|a| a.id.clone()))
            .collect()
    }
}

#[derive(Deserialize)]
struct Stock {
    id: String,
    available: i32,
}

/// An amount as every subgraph writes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct MoneyValue {
    pub amount: String,
    pub currency: String,
}

/// Pricing's answer for a cart.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "__typename")]
pub enum PriceCartResult {
    PricedCart(Box<PricedCart>),
    MissingPrices {
        #[serde(rename = "variantIds")]
        variant_ids: Vec<String>,
    },
    InvalidPricingInput {
        message: String,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PricedCart {
    pub currency: String,
    pub tax_inclusive: bool,
    pub lines: Vec<PricedLine>,
    pub subtotal: MoneyValue,
    pub discounts: Vec<Discount>,
    pub order_discount_total: MoneyValue,
    pub shipping: ShippingCharge,
    pub tax_total: MoneyValue,
    pub total: MoneyValue,
    pub coupons: Vec<CouponStatus>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PricedLine {
    pub variant_id: String,
    pub quantity: i32,
    pub unit_price: MoneyValue,
    pub subtotal: MoneyValue,
    pub discount: MoneyValue,
    pub tax: MoneyValue,
    pub total: MoneyValue,
    pub promotion: Option<AppliedPromotion>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AppliedPromotion {
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Discount {
    pub name: String,
    pub coupon_code: Option<String>,
    pub scope: String,
    pub reason: String,
    pub amount: MoneyValue,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ShippingCharge {
    pub price: MoneyValue,
    pub discount: MoneyValue,
    pub total: MoneyValue,
    pub tax: MoneyValue,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CouponStatus {
    pub code: String,
    pub applied: bool,
    pub reason: Option<String>,
}

/// One line as pricing wants it.
pub struct PriceLine<'a> {
    pub variant_id: &'a str,
    /// What the catalog says of it; a variant the catalog no longer knows is priced by id.
    pub variant: Option<&'a Variant>,
    pub quantity: i32,
}

/// The customer a cart is priced for.
pub struct Shopper {
    pub customer_id: String,
    /// Their customer groups (from their access token).
    pub groups: Vec<String>,
}

/// What to price.
pub struct PriceRequest<'a> {
    pub lines: Vec<PriceLine<'a>>,
    pub currency: &'a str,
    pub coupon_codes: &'a [String],
    /// Decimal, in `currency`.
    pub shipping: Option<String>,
    pub country: &'a str,
    pub region: Option<&'a str>,
    /// `None` for a guest cart.
    pub shopper: Option<&'a Shopper>,
}

#[derive(Deserialize)]
#[serde(tag = "__typename")]
pub enum ReserveResult {
    Reservation {},
    InsufficientStock {
        #[serde(rename = "variantId")]
        variant_id: String,
        requested: i32,
        available: i32,
    },
}

#[derive(Deserialize)]
#[serde(tag = "__typename")]
enum ReservationResult {
    Reservation {},
    ReservationClosed { message: String },
}

/// A customer as checkout needs them: their email and address book.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub email: String,
    addresses: Vec<SavedAddress>,
}

impl Customer {
    /// The saved address with this id, if the book has it.
    pub fn address(self, address_id: &str) -> Option<Address> {
        self.addresses
            .into_iter()
            .find(|saved| saved.id == address_id)
            .map(|saved| saved.address)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedAddress {
    id: String,
    #[serde(flatten)]
    address: Address,
}

impl Remote {
    pub fn new(client: InternalClient) -> Self {
        Self { client }
    }

    /// The catalog's variants with these ids; unknown ones are left out.
    pub async fn variants(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, Variant>, CheckoutError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let answer: Entities<Variant> = self
            .client
            .execute(
                "catalog",
                CART_VARIANTS,
                representations("ProductVariant", ids),
            )
            .await?;
        Ok(answer
            .entities
            .into_iter()
            .flatten()
            .map(|variant| (variant.id.clone(), variant))
            .collect())
    }

    /// Units available now per variant (zero for variants inventory never stocked).
    pub async fn available(&self, ids: &[String]) -> Result<HashMap<String, i32>, CheckoutError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let answer: Entities<Stock> = self
            .client
            .execute(
                "inventory",
                CART_STOCK,
                representations("ProductVariant", ids),
            )
            .await?;
        Ok(answer
            .entities
            .into_iter()
            .flatten()
            .map(|stock| (stock.id, stock.available))
            .collect())
    }

    pub async fn price_cart(
        &self,
        request: &PriceRequest<'_>,
    ) -> Result<PriceCartResult, CheckoutError> {
        let lines: Vec<Value> = request
            .lines
            .iter()
            .map(|line| {
                let Some(variant) = line.variant else {
                    return json!({ "variantId": line.variant_id, "quantity": line.quantity });
                };
                let collections: Vec<&str> = variant
                    .product
                    .collections
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect();
                json!({
                    "variantId": line.variant_id,
                    "quantity": line.quantity,
                    "productId": variant.product.id,
                    "categoryIds": variant.category_ids(),
                    "collectionIds": collections,
                })
            })
            .collect();
        let input = json!({
            "lines": lines,
            "currency": request.currency,
            "couponCodes": request.coupon_codes,
            "shipping": request.shipping,
            "country": request.country,
            "region": request.region,
        });
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            price_cart: PriceCartResult,
        }
        let customer = request
            .shopper
            .map(|shopper| json!({ "id": shopper.customer_id, "groups": shopper.groups }));
        let answer: Answer = self
            .client
            .execute(
                "pricing",
                PRICE_CART,
                json!({ "input": input, "customer": customer }),
            )
            .await?;
        Ok(answer.price_cart)
    }

    /// The customer (`None` when customers does not know them).
    pub async fn customer(&self, customer_id: &str) -> Result<Option<Customer>, CheckoutError> {
        let answer: Entities<Customer> = self
            .client
            .execute(
                "customers",
                CUSTOMER,
                representations("Customer", &[customer_id.to_owned()]),
            )
            .await?;
        Ok(answer.entities.into_iter().flatten().next())
    }

    /// Reserves the lines for `ttl_seconds` under `key` (a replay returns the same result).
    pub async fn reserve(
        &self,
        key: &str,
        lines: &[(String, i32)],
        ttl_seconds: i32,
    ) -> Result<ReserveResult, CheckoutError> {
        let lines: Vec<Value> = lines
            .iter()
            .map(|(variant, quantity)| json!({ "variantId": variant, "quantity": quantity }))
            .collect();
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            reserve_stock: ReserveResult,
        }
        let variables = json!({
            "input": { "lines": lines, "ttlSeconds": ttl_seconds },
            "idempotencyKey": key,
        });
        let answer: Answer = self
            .client
            .execute("inventory", RESERVE_STOCK, variables)
            .await?;
        Ok(answer.reserve_stock)
    }

    /// Gives the units back; a reservation already closed (or never made) is fine.
    pub async fn release(&self, key: &str) -> Result<(), CheckoutError> {
        // Released now or closed before: either way nothing is held any more.
        let result = self
            .client
            .execute::<serde::de::IgnoredAny>(
                "inventory",
                RELEASE_RESERVATION,
                json!({ "key": key }),
            )
            .await;
        match result {
            Ok(_) => Ok(()),
            // Never reserved: nothing to give back.
            Err(commerce_kernel::internal::InternalError::Refused { code, .. })
                if code == "NOT_FOUND" =>
            {
                Ok(())
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Turns the reservation into shipped units; a closed one means it lapsed or was released.
    pub async fn commit(&self, key: &str) -> Result<(), CheckoutError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            commit_reservation: ReservationResult,
        }
        let answer: Answer = self
            .client
            .execute("inventory", COMMIT_RESERVATION, json!({ "key": key }))
            .await?;
        match answer.commit_reservation {
            ReservationResult::Reservation {} => Ok(()),
            ReservationResult::ReservationClosed { message } => Err(CheckoutError::unexpected(
                format!("committing reservation {key}: {message}"),
            )),
        }
    }

    /// Records the coupons as used by `order_ref`; refusals are logged, the order stands.
    pub async fn redeem_coupons(
        &self,
        order_ref: &str,
        customer_id: Option<&str>,
        codes: &[String],
    ) -> Result<(), CheckoutError> {
        if codes.is_empty() {
            return Ok(());
        }
        #[derive(Deserialize)]
        struct Redemption {
            code: String,
            redeemed: bool,
            reason: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            redeem_coupons: Vec<Redemption>,
        }
        let variables = json!({
            "orderRef": order_ref,
            "customerId": customer_id,
            "couponCodes": codes,
        });
        let answer: Answer = self
            .client
            .execute("pricing", REDEEM_COUPONS, variables)
            .await?;
        for refused in answer.redeem_coupons.iter().filter(|r| !r.redeemed) {
            tracing::warn!(order_ref, code = refused.code, reason = ?refused.reason, "coupon not redeemed");
        }
        Ok(())
    }
}
