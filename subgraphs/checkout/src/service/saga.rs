//! The checkout saga: check the cart, price it again, reserve the stock, authorize the payment,
//! place the order, then attach the payment, commit the stock and redeem the coupons. Each
//! failure compensates what came before (void the authorization, release the reservation).
//!
//! The saga's row (unique per cart and idempotency key) is saved before and after every remote
//! step, each save its own statement, so a process killed anywhere leaves a step to resume
//! from: before the order is being placed the saga compensates, from then on it finishes
//! forward. Remote steps carry keys derived from the saga's id, so sending one again is a
//! replay. A replay of the request returns the stored outcome; concurrent identical requests
//! wait for the one that runs (a per-process claim on the cart and key), never run twice.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use commerce_kernel::viewer::Viewer;
use commerce_kernel::{DomainError, ErrorCode, GlobalId, KernelError, Money};
use futures::future::BoxFuture;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tracing::instrument;

use super::{CartRef, CheckoutService};
use crate::domain::{Cart, CartStatus, CheckoutError, Outcome, Saga, Step};
use crate::remote::{
    Authorization, Payer, PaymentMethod, PriceCartResult, PricedCart, ReserveResult,
};
use crate::store;

/// How long stock stays reserved for a running checkout; inventory releases it by itself after.
const RESERVATION_TTL_SECONDS: i32 = 15 * 60;

/// How long a request waits for a concurrent identical one to finish.
const REPLAY_WAIT: Duration = Duration::from_secs(60);
const REPLAY_POLL: Duration = Duration::from_millis(25);

/// Called after each step is saved; tests park the saga at a step to interrupt it there.
pub type StepHook = Arc<dyn Fn(Step) -> BoxFuture<'static, ()> + Send + Sync>;

/// Sagas this process is running, by cart and idempotency key.
#[derive(Clone, Default)]
pub(crate) struct Claims(Arc<Mutex<HashSet<(i64, String)>>>);

/// This process runs the saga of `key` while it holds the claim; dropping it (the saga
/// finished, failed, or its future was dropped) lets another request or recovery take over.
struct Claim {
    claims: Claims,
    key: (i64, String),
}

impl Claims {
    fn try_claim(&self, cart_id: i64, key: &str) -> Option<Claim> {
        let key = (cart_id, key.to_owned());
        let mut held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        held.insert(key.clone()).then(|| Claim {
            claims: self.clone(),
            key,
        })
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut held = self.claims.0.lock().unwrap_or_else(PoisonError::into_inner);
        held.remove(&self.key);
    }
}

/// A checkout as the client asks for it.
pub struct CheckoutRequest {
    pub cart: CartRef,
    pub idempotency_key: String,
    pub payment: PaymentMethod,
    /// The grand total the customer saw, decimal; a different total is `PriceChanged`.
    pub expected_total: Option<String>,
}

