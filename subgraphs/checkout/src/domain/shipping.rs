//! Shipping zones (countries) and their methods, priced per currency: a flat rate, by weight
//! in bands, or a rate that drops to zero once the cart's subtotal reaches a threshold.

use commerce_kernel::{Currency, GlobalId, Money};
use serde::{Deserialize, Serialize};

use super::{CheckoutError, Country};

pub const SHIPPING_ZONE: &str = "ShippingZone";
pub const SHIPPING_METHOD: &str = "ShippingMethod";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShippingKind {
    Flat,
    ByWeight,
    FreeOver,
}

impl ShippingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Flat => "FLAT",
            Self::ByWeight => "BY_WEIGHT",
            Self::FreeOver => "FREE_OVER",
        }
    }

    pub fn parse(value: &str) -> Result<Self, CheckoutError> {
        Ok(match value {
            "FLAT" => Self::Flat,
            "BY_WEIGHT" => Self::ByWeight,
            "FREE_OVER" => Self::FreeOver,
            other => {
                return Err(CheckoutError::unexpected(format!(
                    "shipping kind {other:?}"
                )));
            }
        })
    }
}

/// Up to `up_to_grams` (inclusive; no limit when `None`) the shipping costs `amount`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WeightBand {
    pub up_to_grams: Option<i64>,
    /// Minor units of the rate's currency.
    pub amount: i64,
}

/// A method's price in one currency, in minor units, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingRate {
    pub currency: Currency,
    /// FLAT and FREE_OVER: the price below the threshold.
    pub amount: i64,
    /// FREE_OVER: the subtotal from which shipping is free.
    pub free_over: Option<i64>,
    /// BY_WEIGHT: ascending bands, the last one may be open-ended.
    pub bands: Vec<WeightBand>,
}

/// A rate as staff enter it: decimals in the currency.
pub struct RateInput {
    pub currency: String,
    pub amount: Option<String>,
    pub free_over: Option<String>,
    /// `(up to grams, decimal amount)`.
    pub bands: Vec<(Option<i64>, String)>,
}

fn minor(field: &str, value: &str, currency: Currency) -> Result<i64, CheckoutError> {
    let money = Money::parse_decimal(value, currency)
        .map_err(|error| CheckoutError::invalid(field, error.to_string()))?;
    if money.amount < 0 {
        return Err(CheckoutError::invalid(field, "must not be negative"));
    }
    Ok(money.amount)
}

impl ShippingRate {
    /// Checks that the rate fits its method's kind.
    pub fn parse(kind: ShippingKind, input: RateInput) -> Result<Self, CheckoutError> {
        let currency = Currency::parse(&input.currency)
            .map_err(|error| CheckoutError::invalid("rates.currency", error.to_string()))?;
        let amount = match (&input.amount, kind) {
            (Some(amount), ShippingKind::Flat | ShippingKind::FreeOver) => {
                minor("rates.amount", amount, currency)?
            }
            (None, ShippingKind::ByWeight) => 0,
            (None, _) => return Err(CheckoutError::invalid("rates.amount", "required")),
            (Some(_), ShippingKind::ByWeight) => {
                return Err(CheckoutError::invalid(
                    "rates.amount",
                    "BY_WEIGHT rates are priced by their bands",
                ));
            }
        };
        let free_over = match (&input.free_over, kind) {
            (Some(threshold), ShippingKind::FreeOver) => {
                Some(minor("rates.freeOver", threshold, currency)?)
            }
            (None, ShippingKind::FreeOver) => {
                return Err(CheckoutError::invalid("rates.freeOver", "required"));
            }
            (Some(_), _) => {
                return Err(CheckoutError::invalid(
                    "rates.freeOver",
                    "only FREE_OVER methods have a threshold",
                ));
            }
            (None, _) => None,
        };
        let bands = Self::parse_bands(kind, input.bands, currency)?;
        Ok(Self {
            currency,
            amount,
            free_over,
            bands,
        })
    }

