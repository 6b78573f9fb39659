//! The checkout saga across the real subgraphs behind the real router, on SQLite and
//! PostgreSQL: a checkout that goes through, a declined card, payments down, a process killed
//! after the authorization (and after the order) then recovered, and replays by key. The
//! storefront's committed documents drive it.

use std::net::SocketAddr;
use std::sync::Arc;

use commerce_checkout::domain::Step;
use commerce_kernel::config::Config;
use commerce_kernel::internal::InternalClient;
use commerce_stack::{Listeners, Stack, Subgraphs, start};
use commerce_testkit::{Backend, TestConfig, on_both_backends, test_config};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

macro_rules! storefront {
    ($name:ident, $file:literal) => {
        const $name: &str = include_str!(concat!("../../../schema/operations/storefront/", $file));
    };
}

storefront!(CART_CREATE, "cart_create.graphql");
storefront!(CART_ADD_LINE, "cart_add_line.graphql");
storefront!(CART_SET_EMAIL, "cart_set_email.graphql");
storefront!(
    CART_SET_SHIPPING_ADDRESS,
    "cart_set_shipping_address.graphql"
);
storefront!(CART_SET_SHIPPING_METHOD, "cart_set_shipping_method.graphql");
storefront!(CART_APPLY_COUPON, "cart_apply_coupon.graphql");
storefront!(CART, "cart.graphql");
storefront!(CHECKOUT_COMPLETE, "checkout_complete.graphql");

const GOOD_CARD: &str = "4242 4242 4242 4242";
const DECLINED_CARD: &str = "4000 0000 0000 0002";

/// A stack on free ports with the demo shop.
struct SagaStack {
    router: SocketAddr,
    /// Calls the subgraphs as a service, to look at orders and payments.
    internal: InternalClient,
    config: Config,
    checkout: commerce_checkout::AppState,
    shutdown: CancellationToken,
    _stack: Stack,
    _config: TestConfig,
}

impl Drop for SagaStack {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// `checkout_services` changes the services the checkout calls (a payments that is down).
async fn saga_stack(
    backend: Backend,
    checkout_services: impl FnOnce(&mut Config),
    hook: Option<commerce_checkout::service::StepHook>,
) -> SagaStack {
    let test_config = test_config(backend).await;
    let listeners = Listeners::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("binds free ports");
    let config = listeners.config(&test_config).expect("addresses");
    let mut subgraphs = Subgraphs::connect(&config)
        .await
        .expect("subgraphs connect");
    subgraphs.load_demo(20).await.expect("demo data loads");
    let mut checkout_config = config.clone();
    checkout_services(&mut checkout_config);
    let mut checkout = commerce_checkout::state(&checkout_config)
        .await
        .expect("checkout");
    if let Some(hook) = hook {
        checkout.service = checkout.service.with_step_hook(hook);
    }
    subgraphs.checkout = checkout.clone();
    let shutdown = CancellationToken::new();
    let stack = start(subgraphs, listeners, shutdown.clone())
        .await
        .expect("stack starts");
    SagaStack {
        router: stack.router,
        internal: InternalClient::from_config(&config, "stack-test").expect("a client"),
        config,
        checkout,
        shutdown,
        _stack: stack,
        _config: test_config,
    }
}

impl SagaStack {
    async fn post(&self, query: &str, variables: Value) -> Value {
        reqwest::Client::new()
            .post(format!("http://{}/graphql", self.router))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("the router answers")
            .json()
            .await
            .expect("a JSON body")
    }

    async fn data(&self, query: &str, variables: Value) -> Value {
        let response = self.post(query, variables).await;
        assert!(response.get("errors").is_none(), "{response:#}");
        response["data"].clone()
    }

    /// A published variant with at least 3 units, and how many it has.
    async fn stocked_variant(&self) -> (String, i64) {
        let data = self
            .data(
                "{ products(first: 20) { nodes { variants { id available } } } }",
                json!({}),
            )
            .await;
        data["products"]["nodes"]
            .as_array()
            .expect("products")
            .iter()
            .flat_map(|p| p["variants"].as_array().cloned().unwrap_or_default())
            .find_map(|v| {
                let available = v["available"].as_i64().filter(|units| *units >= 3)?;
                Some((v["id"].as_str()?.to_owned(), available))
            })
            .expect("the demo shop has stock")
    }

    async fn available(&self, variant: &str) -> i64 {
        let data = self
            .data(
                "query($id: ID!) { productVariant(id: $id) { available } }",
                json!({ "id": variant }),
            )
            .await;
        data["productVariant"]["available"]
            .as_i64()
            .expect("available")
    }

