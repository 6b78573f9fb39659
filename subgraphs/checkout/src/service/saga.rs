//! The checkout saga: check the cart, price it again, reserve the stock, authorize the payment,
//! place the order, then attach the payment, commit the stock and redeem the coupons. Each
//! failure compensates what came before (release the reservation, cancel the payment's
//! reference).
//!
//! The saga's row (unique per cart and idempotency key) is saved before and after every remote
//! step, each save its own statement, so a process killed anywhere leaves a step to resume
//! from: before the order is being placed the saga compensates, from then on it finishes
//! forward. Remote steps carry keys derived from the saga's id, so sending one again is a
//! replay. A replay of the request returns the stored outcome.
//!
//! Who runs a saga: several checkout instances share one database, so each saga row carries a
//! lease (the instance's id and an expiry). The first request inserts the row leased to its
//! instance; every save renews the lease, and only while the instance still holds it (a save
//! that finds the saga taken over stops the saga there); the final save releases it. Another
//! instance takes a saga (one conditional update) only when nobody holds it or its holder's
//! lease lapsed: a concurrent identical request waits for the stored outcome meanwhile, and
//! recovery looks only at sagas without a live lease. Within one instance, [`Claims`] says
//! which of its requests or its recovery runs a saga: the lease cannot, as it names the
//! instance, not the task.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use commerce_kernel::db::begin_write;
use commerce_kernel::events::{NewEvent, Outbox};
use commerce_kernel::viewer::Viewer;
use commerce_kernel::{DomainError, ErrorCode, GlobalId, KernelError, Money};
use futures::future::BoxFuture;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tracing::instrument;

use super::{CartRef, CheckoutService};
use crate::domain::events::Finished;
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

/// How many unfinished sagas one recovery pass takes at most.
const RECOVERY_BATCH: u64 = 50;

/// The lease's length in calls to another subgraph. Between two renewals a saga makes one
/// remote call, which the client abandons after `internal_timeout_ms`, and a few statements
/// on its own rows, each of which may wait for a pooled connection (10 s at most). Four
/// timeouts (20 s by default) cover both with room for clock skew between instances, so a
/// live instance never loses a saga to another; a dead one's sagas wait that long.
const LEASE_IN_CALL_TIMEOUTS: u32 = 4;

/// The saga lease of a checkout instance configured with `internal_timeout_ms`.
pub(crate) fn lease_duration(internal_timeout_ms: u64) -> Duration {
    Duration::from_millis(internal_timeout_ms) * LEASE_IN_CALL_TIMEOUTS
}

/// Where the saga is when the step hook is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SagaPoint {
    /// The step took effect (its remote call answered) and is about to be saved.
    Reached(Step),
    /// The step is saved.
    Saved(Step),
}

/// Called before and after each step is saved; tests park the saga there to interrupt it.
pub type StepHook = Arc<dyn Fn(SagaPoint) -> BoxFuture<'static, ()> + Send + Sync>;

/// Sagas this instance is running, by cart and idempotency key: the lease says which instance
/// runs a saga, this says which of the instance's tasks does (a twin request, or recovery, in
/// the same instance would otherwise pass the lease's "owner = me"). A twin that finds the
/// claim taken only polls for the stored outcome.
#[derive(Clone, Default)]
pub(crate) struct Claims(Arc<Mutex<HashSet<(i64, String)>>>);

/// This task runs the saga of `key` while it holds the claim; dropping it (the saga
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

/// What one recovery pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecoveryPass {
    /// Unfinished sagas without a live lease that the pass found (at most a batch).
    pub found: usize,
    /// Of those, the ones it took over and ran (the others were taken first elsewhere).
    pub resumed: usize,
    /// Of those, the ones still unfinished (a service they need did not answer).
    pub unfinished: usize,
}

impl RecoveryPass {
    /// Whether more sagas may be waiting: the batch was full and the pass got somewhere.
    pub fn more(&self) -> bool {
        self.found as u64 == RECOVERY_BATCH && self.resumed > self.unfinished
    }
}

