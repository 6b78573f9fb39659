//! The checkout saga across the real subgraphs behind the real router, on SQLite and
//! PostgreSQL: a checkout that goes through, a declined card, payments down, a process killed
//! after the authorization (before and after its intent id was saved, and after the order)
//! then recovered, two checkout instances on one database (a saga is taken over only once its
//! lease lapsed), and replays by key. The storefront's committed documents drive it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use commerce_checkout::domain::Step;
use commerce_checkout::service::{RecoveryPass, SagaPoint};
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

    /// The payments of checkouts (the demo shop has payments of its own), by reference.
    async fn checkout_payments(&self) -> Vec<Value> {
        let intents: Value = self
            .internal
            .execute(
                "payments",
                "{ paymentIntents(first: 50) { nodes { reference status } } }",
                json!({}),
            )
            .await
            .expect("payments answers");
        intents["paymentIntents"]["nodes"]
            .as_array()
            .expect("intents")
            .iter()
            .filter(|intent| {
                intent["reference"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("checkout-"))
            })
            .cloned()
            .collect()
    }

    /// Runs the checkout on `instance` in-process, in the background.
    fn checkout_on(
        &self,
        instance: &commerce_checkout::AppState,
        variables: Value,
    ) -> tokio::task::JoinHandle<Value> {
        let schema = commerce_checkout::schema(instance.clone());
        tokio::spawn(async move {
            commerce_testkit::execute_as(
                &schema,
                commerce_kernel::viewer::Viewer::Anonymous,
                CHECKOUT_COMPLETE,
                variables,
            )
            .await
        })
    }

    /// How long the stack's (hooked) checkout instance holds a saga without renewing.
    fn lease(&self) -> Duration {
        self.checkout.service.lease_duration()
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
        result["declineCode"], "CARD_DECLINED",
        "the provider's reason, not payments' error code"
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

/// Payments down at the authorization: the stock is released at once, but the authorization
/// may have reached payments before the call failed, so the checkout ends (and the cart opens
/// again) only once payments answers and cancels the checkout's payment reference.
async fn payments_down_releases_the_stock_and_the_cart_reopens_once_payments_answers(
    backend: Backend,
) {
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
    assert_eq!(stack.cart_status(&cart).await, "CHECKING_OUT");

    // Another instance that reaches payments finishes the compensation at once: the first
    // one let go of the saga when it stopped.
    let reaching = commerce_checkout::state(&stack.config)
        .await
        .expect("starts");
    let pass = reaching.service.recover().await.expect("recovers");
    assert_eq!((pass.resumed, pass.unfinished), (1, 0), "{pass:?}");
    assert_eq!(stack.cart_status(&cart).await, "ACTIVE");
    assert_eq!(stack.available(&variant).await, before);
    assert!(
        stack.checkout_payments().await.is_empty(),
        "nothing authorized"
    );
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
    let pass = restarted.service.recover().await.expect("recovers");
    assert_eq!((pass.resumed, pass.unfinished), (1, 0), "{pass:?}");
    assert_eq!(stack.orders().await.len(), 1, "placed once orders answers");
    assert_eq!(stack.cart_status(&cart).await, "COMPLETED");
    assert_eq!(stack.available(&variant).await, before - 2);
}

fn closed_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let addr = listener.local_addr().expect("bound");
    format!("http://{addr}/graphql")
}

/// Parks the saga for good once it reaches `point`, and says so.
fn park_at(
    point: SagaPoint,
) -> (
    commerce_checkout::service::StepHook,
    mpsc::UnboundedReceiver<()>,
) {
    let (parked, reached) = mpsc::unbounded_channel();
    let hook: commerce_checkout::service::StepHook = Arc::new(move |at| {
        let parked = parked.clone();
        Box::pin(async move {
            if at == point {
                let _ = parked.send(());
                std::future::pending::<()>().await;
            }
        })
    });
    (hook, reached)
}

/// The stack's checkout instance calls other subgraphs with this timeout, so its saga lease
/// (a few of them) lapses within seconds once it stops renewing.
fn short_lease(config: &mut Config) {
    config.internal_timeout_ms = 1_500;
}

