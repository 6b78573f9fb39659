//! The events pricing publishes (stream `pricing`), documented in `docs/events.md`.

use commerce_kernel::events::Event;
use commerce_kernel::{Currency, Money};
use serde::{Deserialize, Serialize};

use super::{BasePrice, VariantId};

/// A variant's base price in one currency was set or removed (`amount: null`). Price lists,
/// promotions and taxes do not emit this.
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
