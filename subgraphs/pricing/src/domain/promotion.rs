//! Promotions: automatic catalogue promotions that lower unit prices, and order promotions with
//! conditions and an action, optionally unlocked by a coupon.

use chrono::{DateTime, Utc};
use commerce_kernel::Money;
use serde::{Deserialize, Serialize};

use super::price::check_amount;
use super::values::parse_global;
use super::{CustomerGroup, Percent, ValidationError, Window};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PromotionKind {
    /// Lowers the unit price of matching products everywhere they are shown.
    Catalogue,
    /// Applies to a whole cart when its conditions hold.
    Order,
}

impl PromotionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Catalogue => "catalogue",
            Self::Order => "order",
        }
    }

    pub fn from_stored(value: &str) -> Self {
        if value == "catalogue" {
            Self::Catalogue
        } else {
            Self::Order
        }
    }
}

/// What a line is, as far as promotions care: its product, categories (with their ancestors)
/// and collections, as global ids.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LineFacts {
    pub product_id: Option<String>,
    pub category_ids: Vec<String>,
    pub collection_ids: Vec<String>,
}

/// Which products a promotion covers; all three empty means every product.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Targets {
    pub product_ids: Vec<String>,
    pub category_ids: Vec<String>,
    pub collection_ids: Vec<String>,
}

impl Targets {
    pub fn parse(
        product_ids: &[String],
        category_ids: &[String],
        collection_ids: &[String],
    ) -> Result<Self, ValidationError> {
        let ids = |field: &str, type_name: &str, values: &[String]| {
            values
                .iter()
                .map(|v| parse_global(field, v, type_name))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Self {
            product_ids: ids("productIds", "Product", product_ids)?,
            category_ids: ids("categoryIds", "Category", category_ids)?,
            collection_ids: ids("collectionIds", "Collection", collection_ids)?,
        })
    }

    pub fn is_everything(&self) -> bool {
        self.product_ids.is_empty()
            && self.category_ids.is_empty()
            && self.collection_ids.is_empty()
    }

    pub fn matches(&self, facts: &LineFacts) -> bool {
        let any =
            |targets: &[String], values: &[String]| targets.iter().any(|t| values.contains(t));
        self.is_everything()
            || facts
                .product_id
                .as_ref()
                .is_some_and(|p| self.product_ids.contains(p))
            || any(&self.category_ids, &facts.category_ids)
            || any(&self.collection_ids, &facts.collection_ids)
    }
}

/// What an order promotion gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Action {
    PercentOff {
        percent: Percent,
    },
    /// A fixed amount, only in carts of its currency.
    AmountOff {
        amount: Money,
    },
    FreeShipping,
    /// For every `buy + get` matching units, the `get` cheapest get `percent` off.
    BuyXGetY {
        buy: u32,
        get: u32,
        percent: Percent,
        targets: Targets,
    },
}

impl Action {
    /// Order of application among combinable promotions (see `cart` for the stacking rules).
    pub(crate) fn rank(&self) -> u8 {
        match self {
            Self::BuyXGetY { .. } => 0,
            Self::PercentOff { .. } => 1,
            Self::AmountOff { .. } => 2,
            Self::FreeShipping => 3,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::PercentOff { percent } => format!("{}% off", percent.percent_string()),
            Self::AmountOff { amount } => format!("{amount} off"),
            Self::FreeShipping => "free shipping".to_owned(),
            Self::BuyXGetY {
                buy, get, percent, ..
            } if *percent == Percent::full() => format!("buy {buy} get {get} free"),
            Self::BuyXGetY {
                buy, get, percent, ..
            } => format!("buy {buy} get {get} at {}% off", percent.percent_string()),
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Self::AmountOff { amount } if amount.amount <= 0 => Err(ValidationError::new(
                "action.amount",
                "a fixed discount must be above zero",
            )),
            Self::AmountOff { amount } => check_amount("action.amount", *amount).map(|_| ()),
            Self::BuyXGetY { buy, get, .. }
                if !(1..=1000).contains(buy) || !(1..=1000).contains(get) =>
            {
                Err(ValidationError::new(
                    "action.buyQuantity",
                    "buy and get quantities run from 1 to 1000",
                ))
            }
            _ => Ok(()),
        }
    }
}

/// When an order promotion applies; every condition given must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Conditions {
    /// Compared with the subtotal after catalogue promotions; only in its own currency.
    pub min_subtotal: Option<Money>,
    /// At least one of these products is in the cart.
    pub product_ids: Vec<String>,
    /// At least one product of these categories is in the cart.
    pub category_ids: Vec<String>,
    /// The viewer belongs to at least one of these groups.
    pub customer_groups: Vec<CustomerGroup>,
}

impl Conditions {
    fn has_cart_conditions(&self) -> bool {
        self.min_subtotal.is_some() || !self.product_ids.is_empty() || !self.category_ids.is_empty()
    }

    pub(crate) fn admits_groups(&self, groups: &[String]) -> bool {
        self.customer_groups.is_empty() || self.customer_groups.iter().any(|g| g.admits(groups))
    }
}