/// Runs recovery on `instance` until the saga the stack's checkout left is taken over and
/// finished (or was finished meanwhile by the stack's own recovery): nobody takes it while the
/// stack's instance holds a live lease, so this waits for the lease to lapse.
async fn recover_once_lapsed(
    stack: &SagaStack,
    instance: &commerce_checkout::AppState,
    cart: &Value,
) {
    let deadline = tokio::time::Instant::now() + stack.lease() * 3;
    loop {
        let pass = instance.service.recover().await.expect("recovery runs");
        assert_eq!(pass.unfinished, 0, "nothing left unfinished: {pass:?}");
        if pass.resumed > 0 || stack.cart_status(cart).await != "CHECKING_OUT" {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the saga was never taken over"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Runs a checkout in-process until the saga parks at `point`, and drops it there (as a
/// killed process would stop).
async fn killed_at(backend: Backend, point: SagaPoint) -> (SagaStack, String, i64, Value) {
    let (hook, mut reached) = park_at(point);
    let stack = saga_stack(backend, short_lease, Some(hook)).await;
    let (variant, before) = stack.stocked_variant().await;
    let cart = stack.ready_cart(&variant).await;
    let running = stack.checkout_on(&stack.checkout, checkout(&cart, "killed", GOOD_CARD));
    reached.recv().await.expect("the saga reaches the step");
    running.abort();
    assert!(running.await.is_err(), "the saga was stopped mid-way");
    (stack, variant, before, cart)
}

/// Starts a fresh checkout service on the killed one's database, which finishes or
/// compensates the saga once the killed one's lease lapsed.
async fn restarted(stack: &SagaStack, cart: &Value) {
    let restarted = commerce_checkout::state(&stack.config)
        .await
        .expect("restarts");
    recover_once_lapsed(stack, &restarted, cart).await;
}

async fn killed_at_then_recovered(
    backend: Backend,
    point: SagaPoint,
) -> (SagaStack, String, i64, Value) {
    let (stack, variant, before, cart) = killed_at(backend, point).await;
    restarted(&stack, &cart).await;
    (stack, variant, before, cart)
}

async fn killed_after_authorization_is_compensated_on_restart(backend: Backend) {
    let saved = SagaPoint::Saved(Step::Authorized);
    let (stack, variant, before, cart) = killed_at_then_recovered(backend, saved).await;
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
    assert_eq!(
        stack.checkout_payments().await,
        vec![json!({ "reference": "checkout-1", "status": "VOIDED" })],
        "nothing left authorized"
    );
}

/// Payments authorized, but the process stopped before the saga saved the intent's id: the
/// saga is still at `Reserved`, and its compensation voids the authorization it never knew
/// by cancelling the checkout's payment reference.
async fn killed_after_payments_authorized_but_before_the_intent_id_was_saved_voids_it(
    backend: Backend,
) {
    let unsaved = SagaPoint::Reached(Step::Authorized);
    let (stack, variant, before, cart) = killed_at(backend, unsaved).await;
    assert_eq!(
        stack.checkout_payments().await,
        vec![json!({ "reference": "checkout-1", "status": "AUTHORIZED" })],
        "payments authorized before the process stopped"
    );
    restarted(&stack, &cart).await;
    assert_eq!(
        stack.checkout_payments().await,
        vec![json!({ "reference": "checkout-1", "status": "VOIDED" })],
        "no authorization left AUTHORIZED"
    );
    assert_eq!(
        stack.available(&variant).await,
        before,
        "reservation released"
    );
    assert!(stack.orders().await.is_empty(), "no order");
    assert_eq!(stack.cart_status(&cart).await, "ACTIVE");
}

async fn killed_after_the_order_is_finished_on_restart(backend: Backend) {
    let saved = SagaPoint::Saved(Step::OrderPlaced);
    let (stack, variant, before, cart) = killed_at_then_recovered(backend, saved).await;
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

/// Two checkout instances on one database. Instance A runs a saga and stops renewing its
/// lease mid-way (parked after the authorization, as a hung or dead instance would be):
/// instance B's recovery leaves it alone while A's lease is live, and takes it over and
/// compensates it once the lease lapsed.
async fn another_instance_recovers_a_saga_only_once_its_lease_lapsed(backend: Backend) {
    let (hook, mut reached) = park_at(SagaPoint::Saved(Step::Authorized));
    let stack = saga_stack(backend, short_lease, Some(hook)).await;
    let (variant, before) = stack.stocked_variant().await;
    let cart = stack.ready_cart(&variant).await;
    let on_a = stack.checkout_on(&stack.checkout, checkout(&cart, "two", GOOD_CARD));
    reached
        .recv()
        .await
        .expect("A runs the saga to the authorization");
    let parked = tokio::time::Instant::now();

    let b = commerce_checkout::state(&stack.config)
        .await
        .expect("a second instance");
    let pass = b.service.recover().await.expect("recovers");
    assert_eq!(pass, RecoveryPass::default(), "A's lease is live");
    assert_eq!(stack.cart_status(&cart).await, "CHECKING_OUT");
    assert_eq!(stack.available(&variant).await, before - 2, "still held");
    assert_eq!(
        stack.checkout_payments().await,
        vec![json!({ "reference": "checkout-1", "status": "AUTHORIZED" })]
    );

    tokio::time::sleep_until(parked + stack.lease()).await;
    let deadline = parked + stack.lease() * 3;
    let pass = loop {
        let pass = b.service.recover().await.expect("recovers");
        if pass.resumed > 0 || tokio::time::Instant::now() > deadline {
            break pass;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!((pass.resumed, pass.unfinished), (1, 0), "{pass:?}");
    assert_eq!(stack.cart_status(&cart).await, "ACTIVE");
    assert_eq!(stack.available(&variant).await, before, "released");
    assert!(stack.orders().await.is_empty());
    assert_eq!(
        stack.checkout_payments().await,
        vec![json!({ "reference": "checkout-1", "status": "VOIDED" })]
    );
    assert!(!on_a.is_finished(), "A never finished it");
    on_a.abort();
}

/// A replay of the request on instance B while instance A runs the saga waits for A's stored
/// outcome; A stopped renewing (parked before sending the authorization), so once its lease
/// lapsed, B takes the saga over and compensates it. The authorization A was about to send,
/// arriving after that, is refused.
async fn a_replay_on_another_instance_waits_then_takes_over_once_the_lease_lapsed(
    backend: Backend,
) {
    let (hook, mut reached) = park_at(SagaPoint::Saved(Step::Reserved));
    let stack = saga_stack(backend, short_lease, Some(hook)).await;
    let (variant, before) = stack.stocked_variant().await;
    let cart = stack.ready_cart(&variant).await;
    let variables = checkout(&cart, "twin", GOOD_CARD);
    let on_a = stack.checkout_on(&stack.checkout, variables.clone());
    reached.recv().await.expect("A reserves the stock");
    let parked = tokio::time::Instant::now();

    let b = commerce_checkout::state(&stack.config)
        .await
        .expect("a second instance");
    let on_b = stack.checkout_on(&b, variables);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!on_b.is_finished(), "B waits while A's lease is live");
    assert_eq!(stack.cart_status(&cart).await, "CHECKING_OUT");

    let answer = tokio::time::timeout(stack.lease() * 3, on_b)
        .await
        .expect("B answers once the lease lapsed")
        .expect("the request ran");
    assert!(
        parked.elapsed() >= stack.lease() - Duration::from_millis(500),
        "B took over after {:?}, before A's lease of {:?} lapsed",
        parked.elapsed(),
        stack.lease()
    );
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
        "the checkout was interrupted: {answer:#}"
    );
    assert_eq!(stack.cart_status(&cart).await, "ACTIVE");
    assert_eq!(stack.available(&variant).await, before, "released");
    assert!(stack.checkout_payments().await.is_empty());

    // What A would have sent next, arriving late: payments refuses it.
    let late: Value = stack
        .internal
        .execute(
            "payments",
            include_str!("../../../schema/operations/internal/payments/authorize_payment.graphql"),
            json!({
                "input": {
                    "reference": "checkout-1",
                    "amount": { "amount": "10.00", "currency": "EUR" },
                    "method": { "provider": "test", "token": GOOD_CARD },
                    "email": "ada@example.com",
                },
                "idempotencyKey": "checkout-1-authorize",
            }),
        )
        .await
        .expect("payments answers");
    assert_eq!(late["authorizePayment"]["__typename"], "PaymentDeclined");
    assert_eq!(late["authorizePayment"]["reason"], "REFERENCE_CANCELLED");
    assert!(stack.checkout_payments().await.is_empty());
    assert!(!on_a.is_finished());
    on_a.abort();
}

on_both_backends!(
    a_checkout_places_the_order_and_a_replay_returns_it,
    a_declined_card_releases_the_stock_and_places_no_order,
    payments_down_releases_the_stock_and_the_cart_reopens_once_payments_answers,
    killed_after_authorization_is_compensated_on_restart,
    killed_after_payments_authorized_but_before_the_intent_id_was_saved_voids_it,
    killed_after_the_order_is_finished_on_restart,
    orders_down_at_placement_is_finished_forward_later,
    another_instance_recovers_a_saga_only_once_its_lease_lapsed,
    a_replay_on_another_instance_waits_then_takes_over_once_the_lease_lapsed,
);
