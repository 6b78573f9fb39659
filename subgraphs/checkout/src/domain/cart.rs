//! Carts: who owns one (a customer, or whoever holds a guest cart's token), its lines and
//! their quantities, and the values a cart is built from.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use commerce_kernel::{Currency, GlobalId};
use rand::RngCore;

use super::{Address, CheckoutError, Country};

pub const CART: &str = "Cart";
pub const CART_LINE: &str = "CartLine";

/// Most units of one variant on a cart line.
pub const MAX_QUANTITY: i32 = 999;

/// The currencies the shop sells in; pricing must hold prices in them too.
pub const SOLD_CURRENCIES: &[&str] = &["EUR", "USD", "GBP"];

/// A currency the shop sells in, or `CurrencyNotSold`.
pub fn sold_currency(code: &str) -> Result<Currency, CheckoutError> {
    let not_sold = || CheckoutError::CurrencyNotSold {
        currency: code.to_owned(),
    };
    let currency = Currency::parse(code).map_err(|_| not_sold())?;
    if SOLD_CURRENCIES.contains(&currency.code()) {
        Ok(currency)
    } else {
        Err(not_sold())
    }
}

/// A guest cart's capability: 256 random bits, base64url. Whoever holds it may use the cart,
/// so it is never derived from anything guessable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartToken(String);

