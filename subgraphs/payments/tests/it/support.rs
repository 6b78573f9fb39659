//! A payments app on a fresh database, with its statement counter, the viewers the tests ask
//! as, and the committed operations other subgraphs send.

use std::sync::Arc;

use commerce_kernel::auth::Verifier;
use commerce_kernel::viewer::Viewer;
use commerce_payments::provider::Providers;
use commerce_payments::webhook::WebhookSecret;
use commerce_payments::{AppState, PaymentsSchema, PaymentsService};
use commerce_testkit::{Backend, SqlCounter, TestDatabase, migrated_database};
use serde_json::{Value, json};

/// The documents other subgraphs send, exactly as committed.
pub mod operations {
    pub const AUTHORIZE: &str =
        include_str!("../../../../schema/operations/internal/payments/authorize_payment.graphql");
    pub const ATTACH: &str = include_str!(
        "../../../../schema/operations/internal/payments/attach_payment_to_order.graphql"
    );
    pub const CAPTURE: &str =
        include_str!("../../../../schema/operations/internal/payments/capture_payment.graphql");
    pub const VOID: &str =
        include_str!("../../../../schema/operations/internal/payments/void_payment.graphql");
    pub const REFUND: &str =
        include_str!("../../../../schema/operations/internal/payments/refund_payment.graphql");
    pub const CANCEL_REFERENCE: &str = include_str!(
        "../../../../schema/operations/internal/payments/cancel_payment_reference.graphql"
    );
}

pub const SUCCEEDS: &str = "4242 4242 4242 4242";
pub const DECLINED: &str = "4000000000000002";
pub const INSUFFICIENT_FUNDS: &str = "4000000000009995";
pub const FAILS_ON_CAPTURE: &str = "4000000000000341";

pub const WEBHOOK_SECRET: &[u8] = b"whsec_test_secret";

pub struct TestApp {
    pub state: AppState,
    pub schema: PaymentsSchema,
    pub statements: SqlCounter,
    _database: TestDatabase,
}

impl TestApp {
    /// The verifier the subgraph's routes check tokens with, from the test's configuration.
    pub fn verifier(&self) -> Arc<Verifier> {
        commerce_testkit::verifier(&self._database.config)
    }

    pub async fn new(backend: Backend) -> Self {
        Self::with_providers(backend, Providers::default()).await
    }

    /// An app offering `providers` (test doubles beside the test provider).
    pub async fn with_providers(backend: Backend, providers: Providers) -> Self {
        let database =
            migrated_database::<commerce_migrations::payments::Migrator>(backend, "payments").await;
        let service = PaymentsService::new(
            database.db.clone(),
            providers,
            WebhookSecret::new(WEBHOOK_SECRET),
        );
        let state = AppState { service };
        Self {
            schema: commerce_payments::schema(state.clone()),
            state,
            statements: database.statements.clone(),
            _database: database,
        }
    }

    /// The configuration of the test's database (its `data_dir` holds the development keys).
    pub fn config(&self) -> commerce_kernel::config::Config {
        self._database.config.config()
    }

    pub async fn execute_as(&self, viewer: Viewer, query: &str, variables: Value) -> Value {
        commerce_testkit::execute_as(&self.schema, viewer, query, variables).await
    }

    /// Authorizes `amount` EUR with `card` as checkout would, returning the mutation's result.
    pub async fn authorize(&self, card: &str, amount: &str, key: &str) -> Value {
        self.authorize_for(card, amount, key, None).await
    }

    pub async fn authorize_for(
        &self,
        card: &str,
        amount: &str,
        key: &str,
        customer: Option<&str>,
    ) -> Value {
        self.authorize_under("checkout-1", card, amount, key, customer)
            .await
    }

    /// Authorizes under the payment reference `reference`.
    pub async fn authorize_under(
        &self,
        reference: &str,
        card: &str,
        amount: &str,
        key: &str,
        customer: Option<&str>,
    ) -> Value {
        let variables = json!({
            "input": {
                "reference": reference,
                "amount": { "amount": amount, "currency": "EUR" },
                "method": { "token": card },
                "customerId": customer,
            },
            "idempotencyKey": key,
        });
        let response = self
            .execute_as(checkout(), operations::AUTHORIZE, variables)
            .await;
        assert_no_errors(&response);
        response["data"]["authorizePayment"].clone()
    }

    /// An authorized intent's id.
    pub async fn authorized(&self, amount: &str) -> String {
        self.authorized_with(SUCCEEDS, amount).await
    }

    pub async fn authorized_with(&self, card: &str, amount: &str) -> String {
        let key = format!("auth-{}", uuid_like());
        let intent = self.authorize(card, amount, &key).await;
        assert_eq!(intent["__typename"], "PaymentIntent", "{intent}");
        intent["id"].as_str().expect("an id").to_owned()
    }

    /// Runs one of the movement documents as `viewer`, returning its result.
    pub async fn movement(&self, viewer: Viewer, document: &str, variables: Value) -> Value {
        let response = self.execute_as(viewer, document, variables).await;
        assert_no_errors(&response);
        let data = response["data"].as_object().expect("data");
        data.values().next().expect("one root field").clone()
    }

    pub async fn capture(&self, intent: &str, amount: Option<&str>, key: &str) -> Value {
        let variables = json!({ "intentId": intent, "amount": amount, "idempotencyKey": key });
        self.movement(checkout(), operations::CAPTURE, variables)
            .await
    }

    pub async fn refund(&self, intent: &str, amount: Option<&str>, key: &str) -> Value {
        let variables = json!({ "intentId": intent, "amount": amount, "reason": "test", "idempotencyKey": key });
        self.movement(orders(), operations::REFUND, variables).await
    }

    pub async fn void(&self, intent: &str, key: &str) -> Value {
        let variables = json!({ "intentId": intent, "idempotencyKey": key });
        self.movement(checkout(), operations::VOID, variables).await
    }

    /// Cancels the payment reference `reference` as checkout does when it compensates.
    pub async fn cancel_reference(&self, reference: &str, key: &str) -> Value {
        let variables = json!({ "reference": reference, "idempotencyKey": key });
        self.movement(checkout(), operations::CANCEL_REFERENCE, variables)
            .await
    }

    /// An intent with its ledger, read as staff.
    pub async fn read(&self, intent: &str) -> Value {
        let query = "query ($id: ID!) { paymentIntent(id: $id) { id status \
            amountAuthorized { amount currency } amountCaptured { amount } \
            amountRefunded { amount } amountRefundable { amount } \
            paymentMethod { provider brand last4 } \
            ledger { kind amount { amount currency } idempotencyKey webhookEventId note } } }";
        let response = self
            .execute_as(reader(), query, json!({ "id": intent }))
            .await;
        assert_no_errors(&response);
        response["data"]["paymentIntent"].clone()
    }
}

pub fn assert_no_errors(response: &Value) {
    assert!(
        response
            .get("errors")
            .is_none_or(|errors| errors.as_array().is_none_or(Vec::is_empty)),
        "unexpected errors: {response}"
    );
}

/// A unique-enough suffix for keys within one test.
pub fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::SeqCst).to_string()
}

/// The checkout subgraph, calling with a service token.
pub fn checkout() -> Viewer {
    commerce_testkit::service("checkout")
}

/// The orders subgraph, calling with a service token.
pub fn orders() -> Viewer {
    commerce_testkit::service("orders")
}

/// Staff who may read payments.
pub fn reader() -> Viewer {
    commerce_testkit::staff(&["payments:read"])
}

/// Staff who may move money.
pub fn writer() -> Viewer {
    commerce_testkit::staff(&["payments:write"])
}