    /// A guest cart with 2 units of `variant`, ready for checkout (German address, the first
    /// shipping method).
    async fn ready_cart(&self, variant: &str) -> Value {
        let created = self
            .data(CART_CREATE, json!({ "currency": "EUR", "country": "DE" }))
            .await;
        let cart = json!({ "token": created["cartCreate"]["token"] });
        let with = |extra: Value| {
            let mut variables = cart.clone();
            for (key, value) in extra.as_object().expect("an object") {
                variables[key] = value.clone();
            }
            variables
        };
        let added = self
            .data(
                CART_ADD_LINE,
                with(json!({ "variantId": variant, "quantity": 2 })),
            )
            .await;
        assert_eq!(added["cartAddLine"]["__typename"], "Cart", "{added:#}");
        self.data(CART_SET_EMAIL, with(json!({ "email": "ada@example.com" })))
            .await;
        let address = json!({
            "firstName": "Ada", "lastName": "Lovelace", "line1": "Unter den Linden 1",
            "city": "Berlin", "postalCode": "10117", "countryCode": "DE",
        });
        self.data(
            CART_SET_SHIPPING_ADDRESS,
            with(json!({ "address": address })),
        )
        .await;
        let read = self.data(CART, cart.clone()).await;
        let method = read["cart"]["availableShippingMethods"][0]["method"]["id"].clone();
        self.data(
            CART_SET_SHIPPING_METHOD,
            with(json!({ "shippingMethodId": method })),
        )
        .await;
        cart
    }

    async fn cart_status(&self, cart: &Value) -> Value {
        self.data(CART, cart.clone()).await["cart"]["status"].clone()
    }

    /// Every order, as a service sees them.
    async fn orders(&self) -> Vec<Value> {
        let data: Value = self
            .internal
            .execute(
                "orders",
                "{ orders(first: 50) { nodes { id number status } } }",
                json!({}),
            )
            .await
            .expect("orders answers");
        data["orders"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// A 5% coupon anyone may use.
    async fn create_coupon(&self, code: &str) {
        let promotion: Value = self
            .internal
            .execute(
                "pricing",
                r#"mutation { createPromotion(input: { name: "Five off", kind: ORDER,
                    requiresCoupon: true, action: { type: PERCENTAGE, percent: "5" } }) {
                    ... on Promotion { id } } }"#,
                json!({}),
            )
            .await
            .expect("pricing answers");
        let coupon: Value = self
            .internal
            .execute(
                "pricing",
                "mutation($input: CouponInput!) { createCoupon(input: $input) { __typename } }",
                json!({ "input": { "code": code,
                                   "promotionId": promotion["createPromotion"]["id"] } }),
            )
            .await
            .expect("pricing answers");
        assert_eq!(coupon["createCoupon"]["__typename"], "Coupon");
    }

    /// How often the coupon `SAVE5` was redeemed.
    async fn coupon_uses(&self) -> Value {
        let data: Value = self
            .internal
            .execute(
                "pricing",
                "{ promotions { coupons { code timesUsed } } }",
                json!({}),
            )
            .await
            .expect("pricing answers");
        data["promotions"]
            .as_array()
            .expect("promotions")
            .iter()
            .flat_map(|p| p["coupons"].as_array().cloned().unwrap_or_default())
            .find(|coupon| coupon["code"] == "SAVE5")
            .expect("the test's coupon")["timesUsed"]
            .clone()
    }

    async fn payment_status(&self, intent: &str) -> Value {
        let data: Value = self
            .internal
            .execute(
                "payments",
                "query($id: ID!) { paymentIntent(id: $id) { status } }",
                json!({ "id": intent }),
            )
            .await
            .expect("payments answers");
        data["paymentIntent"]["status"].clone()
    }
}

fn checkout(cart: &Value, key: &str, card: &str) -> Value {
    let mut variables = cart.clone();
    variables["idempotencyKey"] = json!(key);
    variables["payment"] = json!({ "provider": "test", "token": card });
    variables
}