/// The rules of a promotion, persisted together as one JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionRules {
    /// Catalogue promotions only: which products get the discount.
    pub targets: Targets,
    pub conditions: Conditions,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promotion {
    pub id: i64,
    pub name: String,
    pub kind: PromotionKind,
    pub window: Window,
    /// Higher first, among exclusive promotions (see `cart`).
    pub priority: i32,
    /// An exclusive order promotion applies alone; catalogue promotions never stack anyway.
    pub exclusive: bool,
    /// Applies only when one of its coupons is entered.
    pub requires_coupon: bool,
    pub active: bool,
    pub action: Action,
    pub targets: Targets,
    pub conditions: Conditions,
}

/// The validated fields of a promotion before it is stored (`id` 0).
pub struct PromotionDraft {
    pub name: String,
    pub kind: PromotionKind,
    pub window: Window,
    pub priority: i32,
    pub exclusive: bool,
    pub requires_coupon: bool,
    pub active: bool,
    pub action: Action,
    pub targets: Targets,
    pub conditions: Conditions,
}

impl Promotion {
    /// Validates a draft; the rules that depend on the kind live here.
    pub fn parse(draft: PromotionDraft) -> Result<Self, ValidationError> {
        let name = draft.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ValidationError::new(
                "name",
                "give a name of 1 to 100 characters",
            ));
        }
        if !(-1000..=1000).contains(&draft.priority) {
            return Err(ValidationError::new(
                "priority",
                "use a priority from -1000 to 1000",
            ));
        }
        draft.action.validate()?;
        match draft.kind {
            PromotionKind::Catalogue => validate_catalogue(&draft)?,
            PromotionKind::Order if !draft.targets.is_everything() => {
                return Err(ValidationError::new(
                    "targets",
                    "order promotions use conditions; targets are for catalogue promotions",
                ));
            }
            PromotionKind::Order => {}
        }
        Ok(Self {
            id: 0,
            name: name.to_owned(),
            kind: draft.kind,
            window: draft.window,
            priority: draft.priority,
            exclusive: draft.exclusive,
            requires_coupon: draft.requires_coupon,
            active: draft.active,
            action: draft.action,
            targets: draft.targets,
            conditions: draft.conditions,
        })
    }

    /// Whether the promotion runs at `now` for a viewer in `groups` (cart conditions aside).
    pub fn is_live(&self, groups: &[String], now: DateTime<Utc>) -> bool {
        self.active && self.window.contains(now) && self.conditions.admits_groups(groups)
    }

    pub fn reason(&self) -> String {
        format!("{}: {}", self.action.describe(), self.name)
    }

    pub fn rules(&self) -> PromotionRules {
        PromotionRules {
            targets: self.targets.clone(),
            conditions: self.conditions.clone(),
            action: self.action.clone(),
        }
    }
}

fn validate_catalogue(draft: &PromotionDraft) -> Result<(), ValidationError> {
    if !matches!(
        draft.action,
        Action::PercentOff { .. } | Action::AmountOff { .. }
    ) {
        return Err(ValidationError::new(
            "action",
            "catalogue promotions take a percentage or a fixed amount off",
        ));
    }
    if draft.conditions.has_cart_conditions() {
        return Err(ValidationError::new(
            "conditions",
            "catalogue promotions apply outside carts: only customer groups and dates can limit them",
        ));
    }
    if draft.requires_coupon {
        return Err(ValidationError::new(
            "requiresCoupon",
            "coupons unlock order promotions, not catalogue promotions",
        ));
    }
    Ok(())
}

/// The catalogue promotion applied to a unit price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueDiscount {
    pub promotion_id: i64,
    pub name: String,
    pub reason: String,
    /// Taken off each unit; never more than the unit price.
    pub unit_discount: Money,
}

/// The single best catalogue promotion for a unit price: catalogue promotions never stack, the
/// one taking the most off wins (then higher priority, then lower id). A percentage is rounded
/// once per unit, half away from zero.
pub fn best_catalogue_discount(
    unit: Money,
    facts: &LineFacts,
    promotions: &[Promotion],
    groups: &[String],
    now: DateTime<Utc>,
) -> Option<CatalogueDiscount> {
    promotions
        .iter()
        .filter(|p| p.kind == PromotionKind::Catalogue && p.is_live(groups, now))
        .filter(|p| p.targets.matches(facts))
        .filter_map(|p| catalogue_unit_discount(p, unit).map(|d| (p, d)))
        .filter(|(_, d)| d.amount > 0)
        .min_by_key(|(p, d)| (-d.amount, -i64::from(p.priority), p.id))
        .map(|(p, d)| CatalogueDiscount {
            promotion_id: p.id,
            name: p.name.clone(),
            reason: p.reason(),
            unit_discount: d,
        })
}

