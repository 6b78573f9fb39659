//! The events pricing publishes (stream `pricing`), documented in `docs/events.md`.

use commerce_kernel::events::Event;
use commerce_kernel::{Currency, Money};
use serde::{Deserialize, Serialize};

use super::{BasePrice, VariantId};

/// A variant's base price in one currency was set or removed (`amount: null`). Price lists,
/// promotions and taxes emit [`RulesChanged`] instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceChanged {
    pub variant_id: String,
    /// The variant's product, when pricing knows it.
    pub product_id: Option<String>,
    pub currency: String,
    /// Decimal in the currency's minor units (`"19.99"`); `null` once removed.
    pub amount: Option<String>,
    pub compare_at: Option<String>,
}

impl PriceChanged {
    pub fn set(variant: &VariantId, product_id: Option<&str>, price: &BasePrice) -> Self {
        Self {
            variant_id: variant.as_str().to_owned(),
            product_id: product_id.map(str::to_owned),
            currency: price.amount.currency.code().to_owned(),
            amount: Some(price.amount.to_decimal_string()),
            compare_at: price.compare_at.as_ref().map(Money::to_decimal_string),
        }
    }

    pub fn removed(variant: &VariantId, currency: Currency) -> Self {
        Self {
            variant_id: variant.as_str().to_owned(),
            product_id: None,
            currency: currency.code().to_owned(),
            amount: None,
            compare_at: None,
        }
    }
}

impl Event for PriceChanged {
    const TYPE: &'static str = "pricing.price_changed";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        self.variant_id.clone()
    }
}

/// A rule that prices many variants at once changed: a price list or its tiers, a promotion,
/// a tax rate or a currency's tax mode. Whoever keeps computed prices (the router's cache)
/// drops them all. A window opening or closing later is not an event: pricing's answers say
/// until when they hold (`Cache-Control: max-age`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RulesChanged {
    /// `priceList`, `promotion`, `taxRate` or `taxMode`.
    pub rule: String,
    /// The list's, promotion's or rate's id; the currency for a tax mode.
    pub id: String,
}

impl RulesChanged {
    pub fn new(rule: &str, id: impl ToString) -> Self {
        Self {
            rule: rule.to_owned(),
            id: id.to_string(),
        }
    }
}

impl Event for RulesChanged {
    const TYPE: &'static str = "pricing.rules_changed";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        format!("{}:{}", self.rule, self.id)
    }
}
