//! Demo data: a few payments in each state, made through the use cases with the test
//! provider. Every step has a fixed idempotency key, so seeding again changes nothing.

use anyhow::Context;

use crate::AppState;
use crate::domain::{IdempotencyKey, NewAuthorization};

/// The demo payments: reference, amount in EUR, card, then what happens after authorization.
const PAYMENTS: &[(&str, &str, &str, Step)] = &[
    (
        "demo-checkout-1",
        "49.90",
        "4242424242424242",
        Step::Capture,
    ),
    (
        "demo-checkout-2",
        "120.00",
        "4242424242424242",
        Step::CaptureThenRefund("20.00"),
    ),
    ("demo-checkout-3", "15.00", "4242424242424242", Step::Void),
    ("demo-checkout-4", "9.99", "4242424242424242", Step::None),
    ("demo-checkout-5", "75.00", "4000000000000002", Step::None),
];

#[derive(Clone, Copy)]
enum Step {
    None,
    Capture,
    CaptureThenRefund(&'static str),
    Void,
}

fn key(reference: &str, step: &str) -> anyhow::Result<IdempotencyKey> {
    IdempotencyKey::parse(&format!("demo:{reference}:{step}")).context("a demo key")
}

/// Seeds the demo payments (declines included); the data is fixed, so it takes no seed.
pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let service = &state.service;
    for (reference, amount, card, step) in PAYMENTS {
        let request = NewAuthorization::parse(reference, amount, "EUR", "test", card, None, None)
            .context("a demo authorization")?;
        let Ok(intent) = service
            .authorize(&key(reference, "authorize")?, &request)
            .await
        else {
            // The declined card: stored as a failed intent, nothing more to do.
            continue;
        };
        match step {
            Step::None => {}
            Step::Capture => {
                service
                    .capture(&key(reference, "capture")?, intent.id, None)
                    .await?;
            }
            Step::CaptureThenRefund(refund) => {
                service
                    .capture(&key(reference, "capture")?, intent.id, None)
                    .await?;
                service
                    .refund(
                        &key(reference, "refund")?,
                        intent.id,
                        Some(refund),
                        Some("demo"),
                    )
                    .await?;
            }
            Step::Void => {
                service.void(&key(reference, "void")?, intent.id).await?;
            }
        }
    }
    Ok(())
}
