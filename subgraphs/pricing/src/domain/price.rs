//! Prices per variant and currency, price lists with volume tiers, and the rule that picks the
//! unit price a viewer pays.
//!
//! Resolution rule (documented for merchants): among the price lists that apply (same currency,
//! inside their validity window, for everyone or for one of the viewer's customer groups, with a
//! tier covering the quantity), the highest `priority` wins; within one priority the lowest
//! unit price wins; then the lower list id, so the answer is deterministic. When no list
//! applies, the variant's base price is used. Priority first lets a merchant pin a contract
//! price even when a general list is cheaper.

use chrono::{DateTime, Utc};
use commerce_kernel::{Currency, Money};
use serde::{Deserialize, Serialize};

use super::{CustomerGroup, TaxCategoryCode, ValidationError, VariantId, Window};

/// The largest unit price accepted, in minor units: far above any real price, and small enough
/// that a 999-unit line of 1000 lines never overflows `i64`.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// Checks an amount entered by staff: not negative, not absurd.
pub(crate) fn check_amount(field: &str, amount: Money) -> Result<Money, ValidationError> {
    if (0..=MAX_AMOUNT).contains(&amount.amount) {
        Ok(amount)
    } else {
        Err(ValidationError::new(
            field,
            format!("{amount} is not between 0 and {MAX_AMOUNT} minor units"),
        ))
    }
}

/// A variant's regular price in one currency, with the optional "was" price shown struck out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasePrice {
    pub amount: Money,
    pub compare_at: Option<Money>,
}

impl BasePrice {
    pub fn parse(amount: Money, compare_at: Option<Money>) -> Result<Self, ValidationError> {
        let amount = check_amount("amount", amount)?;
        if let Some(compare_at) = compare_at {
            check_amount("compareAt", compare_at)?;
            if compare_at.currency != amount.currency || compare_at.amount <= amount.amount {
                return Err(ValidationError::new(
                    "compareAt",
                    format!("the compare-at price {compare_at} must be above the price {amount}"),
                ));
            }
        }
        Ok(Self { amount, compare_at })
    }
}

/// One volume tier: `min_quantity..=max_quantity` units at `amount` each (open-ended without a
/// maximum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub min_quantity: u32,
    pub max_quantity: Option<u32>,
    pub amount: Money,
}

impl Tier {
    fn covers(&self, quantity: u32) -> bool {
        self.min_quantity <= quantity && self.max_quantity.is_none_or(|max| quantity <= max)
    }

    fn overlaps(&self, next: &Tier) -> bool {
        self.max_quantity.is_none_or(|max| max >= next.min_quantity)
    }
}

/// A variant's tiers in one price list, sorted and without overlaps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tiers(Vec<Tier>);

impl Tiers {
    pub fn parse(currency: Currency, mut tiers: Vec<Tier>) -> Result<Self, ValidationError> {
        if tiers.is_empty() {
            return Err(ValidationError::new("tiers", "give at least one tier"));
        }
        for tier in &tiers {
            check_amount("tiers.amount", tier.amount)?;
            if tier.amount.currency != currency {
                return Err(ValidationError::new(
                    "tiers.amount",
                    format!(
                        "{} is not in the price list's currency {currency}",
                        tier.amount
                    ),
                ));
            }
            if tier.min_quantity == 0 || tier.max_quantity.is_some_and(|m| m < tier.min_quantity) {
                return Err(ValidationError::new(
                    "tiers.minQuantity",
                    format!("{} is not a quantity range from 1 up", tier.label()),
                ));
            }
        }
        tiers.sort_by_key(|t| t.min_quantity);
        if let Some(pair) = tiers.windows(2).find(|pair| pair[0].overlaps(&pair[1])) {
            return Err(ValidationError::new(
                "tiers",
                format!("tiers {} and {} overlap", pair[0].label(), pair[1].label()),
            ));
        }
        Ok(Self(tiers))
    }

    /// Tiers read back from our own tables, which only hold parsed tiers.
    pub fn from_stored(tiers: Vec<Tier>) -> Self {
        Self(tiers)
    }

    pub fn as_slice(&self) -> &[Tier] {
        &self.0
    }

    pub fn currency(&self) -> Option<Currency> {
        self.0.first().map(|t| t.amount.currency)
    }

    fn for_quantity(&self, quantity: u32) -> Option<&Tier> {
        self.0.iter().find(|t| t.covers(quantity))
    }
}

impl Tier {
    fn label(&self) -> String {
        match self.max_quantity {
            Some(max) => format!("{}-{max}", self.min_quantity),
            None => format!("{}+", self.min_quantity),
        }
    }
}