fn catalogue_unit_discount(promotion: &Promotion, unit: Money) -> Option<Money> {
    match &promotion.action {
        Action::PercentOff { percent } => unit.percent_of(percent.basis_points()).ok(),
        Action::AmountOff { amount } if amount.currency == unit.currency => {
            Some(Money::new(amount.amount.min(unit.amount), unit.currency))
        }
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use commerce_kernel::GlobalId;

    use super::super::price::tests::{money, now};
    use super::*;

    pub fn product(n: i64) -> String {
        GlobalId::encode("Product", n)
    }

    pub fn category(n: i64) -> String {
        GlobalId::encode("Category", n)
    }

    pub fn draft(kind: PromotionKind, action: Action) -> PromotionDraft {
        PromotionDraft {
            name: "Promo".into(),
            kind,
            window: Window::always(),
            priority: 0,
            exclusive: false,
            requires_coupon: false,
            active: true,
            action,
            targets: Targets::default(),
            conditions: Conditions::default(),
        }
    }

    pub fn percent(value: &str) -> Percent {
        Percent::parse("percent", value).expect("valid percent")
    }

    pub fn promotion(id: i64, draft: PromotionDraft) -> Promotion {
        let mut promotion = Promotion::parse(draft).expect("valid promotion");
        promotion.id = id;
        promotion
    }

    pub fn catalogue_percent(id: i64, value: &str, targets: Targets) -> Promotion {
        let mut d = draft(
            PromotionKind::Catalogue,
            Action::PercentOff {
                percent: percent(value),
            },
        );
        d.targets = targets;
        promotion(id, d)
    }

    fn facts(product_id: i64, categories: &[i64]) -> LineFacts {
        LineFacts {
            product_id: Some(product(product_id)),
            category_ids: categories.iter().map(|c| category(*c)).collect(),
            collection_ids: vec![],
        }
    }

    #[test]
    fn catalogue_promotions_reject_order_only_actions_and_conditions() {
        let shipping = Promotion::parse(draft(PromotionKind::Catalogue, Action::FreeShipping));
        assert_eq!(shipping.map_err(|e| e.field), Err("action".to_owned()));
        let mut with_minimum = draft(
            PromotionKind::Catalogue,
            Action::PercentOff {
                percent: percent("5"),
            },
        );
        with_minimum.conditions.min_subtotal = Some(money(100));
        assert!(Promotion::parse(with_minimum).is_err());
        let zero = draft(PromotionKind::Order, Action::AmountOff { amount: money(0) });
        assert!(Promotion::parse(zero).is_err());
        let bxgy = Action::BuyXGetY {
            buy: 0,
            get: 1,
            percent: Percent::full(),
            targets: Targets::default(),
        };
        assert!(Promotion::parse(draft(PromotionKind::Order, bxgy)).is_err());
    }

    #[test]
    fn targets_match_products_categories_or_everything() {
        let targets = Targets::parse(&[], &[category(3)], &[]).expect("valid");
        assert!(targets.matches(&facts(1, &[2, 3])));
        assert!(!targets.matches(&facts(1, &[2])));
        assert!(Targets::default().matches(&facts(1, &[])));
        assert!(Targets::parse(&[category(3)], &[], &[]).is_err());
    }

    #[test]
    fn the_biggest_catalogue_discount_wins_and_they_never_stack() {
        let promotions = [
            catalogue_percent(1, "10", Targets::default()),
            catalogue_percent(
                2,
                "25",
                Targets::parse(&[], &[category(7)], &[]).expect("ok"),
            ),
            promotion(
                3,
                draft(
                    PromotionKind::Catalogue,
                    Action::AmountOff { amount: money(150) },
                ),
            ),
        ];
        let best = |f: &LineFacts| {
            best_catalogue_discount(money(1000), f, &promotions, &[], now())
                .map(|d| (d.promotion_id, d.unit_discount.amount))
        };
        assert_eq!(best(&facts(1, &[7])), Some((2, 250)));
        assert_eq!(best(&facts(1, &[])), Some((3, 150)));
    }

    #[test]
    fn catalogue_percentages_round_half_away_from_zero_per_unit() {
        let promotions = [catalogue_percent(1, "15", Targets::default())];
        let discount =
            best_catalogue_discount(money(999), &LineFacts::default(), &promotions, &[], now());
        // 15% of 9.99 = 1.4985 → 1.50
        assert_eq!(discount.map(|d| d.unit_discount.amount), Some(150));
    }

    #[test]
    fn group_and_date_limits_hide_catalogue_promotions() {
        let mut vip = draft(
            PromotionKind::Catalogue,
            Action::PercentOff {
                percent: percent("20"),
            },
        );
        vip.conditions.customer_groups = vec![CustomerGroup::parse("g", "vip").expect("valid")];
        let mut ended = draft(
            PromotionKind::Catalogue,
            Action::PercentOff {
                percent: percent("30"),
            },
        );
        ended.window = Window::new(None, Some(now())).expect("valid");
        let promotions = [promotion(1, vip), promotion(2, ended)];
        let unit = money(1000);
        let facts = LineFacts::default();
        assert_eq!(
            best_catalogue_discount(unit, &facts, &promotions, &[], now()),
            None
        );
        let vip = best_catalogue_discount(unit, &facts, &promotions, &["vip".into()], now());
        assert_eq!(vip.map(|d| d.unit_discount.amount), Some(200));
    }
}