async fn a_checkout_places_the_order_and_a_replay_returns_it(backend: Backend) {
    let stack = saga_stack(backend, |_| {}, None).await;
    let (variant, before) = stack.stocked_variant().await;
    let cart = stack.ready_cart(&variant).await;
    stack.create_coupon("SAVE5").await;
    let mut coupon = cart.clone();
    coupon["code"] = json!("save5");
    let applied = stack.data(CART_APPLY_COUPON, coupon).await;
    assert_eq!(
        applied["cartApplyCoupon"]["couponCodes"],
        json!(["SAVE5"]),
        "{applied:#}"
    );
    let variables = checkout(&cart, "order-1", GOOD_CARD);
    let answer = stack.data(CHECKOUT_COMPLETE, variables.clone()).await;
    let done = &answer["checkoutComplete"];
    assert_eq!(done["__typename"], "CheckoutCompleted", "{answer:#}");
    assert_eq!(
        stack.available(&variant).await,
        before - 2,
        "stock committed"
    );
    assert_eq!(stack.cart_status(&cart).await, "COMPLETED");
    let orders = stack.orders().await;
    assert_eq!(orders.len(), 1, "{orders:#?}");
    assert_eq!(orders[0]["id"], done["orderId"]);
    assert_eq!(orders[0]["number"], done["orderNumber"]);
    let intent = done["paymentIntentId"].as_str().expect("an intent");
    assert_eq!(stack.payment_status(intent).await, "AUTHORIZED");
    assert_eq!(stack.coupon_uses().await, 1, "the coupon is redeemed");

    let replay = stack.data(CHECKOUT_COMPLETE, variables).await;
    assert_eq!(replay, answer, "a replay returns the first result");
    assert_eq!(
        stack.available(&variant).await,
        before - 2,
        "and does nothing"
    );
    assert_eq!(stack.orders().await.len(), 1);
    assert_eq!(stack.coupon_uses().await, 1);
}

async fn a_declined_card_releases_the_stock_and_places_no_order(backend: Backend) {
    let stack = saga_stack(backend, |_| {}, None).await;
    let (variant, before) = stack.stocked_variant().await;
    let cart = stack.ready_cart(&variant).await;
    let answer = stack
        .data(
            CHECKOUT_COMPLETE,
            checkout(&cart, "declined", DECLINED_CARD),
        )
        .await;
    let result = &answer["checkoutComplete"];
    assert_eq!(
        result["__typename"], "CheckoutPaymentDeclined",
        "{answer:#}"
    );
    assert_eq!(
        stack.available(&variant).await,
        before,
        "reservation released"
    );
    assert!(stack.orders().await.is_empty());
    assert_eq!(
        stack.cart_status(&cart).await,
        "ACTIVE",
        "the cart can try again"
    );

    let retried = stack
        .data(CHECKOUT_COMPLETE, checkout(&cart, "second-try", GOOD_CARD))
        .await;
    assert_eq!(
        retried["checkoutComplete"]["__typename"],
        "CheckoutCompleted"
    );
}

async fn payments_down_is_a_clear_error_and_leaves_nothing_behind(backend: Backend) {
    let closed = closed_url();
    let stack = saga_stack(
        backend,
        move |config| {
            config.services.insert("payments".to_owned(), closed);
        },
        None,
    )
    .await;
    let (variant, before) = stack.stocked_variant().await;
    let cart = stack.ready_cart(&variant).await;
    let answer = stack
        .post(CHECKOUT_COMPLETE, checkout(&cart, "down", GOOD_CARD))
        .await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
        "{answer:#}"
    );
    assert_eq!(
        stack.available(&variant).await,
        before,
        "reservation released"
    );
    assert!(stack.orders().await.is_empty());
    assert_eq!(stack.cart_status(&cart).await, "ACTIVE");
}

/// Orders down while the order is being placed: the outcome is unknown (a timeout may still
/// have placed it), so the saga keeps the stock and the authorization and finishes forward
/// once orders answers again (placing is idempotent by the saga's key).
async fn orders_down_at_placement_is_finished_forward_later(backend: Backend) {
    let closed = closed_url();
    let stack = saga_stack(
        backend,
        move |config| {
            config.services.insert("orders".to_owned(), closed);
        },
        None,
    )
    .await;
    let (variant, before) = stack.stocked_variant().await;
    let cart = stack.ready_cart(&variant).await;
    let variables = checkout(&cart, "orders-down", GOOD_CARD);
    let answer = stack.post(CHECKOUT_COMPLETE, variables.clone()).await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
        "{answer:#}"
    );
    assert_eq!(stack.cart_status(&cart).await, "CHECKING_OUT");
    assert_eq!(stack.available(&variant).await, before - 2, "still held");

    let restarted = commerce_checkout::state(&stack.config)
        .await
        .expect("restarts");
    assert_eq!(restarted.service.recover().await.ok(), Some(0));
    assert_eq!(stack.orders().await.len(), 1, "placed once orders answers");
    assert_eq!(stack.cart_status(&cart).await, "COMPLETED");
    assert_eq!(stack.available(&variant).await, before - 2);
}