/// A price list's header: who it is for, when, and how it ranks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceListRule {
    pub id: i64,
    pub name: String,
    pub customer_group: Option<CustomerGroup>,
    pub currency: Currency,
    pub window: Window,
    pub priority: i32,
}

impl PriceListRule {
    /// Validates a list's fields; `id` is 0 until stored.
    pub fn parse(
        name: &str,
        customer_group: Option<&str>,
        currency: Currency,
        window: Window,
        priority: i32,
    ) -> Result<Self, ValidationError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ValidationError::new(
                "name",
                "give a name of 1 to 100 characters",
            ));
        }
        if !(-1000..=1000).contains(&priority) {
            return Err(ValidationError::new(
                "priority",
                "use a priority from -1000 to 1000",
            ));
        }
        let customer_group = customer_group
            .map(|g| CustomerGroup::parse("customerGroup", g))
            .transpose()?;
        Ok(Self {
            id: 0,
            name: name.to_owned(),
            customer_group,
            currency,
            window,
            priority,
        })
    }

    fn applies_to(&self, groups: &[String], now: DateTime<Utc>) -> bool {
        self.window.contains(now)
            && self
                .customer_group
                .as_ref()
                .is_none_or(|g| g.admits(groups))
    }
}

/// One price list's tiers for one variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceListOffer {
    pub list: std::sync::Arc<PriceListRule>,
    pub tiers: Tiers,
}

/// Where a unit price came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceSource {
    Base,
    PriceList { id: i64, name: String, tiers: Tiers },
}

/// The unit price a viewer pays before promotions, with the price to show struck out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPrice {
    pub unit: Money,
    pub compare_at: Option<Money>,
    pub source: PriceSource,
}

/// Picks the unit price for `quantity` units (see the module docs for the rule). `None` when
/// the variant has no price in `currency` for this viewer.
pub fn resolve_unit_price(
    base: Option<&BasePrice>,
    offers: &[PriceListOffer],
    currency: Currency,
    quantity: u32,
    groups: &[String],
    now: DateTime<Utc>,
) -> Option<ResolvedPrice> {
    let base = base.filter(|b| b.amount.currency == currency);
    let best = offers
        .iter()
        .filter(|o| o.list.currency == currency && o.list.applies_to(groups, now))
        .filter_map(|o| o.tiers.for_quantity(quantity).map(|tier| (o, tier)))
        .min_by_key(|(o, tier)| (-i64::from(o.list.priority), tier.amount.amount, o.list.id));
    let Some((offer, tier)) = best else {
        return base.map(|b| ResolvedPrice {
            unit: b.amount,
            compare_at: b.compare_at,
            source: PriceSource::Base,
        });
    };
    // Show the highest regular price the list undercuts, so a B2B buyer sees their saving.
    let compare_at = base
        .into_iter()
        .flat_map(|b| [Some(b.amount), b.compare_at])
        .flatten()
        .filter(|m| m.amount > tier.amount.amount)
        .max_by_key(|m| m.amount);
    Some(ResolvedPrice {
        unit: tier.amount,
        compare_at,
        source: PriceSource::PriceList {
            id: offer.list.id,
            name: offer.list.name.clone(),
            tiers: offer.tiers.clone(),
        },
    })
}

/// What pricing knows about a variant, with its base prices in every currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantPricing {
    pub variant_id: VariantId,
    pub product_id: Option<String>,
    pub tax_category: TaxCategoryCode,
    pub prices: Vec<BasePrice>,
}

/// Everything needed to price one variant in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceData {
    pub product_id: Option<String>,
    pub tax_category: TaxCategoryCode,
    pub base: Option<BasePrice>,
    pub offers: Vec<PriceListOffer>,
}