/// The answer while another task or instance runs the saga.
fn still_running() -> CheckoutError {
    KernelError::new(
        ErrorCode::Conflict,
        "a checkout with this idempotency key is still running; retry later",
    )
    .into()
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
        loop {
            if let Some(claim) = self.claims.try_claim(cart.id, &key) {
                if let Some(outcome) = self.attempt(viewer, &cart, &key, &hash, &request).await? {
                    return Ok(outcome);
                }
                drop(claim);
            } else if let Some(outcome) = self.stored_outcome(cart.id, &key, &hash).await? {
                return Ok(outcome);
            }
            // Another task or instance runs it: wait for its outcome, or for its lease to lapse.
            if waited.elapsed() > REPLAY_WAIT {
                return Err(still_running());
            }
            tokio::time::sleep(REPLAY_POLL).await;
        }
    }

    /// With this instance's claim on the cart and key: starts the saga, answers its stored
    /// outcome, or resumes it if nobody else runs it. `None`: another instance runs it.
    async fn attempt(
        &self,
        viewer: &Viewer,
        cart: &Cart,
        key: &str,
        hash: &str,
        request: &CheckoutRequest,
    ) -> Result<Option<Outcome>, CheckoutError> {
        let saga = match store::find_saga(&self.db, cart.id, key).await? {
            Some(saga) => saga,
            None => {
                let (plan, total) = self.prepare(viewer, cart, request).await?;
                // `None`: another instance inserted it between our read and insert.
                let Some(saga) =
                    store::insert_saga(&self.db, cart.id, key, hash, &self.lease).await?
                else {
                    return Ok(None);
                };
                let id = saga.id;
                let ran = self.run(saga, cart, plan, total, &request.payment);
                return self.leased(id, ran).await.map(Some);
            }
        };
        if saga.request_hash != hash {
            return Err(CheckoutError::IdempotencyConflict {
                key: saga.idempotency_key,
            });
        }
        if let Some(outcome) = saga.outcome {
            return Ok(Some(outcome));
        }
        if !saga.may_take(&self.lease, store::now_ms()) {
            return Ok(None);
        }
        match store::take_saga(&self.db, saga.id, &self.lease).await? {
            Some(saga) => self.resume(saga).await.map(Some),
            None => Ok(None),
        }
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

    /// Awaits the steps of saga `saga_id`, run under this instance's lease. If they stop
    /// unfinished (a service did not answer), the lease is released, so that a replay or
    /// recovery on any instance may go on at once instead of waiting for it to lapse.
    async fn leased(
        &self,
        saga_id: i64,
        steps: impl Future<Output = Result<Outcome, CheckoutError>>,
    ) -> Result<Outcome, CheckoutError> {
        let result = steps.await;
        if result.is_err()
            && let Err(error) = store::release_lease(&self.db, saga_id, &self.lease).await
        {
            tracing::warn!(saga = saga_id, %error, "could not release a checkout saga's lease");
        }
        result
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

    /// Saves the saga and renews this instance's lease on it (releases it with the outcome).
    /// Fails when another instance took the saga over: this one's lease had lapsed, so it
    /// stops here and leaves the saga to its new holder.
    async fn save(&self, saga: &Saga) -> Result<(), CheckoutError> {
        self.save_with(saga, None).await
    }

    /// [`Self::save`], in one transaction with `event` when there is one.
    async fn save_with(&self, saga: &Saga, event: Option<NewEvent>) -> Result<(), CheckoutError> {
        if let Some(hook) = &self.hook {
            hook(SagaPoint::Reached(saga.step)).await;
        }
        let saved = match event {
            None => store::save_saga(&self.db, saga, &self.lease).await?,
            Some(event) => {
                let txn = begin_write(&self.db).await?;
                let saved = store::save_saga(&txn, saga, &self.lease).await?;
                if saved {
                    Outbox::append_all(&txn, vec![event]).await?;
                    txn.commit().await?;
                }
                saved
            }
        };
        if !saved {
            return Err(self.lost(saga));
        }
        if let Some(hook) = &self.hook {
            hook(SagaPoint::Saved(saga.step)).await;
        }
        Ok(())
    }

    /// Renews this instance's lease between two remote steps that save nothing.
    async fn renew(&self, saga: &Saga) -> Result<(), CheckoutError> {
        if store::renew_lease(&self.db, saga.id, &self.lease).await? {
            Ok(())
        } else {
            Err(self.lost(saga))
        }
    }

    fn lost(&self, saga: &Saga) -> CheckoutError {
        tracing::warn!(
            saga = saga.id,
            step = saga.step.as_str(),
            "another checkout instance took this saga over (our lease had lapsed); stopping"
        );
        still_running()
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
        let reference = saga.payment_reference();
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
        self.renew(&saga).await?;
        timed(saga.id, "commit_stock", self.remote.commit(&reservation)).await?;
        let coupons: Vec<String> = serde_json::from_value(plan["couponCodes"].clone())
            .map_err(|error| CheckoutError::unexpected(format!("plan coupons: {error}")))?;
        let customer = plan["customerId"].as_str();
        let redeemed = self.remote.redeem_coupons(&order_id, customer, &coupons);
        self.renew(&saga).await?;
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

    /// Undoes what the saga did (release the stock, cancel the payment), opens the cart again
    /// and stores `outcome`. If undoing fails, the saga stays where it is and is compensated
    /// when resumed.
    async fn compensate(&self, saga: Saga, outcome: Outcome) -> Result<Outcome, CheckoutError> {
        // Called after a remote step answered: make sure the saga is still ours first.
        self.renew(&saga).await?;
        let reservation = saga.key("reserve");
        timed(saga.id, "release_stock", self.remote.release(&reservation)).await?;
        if saga.step >= Step::Reserved {
            // The authorization was sent, so it may exist with its id never stored (the
            // process stopped between payments' answer and the save), or still be on its way.
            // Cancelling the reference voids whatever it holds and refuses what comes later.
            self.renew(&saga).await?;
            let (reference, key) = (saga.payment_reference(), saga.key("cancel_payment"));
            let cancelled = self.remote.cancel_payment(&reference, &key);
            timed(saga.id, "cancel_payment", cancelled).await?;
        }
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
        // The saga's end and its event commit together: one event per finished saga.
        let event = match Finished::of(&saga, &outcome) {
            Finished::Completed(event) => NewEvent::of(&event)?,
            Finished::Failed(event) => NewEvent::of(&event)?,
        };
        self.save_with(&saga, Some(event)).await?;
        Ok(outcome)
    }

    /// Brings an interrupted saga, whose lease this instance holds, to an end: forward from
    /// order placement on, else back.
    async fn resume(&self, saga: Saga) -> Result<Outcome, CheckoutError> {
        tracing::info!(
            saga = saga.id,
            step = saga.step.as_str(),
            "resuming a checkout saga"
        );
        let id = saga.id;
        if saga.step.goes_forward() {
            return self.leased(id, self.forward(saga)).await;
        }
        let interrupted =
            CheckoutError::Remote(commerce_kernel::internal::InternalError::Unavailable {
                service: "checkout".to_owned(),
                reason: "the checkout was interrupted before the order was placed; nothing was \
                     charged, start again with a new idempotency key"
                    .to_owned(),
            });
        self.leased(id, self.compensate(saga, failed(&interrupted)))
            .await
    }

    /// One recovery pass: takes over at most a batch of unfinished sagas that nobody runs (no
    /// lease, or a lapsed one: a stopped process, or an instance that died) and finishes or
    /// compensates them. Run on start and then periodically, by every instance.
    pub async fn recover(&self) -> Result<RecoveryPass, CheckoutError> {
        let batch = store::recoverable_sagas(&self.db, RECOVERY_BATCH).await?;
        let mut pass = RecoveryPass {
            found: batch.len(),
            ..RecoveryPass::default()
        };
        for saga in batch {
            let Some(_claim) = self.claims.try_claim(saga.cart_id, &saga.idempotency_key) else {
                continue;
            };
            let Some(saga) = store::take_saga(&self.db, saga.id, &self.lease).await? else {
                continue;
            };
            pass.resumed += 1;
            let id = saga.id;
            if let Err(error) = self.resume(saga).await {
                pass.unfinished += 1;
                tracing::warn!(saga = id, %error, "could not resume a checkout saga yet");
            }
        }
        Ok(pass)
    }

    /// How long this instance's lease on a saga lasts once taken or renewed.
    pub fn lease_duration(&self) -> Duration {
        self.lease.duration()
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