fn closed_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let addr = listener.local_addr().expect("bound");
    format!("http://{addr}/graphql")
}

/// Parks the saga for good once it reaches `step`, and says so.
fn park_at(
    step: Step,
) -> (
    commerce_checkout::service::StepHook,
    mpsc::UnboundedReceiver<()>,
) {
    let (parked, reached) = mpsc::unbounded_channel();
    let hook: commerce_checkout::service::StepHook = Arc::new(move |at| {
        let parked = parked.clone();
        Box::pin(async move {
            if at == step {
                let _ = parked.send(());
                std::future::pending::<()>().await;
            }
        })
    });
    (hook, reached)
}

/// Runs a checkout in-process until the saga parks at `step`, drops it there (as a killed
/// process would stop), then starts a fresh checkout service on the same database.
async fn killed_at_then_recovered(backend: Backend, step: Step) -> (SagaStack, String, i64, Value) {
    let (hook, mut reached) = park_at(step);
    let stack = saga_stack(backend, |_| {}, Some(hook)).await;
    let (variant, before) = stack.stocked_variant().await;
    let cart = stack.ready_cart(&variant).await;
    let schema = commerce_checkout::schema(stack.checkout.clone());
    let variables = checkout(&cart, "killed", GOOD_CARD);
    let running = tokio::spawn({
        let variables = variables.clone();
        async move {
            commerce_testkit::execute_as(
                &schema,
                commerce_kernel::viewer::Viewer::Anonymous,
                CHECKOUT_COMPLETE,
                variables,
            )
            .await
        }
    });
    reached.recv().await.expect("the saga reaches the step");
    running.abort();
    assert!(running.await.is_err(), "the saga was stopped mid-way");

    let restarted = commerce_checkout::state(&stack.config)
        .await
        .expect("restarts");
    assert_eq!(
        restarted.service.recover().await.ok(),
        Some(0),
        "nothing left unfinished"
    );
    (stack, variant, before, cart)
}

async fn killed_after_authorization_is_compensated_on_restart(backend: Backend) {
    let (stack, variant, before, cart) = killed_at_then_recovered(backend, Step::Authorized).await;
    assert_eq!(
        stack.available(&variant).await,
        before,
        "nothing left reserved"
    );
    assert!(stack.orders().await.is_empty(), "no order");
    assert_eq!(stack.cart_status(&cart).await, "ACTIVE");
    let replay = stack
        .post(CHECKOUT_COMPLETE, checkout(&cart, "killed", GOOD_CARD))
        .await;
    assert_eq!(
        replay["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
        "the replay tells the checkout was interrupted: {replay:#}"
    );
    let intents: Value = stack
        .internal
        .execute(
            "payments",
            "{ paymentIntents(first: 50) { nodes { reference status } } }",
            json!({}),
        )
        .await
        .expect("payments answers");
    // The demo shop has payments of its own; the checkout's reference its saga.
    let checkouts: Vec<&Value> = intents["paymentIntents"]["nodes"]
        .as_array()
        .expect("intents")
        .iter()
        .filter(|intent| {
            intent["reference"]
                .as_str()
                .is_some_and(|r| r.starts_with("checkout-"))
        })
        .collect();
    assert_eq!(
        checkouts,
        vec![&json!({ "reference": "checkout-1", "status": "VOIDED" })],
        "nothing left authorized"
    );
}

async fn killed_after_the_order_is_finished_on_restart(backend: Backend) {
    let (stack, variant, before, cart) = killed_at_then_recovered(backend, Step::OrderPlaced).await;
    assert_eq!(
        stack.available(&variant).await,
        before - 2,
        "stock committed"
    );
    assert_eq!(stack.orders().await.len(), 1);
    assert_eq!(stack.cart_status(&cart).await, "COMPLETED");
    let replay = stack
        .data(CHECKOUT_COMPLETE, checkout(&cart, "killed", GOOD_CARD))
        .await;
    assert_eq!(
        replay["checkoutComplete"]["__typename"], "CheckoutCompleted",
        "{replay:#}"
    );
}

on_both_backends!(
    a_checkout_places_the_order_and_a_replay_returns_it,
    a_declined_card_releases_the_stock_and_places_no_order,
    payments_down_is_a_clear_error_and_leaves_nothing_behind,
    killed_after_authorization_is_compensated_on_restart,
    killed_after_the_order_is_finished_on_restart,
    orders_down_at_placement_is_finished_forward_later,
);
