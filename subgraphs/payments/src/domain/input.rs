//! Inputs of the payment use cases, validated once at the edge: amounts, idempotency keys and
//! a new authorization. Every failure names the input field at fault.

use commerce_kernel::{Currency, GlobalId, Money, ValidationError};
use serde::{Deserialize, Serialize};

use super::card::{CardSummary, card_digits};

/// A client-chosen key that makes a mutation safe to retry: 1-128 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        let valid = (1..=128).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_graphic());
        if valid {
            Ok(Self(value.to_owned()))
        } else {
            Err(ValidationError::new(
                "idempotencyKey",
                "must be 1-128 visible ASCII characters",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A strictly positive decimal amount in `currency`.
pub fn parse_amount(
    field: &str,
    value: &str,
    currency: Currency,
) -> Result<Money, ValidationError> {
    let money = Money::parse_decimal(value, currency).map_err(|error| {
        ValidationError::new(field, format!("{error} (a decimal such as \"19.90\")"))
    })?;
    if money.amount <= 0 {
        return Err(ValidationError::new(field, "must be greater than zero"));
    }
    Ok(money)
}

/// A caller's payment reference, such as `checkout-42`: 1-200 characters, trimmed.
pub fn parse_reference(value: &str) -> Result<String, ValidationError> {
    let reference = value.trim();
    if reference.is_empty() || reference.len() > 200 {
        return Err(ValidationError::new(
            "reference",
            "must be 1-200 characters",
        ));
    }
    Ok(reference.to_owned())
}

/// An amount a capture or refund asks for; `None` means "all that is left".
pub type OptionalAmount = Option<String>;

/// A validated request to authorize a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewAuthorization {
    /// The caller's reference, such as the checkout id; not unique (a checkout may retry
    /// with another card).
    pub reference: String,
    pub amount: Money,
    pub provider: String,
    /// The provider's payment token; never stored (for the test provider, the card number).
    #[serde(skip)]
    pub token: String,
    pub customer_id: Option<String>,
    pub email: Option<String>,
}

/// What a request hash covers: the request and a fingerprint of the token, never the token.
#[derive(Serialize)]
struct Fingerprint<'a> {
    request: &'a NewAuthorization,
    token: String,
}

impl NewAuthorization {
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        reference: &str,
        amount: &str,
        currency: &str,
        provider: &str,
        token: &str,
        customer_id: Option<&str>,
        email: Option<&str>,
    ) -> Result<Self, ValidationError> {
        let reference = parse_reference(reference)?;
        let currency = Currency::parse(currency)
            .map_err(|error| ValidationError::new("amount.currency", error.to_string()))?;
        let amount = parse_amount("amount.amount", amount, currency)?;
        let provider = provider.trim();
        if provider.is_empty() {
            return Err(ValidationError::new("method.provider", "must not be empty"));
        }
        if token.trim().is_empty() {
            return Err(ValidationError::new("method.token", "must not be empty"));
        }
        let customer_id = customer_id
            .map(|id| {
                GlobalId::decode(id, "Customer")
                    .map(|_| id.trim().to_owned())
                    .map_err(|_| ValidationError::new("customerId", "is not a Customer id"))
            })
            .transpose()?;
        let email = email
            .map(str::trim)
            .filter(|email| !email.is_empty())
            .map(|email| {
                let plausible = email.len() <= 254
                    && email
                        .split_once('@')
                        .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'));
                if plausible {
                    Ok(email.to_owned())
                } else {
                    Err(ValidationError::new("email", "is not an email address"))
                }
            })
            .transpose()?;
        Ok(Self {
            reference,
            amount,
            provider: provider.to_owned(),
            token: token.to_owned(),
            customer_id,
            email,
        })
    }

    /// What identifies this request for idempotency: everything but the raw token, whose
    /// place is taken by a hash of its digits.
    /// A card number counts by its brand and last four digits: even a hash of the whole
    /// number would be guessable from the few digits a card number hides. Other tokens are
    /// the provider's references and count by their SHA-256.
    pub fn fingerprint(&self) -> impl Serialize + '_ {
        use sha2::{Digest, Sha256};
        let token = match card_digits(&self.token) {
            Some(digits) => {
                let card = CardSummary::of(&digits);
                format!("card:{}:{}", card.brand, card.last4)
            }
            None => format!("token:{}", hex::encode(Sha256::digest(self.token.trim()))),
        };
        Fingerprint {
            request: self,
            token,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::parse("EUR").expect("EUR is known")
    }

    #[test]
    fn amounts_must_be_positive_decimals_of_the_currency() {
        assert_eq!(
            parse_amount("a", "19.90", eur()).map(|m| m.amount),
            Ok(1990)
        );
        assert_eq!(
            parse_amount("a", "0", eur()).map_err(|e| e.field),
            Err("a".into())
        );
        assert!(parse_amount("a", "-1", eur()).is_err());
        assert!(parse_amount("a", "1.999", eur()).is_err());
    }

    #[test]
    fn validates_an_authorization_field_by_field() {
        let customer = GlobalId::encode("Customer", 7);
        let ok = NewAuthorization::parse(
            " checkout-1 ",
            "10.00",
            "eur",
            "test",
            "4242 4242 4242 4242",
            Some(&customer),
            Some("ada@example.com"),
        )
        .expect("valid");
        assert_eq!(ok.reference, "checkout-1");
        assert_eq!(ok.amount.amount, 1000);
        let field = |result: Result<NewAuthorization, ValidationError>| {
            result.map(|_| ()).map_err(|e| e.field)
        };
        assert_eq!(
            field(NewAuthorization::parse(
                "r", "10", "XXX", "test", "4", None, None
            )),
            Err("amount.currency".into())
        );
        let product = GlobalId::encode("Product", 7);
        assert_eq!(
            field(NewAuthorization::parse(
                "r",
                "10",
                "EUR",
                "test",
                "4",
                Some(&product),
                None
            )),
            Err("customerId".into())
        );
        assert_eq!(
            field(NewAuthorization::parse(
                "r",
                "10",
                "EUR",
                "test",
                "4",
                None,
                Some("nope")
            )),
            Err("email".into())
        );
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("key 1").is_err());
    }

    #[test]
    fn the_fingerprint_never_holds_the_card_number() {
        let request =
            NewAuthorization::parse("r", "10", "EUR", "test", "4242424242424242", None, None)
                .expect("valid");
        let json = serde_json::to_string(&request.fingerprint()).expect("serializes");
        assert!(!json.contains("4242424242424242"), "{json}");
        assert!(json.contains("card:visa:4242"), "{json}");
    }
}