/// A digest of what the request asks for (the card number only hashed, never stored).
fn request_hash(cart_id: i64, request: &CheckoutRequest) -> String {
    let mut hasher = Sha256::new();
    for part in [
        cart_id.to_string().as_str(),
        &request.payment.provider,
        &request.payment.token,
        request.expected_total.as_deref().unwrap_or(""),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(hasher.finalize())
}

fn idempotency_key(value: &str) -> Result<String, CheckoutError> {
    let key = value.trim();
    if key.is_empty() || key.len() > 128 {
        return Err(CheckoutError::invalid(
            "idempotencyKey",
            "must be 1 to 128 characters",
        ));
    }
    Ok(key.to_owned())
}

/// A failure the client sees as a top-level error, stored so that a replay answers the same.
fn failed(error: &CheckoutError) -> Outcome {
    let message = if error.is_internal() {
        "internal server error".to_owned()
    } else {
        error.to_string()
    };
    Outcome::Failed {
        code: error.code().as_str().to_owned(),
        message,
    }
}

/// Awaits one step of saga `saga`, logging how long it took (at debug level: the per-step
/// times of the checkout benchmark).
async fn timed<T>(saga: i64, step: &'static str, call: impl Future<Output = T>) -> T {
    let started = std::time::Instant::now();
    let outcome = call.await;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1_000.0;
    tracing::debug!(saga, step, elapsed_ms, "checkout step");
    outcome
}

fn money(value: &crate::remote::MoneyValue, cart: &Cart) -> Result<Money, CheckoutError> {
    Money::parse_decimal(&value.amount, cart.currency)
        .map_err(|error| CheckoutError::unexpected(format!("pricing's amount: {error}")))
}

impl CheckoutService {
    /// Observes the saga's step boundaries (tests interrupt it there).
    pub fn with_step_hook(mut self, hook: StepHook) -> Self {
        self.hook = Some(hook);
        self
    }

    /// Runs a checkout, or answers a replay of one with its stored outcome.
    #[instrument(skip_all)]
    pub async fn checkout(
        &self,
        viewer: &Viewer,
        request: CheckoutRequest,
    ) -> Result<Outcome, CheckoutError> {
        let key = idempotency_key(&request.idempotency_key)?;
        // Fair (first come, first served); a caller that gives up leaves the queue. The
        // semaphore is never closed.
        let _turn = self
            .turns
            .acquire()
            .await
            .map_err(CheckoutError::unexpected)?;
        let cart = self.cart(viewer, &request.cart).await?;
        let hash = request_hash(cart.id, &request);
        let waited = tokio::time::Instant::now();
        let _claim = loop {
            if let Some(claim) = self.claims.try_claim(cart.id, &key) {
                break claim;
            }
            if let Some(outcome) = self.stored_outcome(cart.id, &key, &hash).await? {
                return Ok(outcome);
            }
            if waited.elapsed() > REPLAY_WAIT {
                return Err(KernelError::new(
                    ErrorCode::Conflict,
                    "a checkout with this idempotency key is still running; retry later",
                )
                .into());
            }
            tokio::time::sleep(REPLAY_POLL).await;
        };
        if let Some(saga) = store::find_saga(&self.db, cart.id, &key).await? {
            return self.replay(saga, &hash).await;
        }
        let (plan, total) = self.prepare(viewer, &cart, &request).await?;
        let Some(saga) = store::insert_saga(&self.db, cart.id, &key, &hash).await? else {
            // Another process inserted it between our read and insert.
            let saga = store::find_saga(&self.db, cart.id, &key)
                .await?
                .ok_or_else(|| CheckoutError::unexpected("saga vanished"))?;
            return self.replay(saga, &hash).await;
        };
        self.run(saga, &cart, plan, total, &request.payment).await
    }

    async fn stored_outcome(
        &self,
        cart_id: i64,
        key: &str,
        hash: &str,
    ) -> Result<Option<Outcome>, CheckoutError> {
        let Some(saga) = store::find_saga(&self.db, cart_id, key).await? else {
            return Ok(None);
        };
        if saga.request_hash != hash {
            return Err(CheckoutError::IdempotencyConflict {
                key: key.to_owned(),
            });
        }
        Ok(saga.outcome)
    }

    /// A saga found for the request: its outcome, or (nobody runs it) resumed to one.
    async fn replay(&self, saga: Saga, hash: &str) -> Result<Outcome, CheckoutError> {
        if saga.request_hash != hash {
            return Err(CheckoutError::IdempotencyConflict {
                key: saga.idempotency_key,
            });
        }
        match saga.outcome.clone() {
            Some(outcome) => Ok(outcome),
            None => self.resume(saga).await,
        }
    }

    /// Checks the cart and prices it again: the order to place and the amount to authorize.
    /// Failures here are answered, not stored (nothing happened yet).
    async fn prepare(
        &self,
        viewer: &Viewer,
        cart: &Cart,
        request: &CheckoutRequest,
    ) -> Result<(Value, Money), CheckoutError> {
        cart.ensure_open()?;
        let missing = cart.missing_for_checkout();
        if !missing.is_empty() {
            return Err(CheckoutError::CartNotReady { missing });
        }
        let quote = self.quote(cart, viewer).await?;
        let priced = match quote.priced {
            Some(PriceCartResult::PricedCart(priced)) => priced,
            Some(PriceCartResult::MissingPrices { variant_ids }) => {
                return Err(CheckoutError::VariantUnavailable {
                    variant_id: variant_ids.join(", "),
                });
            }
            Some(PriceCartResult::InvalidPricingInput { message }) => {
                return Err(CheckoutError::invalid("cart", message));
            }
            None => return Err(CheckoutError::unexpected("a ready cart has no quote")),
        };
        for line in &cart.lines {
            if !quote
                .variants
                .get(&line.variant_id)
                .is_some_and(|v| v.is_buyable())
            {
                return Err(CheckoutError::VariantUnavailable {
                    variant_id: line.variant_id.clone(),
                });
            }
        }
        let method_id = cart.shipping_method_id.unwrap_or_default();
        let shipping = quote
            .shipping_options
            .iter()
            .find(|option| option.method.id == method_id)
            .ok_or_else(|| CheckoutError::ShippingMethodUnavailable {
                method_id: GlobalId::encode(crate::domain::SHIPPING_METHOD, method_id),
            })?;
        let total = money(&priced.total, cart)?;
        if let Some(expected) = &request.expected_total {
            let expected = Money::parse_decimal(expected, cart.currency)
                .map_err(|error| CheckoutError::invalid("expectedTotal", error.to_string()))?;
            if expected != total {
                return Err(CheckoutError::PriceChanged {
                    expected,
                    actual: total,
                });
            }
        }
        let email = match (&cart.email, &cart.customer_id) {
            (Some(email), _) => email.clone(),
            (None, Some(customer)) => self
                .remote
                .customer(customer)
                .await?
                .map(|customer| customer.email)
                .ok_or_else(|| CheckoutError::CartNotReady {
                    missing: vec!["email".to_owned()],
                })?,
            (None, None) => {
                return Err(CheckoutError::CartNotReady {
                    missing: vec!["email".to_owned()],
                });
            }
        };
        let plan = order_input(cart, &priced, &quote.variants, shipping, &email)?;
        Ok((plan, total))
    }

    async fn save(&self, saga: &Saga) -> Result<(), CheckoutError> {
        store::save_saga(&self.db, saga).await?;
        if let Some(hook) = &self.hook {
            hook(saga.step).await;
        }
        Ok(())
    }

    /// A fresh saga from its first step.
    async fn run(
        &self,
        mut saga: Saga,
        cart: &Cart,
        plan: Value,
        total: Money,
        payment: &PaymentMethod,
    ) -> Result<Outcome, CheckoutError> {
        if !store::set_cart_status(
            &self.db,
            cart.id,
            CartStatus::Active,
            CartStatus::CheckingOut,
        )
        .await?
        {
            let refusal = CheckoutError::CartClosed {
                status: CartStatus::CheckingOut.as_str(),
            };
            return self.finish(saga, Step::Failed, failed(&refusal)).await;
        }
        saga.plan = Some(plan);
        self.save(&saga).await?;

        let lines: Vec<(String, i32)> = cart
            .lines
            .iter()
            .map(|line| (line.variant_id.clone(), line.quantity))
            .collect();
        let reservation = saga.key("reserve");
        let reserved = self
            .remote
            .reserve(&reservation, &lines, RESERVATION_TTL_SECONDS);
        match timed(saga.id, "reserve", reserved).await {
            Ok(ReserveResult::Reservation {}) => {}
            Ok(ReserveResult::InsufficientStock {
                variant_id,
                requested,
                available,
            }) => {
                let outcome = Outcome::InsufficientStock {
                    variant_id,
                    requested,
                    available,
                };
                return self.compensate(saga, outcome).await;
            }
            Err(error) => return self.compensate(saga, failed(&error)).await,
        }
        saga.reservation_key = Some(reservation);
        saga.step = Step::Reserved;
        self.save(&saga).await?;

        let payer = Payer {
            customer_id: cart.customer_id.as_deref(),
            email: cart.email.as_deref(),
        };
        let reference = format!("checkout-{}", saga.id);
        let key = saga.key("authorize");
        let authorization = self
            .remote
            .authorize(&key, &reference, total, payment, payer);
        let authorization = timed(saga.id, "authorize", authorization).await;
        match authorization {
            Ok(Authorization::Authorized { intent_id }) => saga.payment_intent_id = Some(intent_id),
            Ok(Authorization::Declined { code, message }) => {
                let outcome = Outcome::PaymentDeclined {
                    decline_code: code,
                    message,
                };
                return self.compensate(saga, outcome).await;
            }
            Err(error) => return self.compensate(saga, failed(&error)).await,
        }
        saga.step = Step::Authorized;
        self.save(&saga).await?;

        saga.step = Step::PlacingOrder;
        self.save(&saga).await?;
        self.forward(saga).await
    }

    /// From order placement on: place (or find again) the order, attach the payment, commit the
    /// stock, redeem the coupons, complete the cart. An error leaves the saga where it is, to be
    /// resumed by a replay or on restart; a refusal to place the order compensates.
    async fn forward(&self, mut saga: Saga) -> Result<Outcome, CheckoutError> {
        if saga.step == Step::PlacingOrder {
            let mut input = saga
                .plan
                .clone()
                .ok_or_else(|| CheckoutError::unexpected("a placed saga has no plan"))?;
            input["paymentIntentId"] = json!(saga.payment_intent_id);
            input["reservationKey"] = json!(saga.reservation_key);
            let key = saga.key("order");
            let placed = self.remote.place_order(&key, &input);
            let order = match timed(saga.id, "place_order", placed).await {
                Ok(order) => order,
                Err(error) if error.code() == ErrorCode::ServiceUnavailable => return Err(error),
                // Refused: no order exists, so nothing may stay reserved or authorized.
                Err(error) => return self.compensate(saga, failed(&error)).await,
            };
            saga.order_id = Some(order.id);
            saga.order_number = Some(order.number.to_string());
            saga.step = Step::OrderPlaced;
            self.save(&saga).await?;
        }
        let (Some(order_id), Some(intent_id), Some(reservation), Some(plan)) = (
            saga.order_id.clone(),
            saga.payment_intent_id.clone(),
            saga.reservation_key.clone(),
            saga.plan.clone(),
        ) else {
            return Err(CheckoutError::unexpected("a placed saga lacks its order"));
        };
        timed(
            saga.id,
            "attach_payment",
            self.remote.attach(&intent_id, &order_id),
        )
        .await?;
        timed(saga.id, "commit_stock", self.remote.commit(&reservation)).await?;
        let coupons: Vec<String> = serde_json::from_value(plan["couponCodes"].clone())
            .map_err(|error| CheckoutError::unexpected(format!("plan coupons: {error}")))?;
        let customer = plan["customerId"].as_str();
        let redeemed = self.remote.redeem_coupons(&order_id, customer, &coupons);
        timed(saga.id, "redeem_coupons", redeemed).await?;
        store::set_cart_status(
            &self.db,
            saga.cart_id,
            CartStatus::CheckingOut,
            CartStatus::Completed,
        )
        .await?;
        let outcome = Outcome::Completed {
            order_id,
            order_number: saga.order_number.clone().unwrap_or_default(),
            payment_intent_id: intent_id,
            total_amount: plan["totals"]["total"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            currency: plan["currency"].as_str().unwrap_or_default().to_owned(),
        };
        self.finish(saga, Step::Completed, outcome).await
    }

    /// Undoes what the saga did (void, release), opens the cart again and stores `outcome`.
    /// If undoing fails, the saga stays where it is and is compensated when resumed.
    async fn compensate(&self, saga: Saga, outcome: Outcome) -> Result<Outcome, CheckoutError> {
        if let Some(intent) = &saga.payment_intent_id {
            let key = saga.key("void");
            let voided = self.remote.void(intent, &key);
            timed(saga.id, "void_payment", voided).await?;
        }
        let reservation = saga.key("reserve");
        timed(saga.id, "release_stock", self.remote.release(&reservation)).await?;
        store::set_cart_status(
            &self.db,
            saga.cart_id,
            CartStatus::CheckingOut,
            CartStatus::Active,
        )
        .await?;
        self.finish(saga, Step::Failed, outcome).await
    }

    async fn finish(
        &self,
        mut saga: Saga,
        step: Step,
        outcome: Outcome,
    ) -> Result<Outcome, CheckoutError> {
        saga.step = step;
        saga.outcome = Some(outcome.clone());
        self.save(&saga).await?;
        Ok(outcome)
    }

    /// Brings an interrupted saga to an end: forward from order placement on, else back.
    async fn resume(&self, saga: Saga) -> Result<Outcome, CheckoutError> {
        tracing::info!(
            saga = saga.id,
            step = saga.step.as_str(),
            "resuming a checkout saga"
        );
        if saga.step.goes_forward() {
            return self.forward(saga).await;
        }
        let interrupted =
            CheckoutError::Remote(commerce_kernel::internal::InternalError::Unavailable {
                service: "checkout".to_owned(),
                reason: "the checkout was interrupted before the order was placed; nothing was \
                     charged, start again with a new idempotency key"
                    .to_owned(),
            });
        self.compensate(saga, failed(&interrupted)).await
    }

    /// Resumes every saga left unfinished that this process is not running (a process
    /// stopped in the middle); run on start. Returns how many are still unfinished.
    pub async fn recover(&self) -> Result<usize, CheckoutError> {
        let mut unfinished = 0;
        for saga in store::unfinished_sagas(&self.db).await? {
            let Some(_claim) = self.claims.try_claim(saga.cart_id, &saga.idempotency_key) else {
                continue;
            };
            let id = saga.id;
            if let Err(error) = self.resume(saga).await {
                unfinished += 1;
                tracing::warn!(saga = id, %error, "could not resume a checkout saga yet");
            }
        }
        Ok(unfinished)
    }
}

/// Orders' `PlaceOrderInput`, as it will be sent (the payment intent and reservation key are
/// added when the order is placed).
fn order_input(
    cart: &Cart,
    priced: &PricedCart,
    variants: &std::collections::HashMap<String, crate::remote::Variant>,
    shipping: &super::ShippingOption,
    email: &str,
) -> Result<Value, CheckoutError> {
    let mut lines = Vec::with_capacity(priced.lines.len());
    for line in &priced.lines {
        let variant =
            variants
                .get(&line.variant_id)
                .ok_or_else(|| CheckoutError::VariantUnavailable {
                    variant_id: line.variant_id.clone(),
                })?;
        lines.push(json!({
            "variantId": line.variant_id,
            "productId": variant.product.id,
            "sku": variant.sku,
            "productName": variant.product.name,
            "variantName": variant.name,
            "quantity": line.quantity,
            "unitPrice": line.unit_price.amount,
            "discount": line.discount.amount,
            "tax": line.tax.amount,
            "total": line.total.amount,
        }));
    }
    let applied: Vec<&str> = priced
        .coupons
        .iter()
        .filter(|coupon| coupon.applied)
        .map(|coupon| coupon.code.as_str())
        .collect();
    let address = |address: &Option<crate::domain::Address>| {
        address
            .as_ref()
            .map(serde_json::to_value)
            .transpose()
            .map_err(|error| CheckoutError::Unexpected(error.into()))
    };
    Ok(json!({
        "checkoutId": cart.global_id(),
        "customerId": cart.customer_id,
        "email": email,
        "currency": cart.currency.code(),
        "lines": lines,
        "shippingAddress": address(&cart.shipping_address)?,
        "billingAddress": address(&cart.billing_address)?,
        "shippingMethod": {
            "id": shipping.method.global_id(),
            "name": shipping.method.name,
            "price": shipping.price.to_decimal_string(),
        },
        "totals": {
            "subtotal": priced.subtotal.amount,
            "discountTotal": priced.order_discount_total.amount,
            "shippingTotal": priced.shipping.total.amount,
            "taxTotal": priced.tax_total.amount,
            "total": priced.total.amount,
            "taxInclusive": priced.tax_inclusive,
        },
        "couponCodes": applied,
    }))
}
