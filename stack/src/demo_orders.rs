//! A little order history for the demo shop, so the dashboard has something to show on a first
//! start: the demo customers place orders through the router exactly as the storefront does
//! (a guest cart merged on sign-in, an address in Germany, the first shipping method, the
//! test card), and staff capture some and cancel one as the dashboard does. Analytics learns
//! them from the events those writes publish, like any other order. Skipped when the shop
//! already has orders.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use commerce_customers::demo::{ADMIN_EMAIL, ADMIN_PASSWORD, CUSTOMER_PASSWORD, CUSTOMERS};
use serde_json::{Value, json};

macro_rules! operation {
    ($path:literal) => {
        include_str!(concat!("../../schema/operations/", $path, ".graphql"))
    };
}

/// Orders placed: each demo customer orders more than once (returning customers).
const ORDERS: usize = 8;
/// The test payment provider's card that is always authorized.
const CARD_OK: &str = "4242 4242 4242 4242";

struct Router {
    http: reqwest::Client,
    url: String,
}

impl Router {
    /// Runs a committed operation; returns its `data`, GraphQL errors being failures.
    async fn data(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .post(&self.url)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response: Value = request.send().await?.json().await?;
        if let Some(errors) = response.get("errors") {
            bail!("GraphQL errors: {errors}");
        }
        Ok(response["data"].clone())
    }

    /// Runs a mutation whose result union must be `expected`; returns that result.
    async fn expect(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
        expected: &str,
    ) -> anyhow::Result<Value> {
        let data = self.data(query, variables, token).await?;
        let result = data
            .as_object()
            .and_then(|fields| fields.values().next())
            .cloned()
            .unwrap_or_default();
        if result["__typename"] != expected {
            bail!("expected {expected}, got {result}");
        }
        Ok(result)
    }
}

/// Places the demo orders through the router at `router` unless the shop has orders; returns
/// how many it placed.
pub async fn place(router: SocketAddr) -> anyhow::Result<usize> {
    let router = Router {
        http: reqwest::Client::new(),
        url: format!("http://{router}/graphql"),
    };
    let signed_in = router
        .expect(
            operation!("dashboard/staff_sign_in"),
            json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }),
            None,
            "AuthPayload",
        )
        .await
        .context("staff sign-in")?;
    let staff = token(&signed_in)?;
    let existing = router
        .data(
            operation!("dashboard/orders_search"),
            json!({ "first": 1 }),
            Some(&staff),
        )
        .await?;
    if existing["orders"]["totalCount"].as_i64() != Some(0) {
        return Ok(0);
    }
    let variants = variants_on_sale(&router).await?;
    for n in 0..ORDERS {
        let (email, ..) = CUSTOMERS[n % CUSTOMERS.len()];
        // Two or three lines, spread over the listing so several categories sell.
        let lines: Vec<&String> = (0..2 + n % 2)
            .map(|line| &variants[(n * 5 + line * 11) % variants.len()])
            .collect();
        let order = place_order(&router, email, &lines, n)
            .await
            .with_context(|| format!("demo order {n}"))?;
        // Half are paid, one is cancelled, the rest wait for staff.
        let key = format!("demo-{n}");
        let (document, field, variables, status) = match n {
            3 => (
                operation!("dashboard/order_cancel"),
                "orderCancel",
                json!({ "orderId": order, "reason": "demo", "idempotencyKey": key }),
                "CANCELLED",
            ),
            _ if n % 2 == 0 => (
                operation!("dashboard/order_capture"),
                "orderCapturePayment",
                json!({ "orderId": order, "idempotencyKey": key }),
                "PAID",
            ),
            _ => continue,
        };
        let changed = router.data(document, variables, Some(&staff)).await?;
        if changed[field]["status"] != status {
            bail!("{field} of demo order {n}: {changed}");
        }
    }
    tracing::info!(orders = ORDERS, "placed the demo orders");
    Ok(ORDERS)
}

fn token(payload: &Value) -> anyhow::Result<String> {
    payload["accessToken"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no access token in {payload}"))
}

/// Published variants with stock and a price in EUR, from the storefront's listing.
async fn variants_on_sale(router: &Router) -> anyhow::Result<Vec<String>> {
    let data = router
        .data(
            operation!("storefront/products"),
            json!({ "first": 50, "currency": "EUR" }),
            None,
        )
        .await?;
    let variants: Vec<String> = data["products"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|edge| edge["node"]["variants"].as_array())
        .flatten()
        .filter(|variant| variant["available"].as_i64() >= Some(5) && !variant["price"].is_null())
        .filter_map(|variant| variant["id"].as_str().map(str::to_owned))
        .collect();
    if variants.is_empty() {
        bail!("the demo shop sells nothing in EUR");
    }
    Ok(variants)
}

/// One order of `email`'s, one unit of each of `variants`; returns its id.
async fn place_order(
    router: &Router,
    email: &str,
    variants: &[&String],
    n: usize,
) -> anyhow::Result<String> {
    let signed_in = router
        .expect(
            operation!("storefront/sign_in"),
            json!({ "email": email, "password": CUSTOMER_PASSWORD }),
            None,
            "AuthPayload",
        )
        .await?;
    let customer = token(&signed_in)?;
    let created = router
        .expect(
            operation!("storefront/cart_create"),
            json!({ "currency": "EUR", "country": "DE" }),
            None,
            "Cart",
        )
        .await?;
    let guest = created["token"].clone();
    for variant in variants {
        let line = json!({ "token": guest, "variantId": variant, "quantity": 1 });
        router
            .expect(operation!("storefront/cart_add_line"), line, None, "Cart")
            .await?;
    }
    let merged = router
        .expect(
            operation!("storefront/cart_merge"),
            json!({ "guestToken": guest }),
            Some(&customer),
            "Cart",
        )
        .await?;
    let cart = merged["id"].clone();
    let address = json!({
        "firstName": "Demo", "lastName": "Customer", "line1": "Unter den Linden 1",
        "city": "Berlin", "postalCode": "10117", "countryCode": "DE",
    });
    router
        .expect(
            operation!("storefront/cart_set_shipping_address"),
            json!({ "cartId": cart, "address": address }),
            Some(&customer),
            "Cart",
        )
        .await?;
    let page = router
        .data(
            operation!("storefront/cart"),
            json!({ "cartId": cart }),
            Some(&customer),
        )
        .await?;
    let method = page["cart"]["availableShippingMethods"][0]["method"]["id"].clone();
    router
        .expect(
            operation!("storefront/cart_set_shipping_method"),
            json!({ "cartId": cart, "shippingMethodId": method }),
            Some(&customer),
            "Cart",
        )
        .await?;
    let completed = router
        .expect(
            operation!("storefront/checkout_complete"),
            json!({
                "cartId": cart, "idempotencyKey": format!("demo-order-{n}"),
                "payment": { "provider": "test", "token": CARD_OK },
            }),
            Some(&customer),
            "CheckoutCompleted",
        )
        .await?;
    completed["orderId"]
        .as_str()
        .map(str::to_owned)
        .context("an order id")
}