impl CartToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A token as a client sends it; only its shape is checked (the lookup does the rest).
    pub fn parse(value: &str) -> Result<Self, CheckoutError> {
        let value = value.trim();
        if value.len() != 43 || URL_SAFE_NO_PAD.decode(value).is_err() {
            return Err(CheckoutError::CartNotFound);
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Units of a variant on a line: 1 to [`MAX_QUANTITY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity(i32);

impl Quantity {
    pub fn parse(value: i32) -> Result<Self, CheckoutError> {
        if (1..=MAX_QUANTITY).contains(&value) {
            Ok(Self(value))
        } else {
            Err(CheckoutError::InvalidQuantity { value })
        }
    }

    /// Two quantities together (merging carts, adding a variant already on the cart), capped
    /// rather than refused: a merge must not fail because both carts held many units.
    pub fn plus(self, other: i32) -> Self {
        Self(self.0.saturating_add(other).min(MAX_QUANTITY))
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

/// A coupon code as pricing reads it: 3-32 letters, digits, `-` or `_`, upper case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponCode(String);

impl CouponCode {
    pub fn parse(value: &str) -> Result<Self, CheckoutError> {
        let code = value.trim().to_ascii_uppercase();
        let valid = (3..=32).contains(&code.len())
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(CheckoutError::CouponInvalid {
                code: value.to_owned(),
                reason: "a code is 3-32 letters, digits, `-` or `_`".into(),
            });
        }
        Ok(Self(code))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A guest's email for the order confirmation: trimmed, lower case, plausibly an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(value: &str) -> Result<Self, CheckoutError> {
        let email = value.trim().to_ascii_lowercase();
        let plausible = email.len() <= 254
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
            })
            && !email.contains(char::is_whitespace);
        if !plausible {
            return Err(CheckoutError::invalid(
                "email",
                format!("{value:?} is not an email address"),
            ));
        }
        Ok(Self(email))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CartStatus {
    /// Open for changes.
    Active,
    /// A checkout saga holds it; it changes back to active if the checkout fails.
    CheckingOut,
    /// An order was placed from it.
    Completed,
    /// Its lines moved into the customer's cart when they signed in.
    Merged,
}

impl CartStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::CheckingOut => "CHECKING_OUT",
            Self::Completed => "COMPLETED",
            Self::Merged => "MERGED",
        }
    }

    pub fn parse(value: &str) -> Result<Self, CheckoutError> {
        Ok(match value {
            "ACTIVE" => Self::Active,
            "CHECKING_OUT" => Self::CheckingOut,
            "COMPLETED" => Self::Completed,
            "MERGED" => Self::Merged,
            other => return Err(CheckoutError::unexpected(format!("cart status {other:?}"))),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cart {
    pub id: i64,
    pub token: String,
    pub customer_id: Option<String>,
    pub status: CartStatus,
    pub currency: Currency,
    pub country: Option<Country>,
    pub email: Option<String>,
    pub shipping_address: Option<Address>,
    pub billing_address: Option<Address>,
    pub coupon_codes: Vec<String>,
    pub shipping_method_id: Option<i64>,
    pub lines: Vec<CartLine>,
}

impl Cart {
    pub fn global_id(&self) -> String {
        GlobalId::encode(CART, self.id)
    }

    /// Where the cart ships to (and is taxed for): the shipping address, else the country
    /// given at creation.
    pub fn destination(&self) -> Option<Country> {
        self.shipping_address
            .as_ref()
            .and_then(|address| address.country().ok())
            .or(self.country)
    }

    /// Changes are refused unless the cart is active.
    pub fn ensure_open(&self) -> Result<(), CheckoutError> {
        match self.status {
            CartStatus::Active => Ok(()),
            status => Err(CheckoutError::CartClosed {
                status: status.as_str(),
            }),
        }
    }

    /// What checkout still needs, by the GraphQL field a client sets it with.
    pub fn missing_for_checkout(&self) -> Vec<String> {
        let mut missing = Vec::new();
        if self.lines.is_empty() {
            missing.push("lines");
        }
        if self.customer_id.is_none() && self.email.is_none() {
            missing.push("email");
        }
        if self.shipping_address.is_none() {
            missing.push("shippingAddress");
        }
        if self.shipping_method_id.is_none() {
            missing.push("shippingMethod");
        }
        missing.into_iter().map(str::to_owned).collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CartLine {
    pub id: i64,
    pub variant_id: String,
    pub quantity: i32,
}

/// A line's id: opaque outside, the row id inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineId(pub i64);

impl LineId {
    pub fn parse(value: &str) -> Result<Self, CheckoutError> {
        GlobalId::decode(value, CART_LINE)
            .map(Self)
            .map_err(|_| CheckoutError::LineNotFound {
                line_id: value.to_owned(),
            })
    }

    pub fn global(id: i64) -> String {
        GlobalId::encode(CART_LINE, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_random_bits_and_parse_back() {
        let (a, b) = (CartToken::generate(), CartToken::generate());
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 43);
        assert_eq!(CartToken::parse(a.as_str()).ok(), Some(a));
        assert!(CartToken::parse("short").is_err());
    }

    #[test]
    fn quantities_are_one_to_the_maximum_and_merges_cap() {
        assert!(Quantity::parse(1).is_ok());
        assert!(Quantity::parse(MAX_QUANTITY).is_ok());
        for bad in [0, -1, MAX_QUANTITY + 1] {
            assert!(matches!(
                Quantity::parse(bad),
                Err(CheckoutError::InvalidQuantity { value }) if value == bad
            ));
        }
        let q = Quantity::parse(900).expect("valid");
        assert_eq!(q.plus(200).get(), MAX_QUANTITY);
    }

    #[test]
    fn only_sold_currencies_pass() {
        assert!(sold_currency("eur").is_ok());
        assert!(matches!(
            sold_currency("JPY"),
            Err(CheckoutError::CurrencyNotSold { .. })
        ));
        assert!(matches!(
            sold_currency("XYZ"),
            Err(CheckoutError::CurrencyNotSold { .. })
        ));
    }

    #[test]
    fn coupon_codes_and_emails_are_normalised() {
        let code = CouponCode::parse(" welcome10 ")
            .expect("valid")
            .into_inner();
        assert_eq!(code, "WELCOME10");
        assert!(CouponCode::parse("x").is_err());
        let email = Email::parse(" Ada@Example.COM ")
            .expect("valid")
            .into_inner();
        assert_eq!(email, "ada@example.com");
        assert!(Email::parse("nobody").is_err());
    }
}
