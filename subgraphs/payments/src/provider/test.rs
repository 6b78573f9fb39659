//! The built-in test provider: no outside service, the card number decides.
//!
//! | card number        | outcome                                              |
//! |--------------------|------------------------------------------------------|
//! | `4242424242424242` | authorizes, captures, voids and refunds              |
//! | `4000000000000002` | declined: `CARD_DECLINED`                            |
//! | `4000000000009995` | declined: `INSUFFICIENT_FUNDS`                       |
//! | `4000000000000341` | authorizes, then every capture fails (`CAPTURE_FAILED`) |
//! | anything else      | declined: `INVALID_CARD`                             |
//!
//! Spaces and dashes between digit groups are allowed. The authorization reference carries
//! the card's behaviour (`test_auth_capfail_...`), so the provider keeps no state and behaves
//! the same after a restart.

use async_trait::async_trait;
use commerce_kernel::Money;

use super::{Authorization, Declined, FailureCode, PaymentProvider, ProviderFailure};
use crate::domain::{CardSummary, card_digits};

pub struct TestProvider;

const SUCCEEDS: &str = "4242424242424242";
const DECLINED: &str = "4000000000000002";
const INSUFFICIENT_FUNDS: &str = "4000000000009995";
const FAILS_ON_CAPTURE: &str = "4000000000000341";

const CAPTURE_FAILS_PREFIX: &str = "test_auth_capfail_";

impl TestProvider {
    pub const NAME: &'static str = "test";
}

fn reference(kind: &str) -> String {
    format!("test_{kind}_{}", uuid::Uuid::new_v4().simple())
}

#[async_trait]
impl PaymentProvider for TestProvider {
    async fn authorize(
        &self,
        token: &str,
        _amount: Money,
        _key: &str,
    ) -> Result<Authorization, Declined> {
        let digits = card_digits(token);
        let card = digits.as_deref().map(CardSummary::of);
        let decline = |code, message: &str| Declined {
            failure: ProviderFailure::new(code, message),
            card: card.clone(),
        };
        match digits.as_deref() {
            Some(SUCCEEDS) => Ok(Authorization {
                reference: reference("auth"),
                card,
            }),
            Some(FAILS_ON_CAPTURE) => Ok(Authorization {
                reference: format!("{CAPTURE_FAILS_PREFIX}{}", uuid::Uuid::new_v4().simple()),
                card,
            }),
            Some(DECLINED) => Err(decline(FailureCode::CardDeclined, "the card was declined")),
            Some(INSUFFICIENT_FUNDS) => Err(decline(
                FailureCode::InsufficientFunds,
                "the card has insufficient funds",
            )),
            _ => Err(decline(
                FailureCode::InvalidCard,
                "the card number is not valid",
            )),
        }
    }

    async fn capture(
        &self,
        authorization: &str,
        _amount: Money,
        _key: &str,
    ) -> Result<String, ProviderFailure> {
        if authorization.starts_with(CAPTURE_FAILS_PREFIX) {
            return Err(ProviderFailure::new(
                FailureCode::CaptureFailed,
                "the provider could not capture the payment",
            ));
        }
        Ok(reference("capture"))
    }

    async fn void(&self, _authorization: &str, _key: &str) -> Result<String, ProviderFailure> {
        Ok(reference("void"))
    }

    async fn refund(
        &self,
        _authorization: &str,
        _amount: Money,
        _key: &str,
    ) -> Result<String, ProviderFailure> {
        Ok(reference("refund"))
    }
}

#[cfg(test)]
mod tests {
    use commerce_kernel::Currency;

    use super::*;

    fn ten_euros() -> Money {
        Money::new(1000, Currency::parse("EUR").expect("EUR is known"))
    }

    async fn decline_code(token: &str) -> Option<FailureCode> {
        TestProvider
            .authorize(token, ten_euros(), "k")
            .await
            .err()
            .map(|declined| declined.failure.code)
    }

    #[tokio::test]
    async fn the_documented_cards_behave_as_documented() {
        let ok = TestProvider
            .authorize("4242 4242 4242 4242", ten_euros(), "k")
            .await
            .expect("authorizes");
        assert_eq!(ok.card.map(|c| c.last4), Some("4242".to_owned()));
        assert!(
            TestProvider
                .capture(&ok.reference, ten_euros(), "k")
                .await
                .is_ok()
        );
        assert_eq!(
            decline_code("4000000000000002").await,
            Some(FailureCode::CardDeclined)
        );
        assert_eq!(
            decline_code("4000-0000-0000-9995").await,
            Some(FailureCode::InsufficientFunds)
        );
        assert_eq!(
            decline_code("4111111111111111").await,
            Some(FailureCode::InvalidCard)
        );
        assert_eq!(
            decline_code("tok_visa").await,
            Some(FailureCode::InvalidCard)
        );
        let fragile = TestProvider
            .authorize("4000000000000341", ten_euros(), "k")
            .await
            .expect("authorizes");
        let capture = TestProvider
            .capture(&fragile.reference, ten_euros(), "k")
            .await;
        assert_eq!(capture.map_err(|f| f.code), Err(FailureCode::CaptureFailed));
    }
}