    fn parse_bands(
        kind: ShippingKind,
        raw: Vec<(Option<i64>, String)>,
        currency: Currency,
    ) -> Result<Vec<WeightBand>, CheckoutError> {
        if kind != ShippingKind::ByWeight {
            return if raw.is_empty() {
                Ok(Vec::new())
            } else {
                Err(CheckoutError::invalid(
                    "rates.bands",
                    "only BY_WEIGHT methods have bands",
                ))
            };
        }
        if raw.is_empty() {
            return Err(CheckoutError::invalid("rates.bands", "at least one band"));
        }
        let mut bands = Vec::with_capacity(raw.len());
        let mut previous = 0;
        let last = raw.len() - 1;
        for (index, (up_to, amount)) in raw.into_iter().enumerate() {
            match up_to {
                Some(grams) if grams > previous => previous = grams,
                None if index == last => {}
                _ => {
                    return Err(CheckoutError::invalid(
                        "rates.bands",
                        "bands ascend by weight and only the last is open-ended",
                    ));
                }
            }
            bands.push(WeightBand {
                up_to_grams: up_to,
                amount: minor("rates.bands.amount", &amount, currency)?,
            });
        }
        Ok(bands)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShippingZone {
    pub id: i64,
    pub name: String,
    pub countries: Vec<Country>,
}

impl ShippingZone {
    pub fn global_id(&self) -> String {
        GlobalId::encode(SHIPPING_ZONE, self.id)
    }

    pub fn covers(&self, country: Country) -> bool {
        self.countries.contains(&country)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShippingMethod {
    pub id: i64,
    pub zone_id: i64,
    pub name: String,
    pub kind: ShippingKind,
    pub rates: Vec<ShippingRate>,
}

impl ShippingMethod {
    pub fn global_id(&self) -> String {
        GlobalId::encode(SHIPPING_METHOD, self.id)
    }

    /// The price of shipping a cart with this `subtotal` (the lines after discounts) and
    /// `weight_grams`; `None` when the method has no rate in the currency or no band for
    /// the weight.
    pub fn quote(&self, subtotal: Money, weight_grams: i64) -> Option<Money> {
        let rate = self
            .rates
            .iter()
            .find(|rate| rate.currency == subtotal.currency)?;
        let amount = match self.kind {
            ShippingKind::Flat => rate.amount,
            ShippingKind::FreeOver => match rate.free_over {
                Some(threshold) if subtotal.amount >= threshold => 0,
                _ => rate.amount,
            },
            ShippingKind::ByWeight => {
                rate.bands
                    .iter()
                    .find(|band| band.up_to_grams.is_none_or(|limit| weight_grams <= limit))?
                    .amount
            }
        };
        Some(Money::new(amount, subtotal.currency))
    }

    /// Whether the method's price could still depend on the subtotal, so a quote made before
    /// the subtotal was known may change.
    pub fn depends_on_subtotal(&self) -> bool {
        self.kind == ShippingKind::FreeOver
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::parse("EUR").expect("EUR")
    }

    fn method(kind: ShippingKind, input: RateInput) -> ShippingMethod {
        ShippingMethod {
            id: 1,
            zone_id: 1,
            name: "Standard".into(),
            kind,
            rates: vec![ShippingRate::parse(kind, input).expect("valid rate")],
        }
    }

    fn rate(
        amount: Option<&str>,
        free_over: Option<&str>,
        bands: &[(Option<i64>, &str)],
    ) -> RateInput {
        RateInput {
            currency: "EUR".into(),
            amount: amount.map(str::to_owned),
            free_over: free_over.map(str::to_owned),
            bands: bands.iter().map(|(g, a)| (*g, (*a).to_owned())).collect(),
        }
    }

    fn euros(cents: i64) -> Money {
        Money::new(cents, eur())
    }

    #[test]
    fn flat_rates_ignore_subtotal_and_weight() {
        let flat = method(ShippingKind::Flat, rate(Some("4.90"), None, &[]));
        assert_eq!(flat.quote(euros(100), 50_000), Some(euros(490)));
        let usd = Money::new(100, Currency::parse("USD").expect("USD"));
        assert_eq!(flat.quote(usd, 0), None);
    }

    #[test]
    fn free_over_drops_to_zero_from_the_threshold() {
        let free = method(ShippingKind::FreeOver, rate(Some("4.90"), Some("50"), &[]));
        assert_eq!(free.quote(euros(4_999), 0), Some(euros(490)));
        assert_eq!(free.quote(euros(5_000), 0), Some(euros(0)));
    }

    #[test]
    fn by_weight_picks_the_first_band_that_holds_the_weight() {
        let bands = [(Some(1_000), "5"), (Some(5_000), "9.50"), (None, "20")];
        let weighed = method(ShippingKind::ByWeight, rate(None, None, &bands));
        assert_eq!(weighed.quote(euros(1), 1_000), Some(euros(500)));
        assert_eq!(weighed.quote(euros(1), 1_001), Some(euros(950)));
        assert_eq!(weighed.quote(euros(1), 80_000), Some(euros(2_000)));
        let closed = method(ShippingKind::ByWeight, rate(None, None, &bands[..1]));
        assert_eq!(closed.quote(euros(1), 1_001), None);
    }

    #[test]
    fn rates_must_fit_their_kind() {
        let invalid = |kind, input| ShippingRate::parse(kind, input).is_err();
        assert!(invalid(ShippingKind::Flat, rate(None, None, &[])));
        assert!(invalid(ShippingKind::Flat, rate(Some("1"), Some("2"), &[])));
        assert!(invalid(ShippingKind::FreeOver, rate(Some("1"), None, &[])));
        assert!(invalid(ShippingKind::ByWeight, rate(None, None, &[])));
        assert!(invalid(ShippingKind::Flat, rate(Some("-1"), None, &[])));
        let descending = [(Some(5_000), "1"), (Some(1_000), "2")];
        assert!(invalid(
            ShippingKind::ByWeight,
            rate(None, None, &descending)
        ));
        let open_in_the_middle = [(None, "1"), (Some(1_000), "2")];
        assert!(invalid(
            ShippingKind::ByWeight,
            rate(None, None, &open_in_the_middle)
        ));
    }
}
