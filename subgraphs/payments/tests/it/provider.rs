//! A provider that cannot be reached: nothing is kept, the caller hears SERVICE_UNAVAILABLE
//! (or `ProviderFailed { reason: PROVIDER_UNAVAILABLE }` where the result union has it), and
//! the same request with the same key succeeds once the provider is back.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use commerce_kernel::Money;
use commerce_payments::provider::{
    Authorization, Declined, FailureCode, PaymentProvider, ProviderFailure, Providers, TestProvider,
};
use commerce_testkit::{Backend, error_code, on_both_backends};
use serde_json::json;

use crate::support::{SUCCEEDS, TestApp, checkout, operations};

on_both_backends!(an_unreachable_provider_leaves_nothing_and_the_same_key_succeeds_later);

/// The test provider behind a link that fails its first `outages` calls, and records the keys
/// it was asked with.
struct Flaky {
    outages: AtomicUsize,
    keys: std::sync::Mutex<Vec<String>>,
}

impl Flaky {
    fn down(&self, key: &str) -> Result<(), ProviderFailure> {
        self.keys.lock().expect("not poisoned").push(key.to_owned());
        let down = self
            .outages
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if down {
            Err(ProviderFailure::new(
                FailureCode::ProviderUnavailable,
                "connection refused",
            ))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl PaymentProvider for Flaky {
    async fn authorize(
        &self,
        token: &str,
        amount: Money,
        key: &str,
    ) -> Result<Authorization, Declined> {
        self.down(key).map_err(|failure| Declined {
            failure,
            card: None,
        })?;
        TestProvider.authorize(token, amount, key).await
    }

    async fn capture(
        &self,
        authorization: &str,
        amount: Money,
        key: &str,
    ) -> Result<String, ProviderFailure> {
        self.down(key)?;
        TestProvider.capture(authorization, amount, key).await
    }

    async fn void(&self, authorization: &str, key: &str) -> Result<String, ProviderFailure> {
        self.down(key)?;
        TestProvider.void(authorization, key).await
    }

    async fn refund(
        &self,
        authorization: &str,
        amount: Money,
        key: &str,
    ) -> Result<String, ProviderFailure> {
        self.down(key)?;
        TestProvider.refund(authorization, amount, key).await
    }
}

async fn an_unreachable_provider_leaves_nothing_and_the_same_key_succeeds_later(backend: Backend) {
    let flaky = Arc::new(Flaky {
        outages: AtomicUsize::new(1),
        keys: std::sync::Mutex::default(),
    });
    let app =
        TestApp::with_providers(backend, Providers::default().with("flaky", flaky.clone())).await;
    let variables = json!({
        "input": {
            "reference": "checkout-1",
            "amount": { "amount": "10.00", "currency": "EUR" },
            "method": { "provider": "flaky", "token": SUCCEEDS },
        },
        "idempotencyKey": "flaky-auth",
    });
    let down = app
        .execute_as(checkout(), operations::AUTHORIZE, variables.clone())
        .await;
    assert_eq!(error_code(&down), "SERVICE_UNAVAILABLE", "{down}");
    let up = app
        .execute_as(checkout(), operations::AUTHORIZE, variables)
        .await;
    let intent = up["data"]["authorizePayment"].clone();
    assert_eq!(intent["__typename"], "PaymentIntent", "{up}");
    let id = intent["id"].as_str().expect("an id");

    flaky.outages.store(1, Ordering::SeqCst);
    let failed = app.capture(id, None, "flaky-capture").await;
    assert_eq!(failed["__typename"], "ProviderFailed", "{failed}");
    assert_eq!(failed["reason"], "PROVIDER_UNAVAILABLE");
    assert_eq!(failed["code"], "SERVICE_UNAVAILABLE");
    let read = app.read(id).await;
    assert_eq!(
        read["ledger"].as_array().map(Vec::len),
        Some(1),
        "nothing recorded"
    );
    let captured = app.capture(id, None, "flaky-capture").await;
    assert_eq!(captured["status"], "CAPTURED", "{captured}");
    // The provider was asked with the shop's keys, the retry with the same one.
    assert_eq!(
        *flaky.keys.lock().expect("not poisoned"),
        ["flaky-auth", "flaky-auth", "flaky-capture", "flaky-capture"]
    );
}
