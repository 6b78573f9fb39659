//! Calls to the other subgraphs, each with the committed document under
//! `schema/operations/internal/<callee>/` and a service token (kernel `InternalClient`). Every
//! call answers for a whole cart at once, whatever its number of lines.

use std::collections::HashMap;

use commerce_kernel::internal::InternalClient;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::{Address, CheckoutError};

const CART_VARIANTS: &str =
    include_str!("../../../../schema/operations/internal/catalog/cart_variants.graphql");
const CART_STOCK: &str =
    include_str!("../../../../schema/operations/internal/inventory/cart_stock.graphql");
const PRICE_CART: &str =
    include_str!("../../../../schema/operations/internal/pricing/price_cart.graphql");
const CUSTOMER_ADDRESSES: &str =
    include_str!("../../../../schema/operations/internal/customers/customer_addresses.graphql");

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

/// What to price.
pub struct PriceRequest<'a> {
    pub lines: Vec<PriceLine<'a>>,
    pub currency: &'a str,
    pub coupon_codes: &'a [String],
    /// Decimal, in `currency`.
    pub shipping: Option<String>,
    pub country: &'a str,
    pub region: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CustomerAddresses {
    addresses: Vec<SavedAddress>,
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
        let answer: Answer = self
            .client
            .execute("pricing", PRICE_CART, json!({ "input": input }))
            .await?;
        Ok(answer.price_cart)
    }

    /// A saved address of the customer's, or `None` when their book has no such address.
    pub async fn saved_address(
        &self,
        customer_id: &str,
        address_id: &str,
    ) -> Result<Option<Address>, CheckoutError> {
        let answer: Entities<CustomerAddresses> = self
            .client
            .execute(
                "customers",
                CUSTOMER_ADDRESSES,
                representations("Customer", &[customer_id.to_owned()]),
            )
            .await?;
        Ok(answer
            .entities
            .into_iter()
            .flatten()
            .flat_map(|customer| customer.addresses)
            .find(|saved| saved.id == address_id)
            .map(|saved| saved.address))
    }
}