impl Default for PriceData {
    fn default() -> Self {
        Self {
            product_id: None,
            tax_category: TaxCategoryCode::standard(),
            base: None,
            offers: Vec::new(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;

    use super::*;

    pub fn eur() -> Currency {
        Currency::parse("EUR").expect("EUR is known")
    }

    pub fn money(amount: i64) -> Money {
        Money::new(amount, eur())
    }

    pub fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0)
            .single()
            .expect("a valid time")
    }

    pub fn tier(min: u32, max: Option<u32>, amount: i64) -> Tier {
        Tier {
            min_quantity: min,
            max_quantity: max,
            amount: money(amount),
        }
    }

    pub fn offer(id: i64, group: Option<&str>, priority: i32, tiers: Vec<Tier>) -> PriceListOffer {
        let mut list = PriceListRule::parse("list", group, eur(), Window::always(), priority)
            .expect("valid list");
        list.id = id;
        PriceListOffer {
            list: Arc::new(list),
            tiers: Tiers::parse(eur(), tiers).expect("valid tiers"),
        }
    }

    fn b2b_tiers() -> Vec<Tier> {
        vec![
            tier(1, Some(9), 1000),
            tier(10, Some(49), 900),
            tier(50, None, 800),
        ]
    }

    #[test]
    fn rejects_overlapping_and_empty_tiers() {
        let overlap = Tiers::parse(eur(), vec![tier(1, Some(10), 1000), tier(10, None, 900)]);
        assert_eq!(
            overlap.map_err(|e| e.message),
            Err("tiers 1-10 and 10+ overlap".to_owned())
        );
        let open_then_more = Tiers::parse(eur(), vec![tier(5, None, 900), tier(1, None, 1000)]);
        assert!(open_then_more.is_err());
        assert!(Tiers::parse(eur(), vec![]).is_err());
        assert!(Tiers::parse(eur(), vec![tier(0, None, 1)]).is_err());
        assert!(Tiers::parse(eur(), vec![tier(5, Some(4), 1)]).is_err());
        assert!(Tiers::parse(eur(), vec![tier(1, None, -1)]).is_err());
    }

    #[test]
    fn compare_at_must_exceed_the_price() {
        assert!(BasePrice::parse(money(1000), Some(money(1000))).is_err());
        assert!(BasePrice::parse(money(1000), Some(money(1200))).is_ok());
        assert!(BasePrice::parse(money(-1), None).is_err());
    }

    #[test]
    fn volume_tiers_pick_the_price_for_the_quantity() {
        let base = BasePrice::parse(money(1200), None).expect("valid");
        let offers = [offer(1, Some("b2b"), 0, b2b_tiers())];
        let b2b = ["b2b".to_owned()];
        let unit = |q| {
            resolve_unit_price(Some(&base), &offers, eur(), q, &b2b, now()).map(|p| p.unit.amount)
        };
        assert_eq!(unit(1), Some(1000));
        assert_eq!(unit(10), Some(900));
        assert_eq!(unit(49), Some(900));
        assert_eq!(unit(50), Some(800));
        assert_eq!(unit(5000), Some(800));
    }

    #[test]
    fn group_lists_apply_only_to_members_and_fall_back_to_the_base_price() {
        let base = BasePrice::parse(money(1200), Some(money(1500))).expect("valid");
        let offers = [offer(1, Some("b2b"), 0, b2b_tiers())];
        let anonymous = resolve_unit_price(Some(&base), &offers, eur(), 10, &[], now());
        assert_eq!(
            anonymous,
            Some(ResolvedPrice {
                unit: money(1200),
                compare_at: Some(money(1500)),
                source: PriceSource::Base
            })
        );
        let member = resolve_unit_price(Some(&base), &offers, eur(), 10, &["b2b".into()], now())
            .expect("priced");
        assert_eq!(member.unit, money(900));
        assert_eq!(member.compare_at, Some(money(1500)));
    }

    #[test]
    fn priority_beats_a_lower_price_and_price_breaks_ties() {
        let offers = [
            offer(1, None, 0, vec![tier(1, None, 700)]),
            offer(2, None, 5, vec![tier(1, None, 950)]),
            offer(3, None, 5, vec![tier(1, None, 900)]),
        ];
        let price = resolve_unit_price(None, &offers, eur(), 1, &[], now()).expect("priced");
        assert_eq!(price.unit, money(900));
        assert!(matches!(price.source, PriceSource::PriceList { id: 3, .. }));
    }

    #[test]
    fn expired_lists_other_currencies_and_uncovered_quantities_do_not_apply() {
        let mut expired = offer(1, None, 9, vec![tier(1, None, 100)]);
        let past = Window::new(None, Some(now())).expect("valid");
        Arc::make_mut(&mut expired.list).window = past;
        let gap = offer(2, None, 9, vec![tier(10, None, 200)]);
        let base = BasePrice::parse(money(1000), None).expect("valid");
        let offers = [expired, gap];
        let price = resolve_unit_price(Some(&base), &offers, eur(), 1, &[], now());
        assert_eq!(price.map(|p| p.unit), Some(money(1000)));
        let usd = Currency::parse("USD").expect("USD");
        assert_eq!(
            resolve_unit_price(Some(&base), &offers, usd, 1, &[], now()),
            None
        );
    }
}
