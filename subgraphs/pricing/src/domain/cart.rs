//! The one pure pricing function: a cart in, every amount out. Checkout, carts and storefronts
//! all call [`price_cart`], so a price shown is the price charged.
//!
//! # Order of rules (stacking)
//! 1. **Unit price**: the price list rule of [`resolve_unit_price`] for the variant's total
//!    quantity in the cart (so two lines of one variant share a volume tier).
//! 2. **Catalogue promotions**: the single best one per line lowers the unit price (they never
//!    stack with each other). The subtotal is the sum of these discounted lines.
//! 3. **Order promotions** (automatic, and those unlocked by coupons): conditions are checked
//!    against that subtotal. If any qualifying promotion is *exclusive*, only the exclusive one
//!    with the highest priority (then lowest id) applies, and every other is reported as not
//!    combinable. Otherwise all qualifying promotions combine, applied in this order: buy X get
//!    Y, then percentages, then fixed amounts, then free shipping (within one kind: higher
//!    priority first, then lower id). Each works on what is left after the previous ones, so
//!    two 10% promotions take 19%, and no discount can take a line below zero.
//! 4. **Taxes** per rate on what is left of each line and of the shipping.
//!
//! # Rounding (applied once)
//! Every fractional amount is computed from integers and rounded exactly once, at the minor
//! unit, by the kernel: percentages with `Money::percent_of` (half away from zero), shares with
//! `Money::allocate` (parts add up exactly to the whole). A catalogue percentage is rounded per
//! unit; an order discount once for the cart and then allocated to the lines in proportion to
//! what each line still costs; tax once per rate (on the sum of that rate's lines and shipping),
//! then allocated to those lines. Every total is then an exact integer sum, so the lines always
//! add up to the grand total.
//!
//! # Tax-inclusive and tax-exclusive currencies
//! Inclusive: the tax inside a gross amount `g` at rate `r` is the second part of
//! `g.allocate([10000, r])`, and the grand total does not change. Exclusive: the tax is
//! `net.percent_of(r)` and is added to the grand total.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use commerce_kernel::{Currency, Money};

use super::price::MAX_AMOUNT;
use super::{
    Action, BasePrice, BasisPoints, CatalogueDiscount, CouponCode, CouponUsage, Destination,
    LineFacts, PriceListOffer, PriceSource, Promotion, PromotionKind, ResolvedPrice,
    TaxCategoryCode, TaxMode, TaxRate, VariantId, best_catalogue_discount, find_rate,
    resolve_unit_price,
};

/// The most lines one cart may have.
pub const MAX_LINES: usize = 200;
/// The most units on one line.
pub const MAX_QUANTITY: u32 = 10_000;

/// A cart line with everything the store knows about its variant.
#[derive(Debug, Clone)]
pub struct LineInput {
    pub variant_id: VariantId,
    pub quantity: u32,
    pub facts: LineFacts,
    pub tax_category: TaxCategoryCode,
    pub base: Option<BasePrice>,
    pub offers: Vec<PriceListOffer>,
}

/// Everything [`price_cart`] needs; the service loads it, tests and benches build it.
#[derive(Debug, Clone)]
pub struct CartInput {
    pub currency: Currency,
    pub tax_mode: TaxMode,
    pub now: DateTime<Utc>,
    pub customer_groups: Vec<String>,
    pub customer_id: Option<String>,
    pub lines: Vec<LineInput>,
    pub coupon_codes: Vec<CouponCode>,
    /// The known coupons among `coupon_codes`, with their usage.
    pub coupons: Vec<CouponUsage>,
    /// Candidate promotions of both kinds; rules decide which apply.
    pub promotions: Vec<Promotion>,
    pub shipping: Money,
    pub destination: Destination,
    pub tax_rates: Vec<TaxRate>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("the cart has no lines")]
    EmptyCart,
    #[error("a cart has at most {MAX_LINES} lines")]
    TooManyLines,
    #[error("quantity {quantity} of {variant_id} is not between 1 and {MAX_QUANTITY}")]
    InvalidQuantity { variant_id: String, quantity: u32 },
    #[error("the shipping price must be a non-negative amount in the cart's currency")]
    InvalidShipping,
    #[error("no price in this currency for {}", variant_ids.join(", "))]
    NoPrice { variant_ids: Vec<String> },
    #[error("amounts out of range")]
    Overflow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiscountScope {
    /// Already inside the unit price (a catalogue promotion).
    Catalogue,
    /// Taken off the lines.
    Order,
    /// Taken off the shipping.
    Shipping,
}

/// One discount, with the reason to show the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedDiscount {
    pub promotion_id: i64,
    pub name: String,
    pub coupon: Option<CouponCode>,
    pub scope: DiscountScope,
    pub reason: String,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    pub variant_id: VariantId,
    pub quantity: u32,
    /// The unit price from the price list or base price, before catalogue promotions.
    pub list_unit_price: Money,
    /// What one unit costs after its catalogue promotion.
    pub unit_price: Money,
    /// The price to show struck out, when it is above the unit price.
    pub compare_at: Option<Money>,
    pub price_list_id: Option<i64>,
    pub catalogue: Option<CatalogueDiscount>,
    /// `unit_price × quantity`.
    pub subtotal: Money,
    /// This line's share of each order discount: `(promotion id, amount)`.
    pub discounts: Vec<(i64, Money)>,
    pub discount: Money,
    /// `subtotal − discount`, never negative.
    pub total: Money,
    /// Tax on this line (inside `total` when prices include tax).
    pub tax: Money,
    pub tax_rate_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShippingCharge {
    pub price: Money,
    pub discount: Money,
    pub total: Money,
    pub tax: Money,
}

/// Tax collected at one rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxAmount {
    pub rate: TaxRate,
    /// The amount the rate applies to: gross when prices include tax, net otherwise.
    pub base: Money,
    pub amount: Money,
}

/// Whether an entered coupon took effect, and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponOutcome {
    pub code: CouponCode,
    pub applied: bool,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedCart {
    pub currency: Currency,
    pub tax_mode: TaxMode,
    pub lines: Vec<PricedLine>,
    /// Sum of the lines' subtotals (after catalogue promotions).
    pub subtotal: Money,
    pub discounts: Vec<AppliedDiscount>,
    /// Sum of the order discounts taken off the lines; never above `subtotal`.
    pub order_discount_total: Money,
    pub shipping: ShippingCharge,
    pub taxes: Vec<TaxAmount>,
    pub tax_total: Money,
    /// Lines plus shipping, plus tax when prices exclude it.
    pub total: Money,
    pub coupons: Vec<CouponOutcome>,
}

/// Prices a cart. Pure: the same input always gives the same output.
pub fn price_cart(input: &CartInput) -> Result<PricedCart, PricingError> {
    validate(input)?;
    let mut lines = price_lines(input)?;
    let subtotal = sum(input.currency, lines.iter().map(|l| l.subtotal))?;
    let mut discounts = catalogue_discounts(input.currency, &lines)?;
    let (applicable, mut coupons) = qualifying_promotions(input, &lines, subtotal);
    let mut shipping = ShippingCharge {
        price: input.shipping,
        discount: Money::zero(input.currency),
        total: input.shipping,
        tax: Money::zero(input.currency),
    };
    for (promotion, coupon) in applicable {
        if let Some(discount) = apply(promotion, coupon, &input.lines, &mut lines, &mut shipping)? {
            discounts.push(discount);
        }
        if let Some(outcome) = coupons.iter_mut().find(|c| Some(&c.code) == coupon) {
            outcome.applied = true;
        }
    }
    let order_discount_total = sum(input.currency, lines.iter().map(|l| l.discount))?;
    let taxes = apply_taxes(input, &mut lines, &mut shipping)?;
    let tax_total = sum(input.currency, taxes.iter().map(|t| t.amount))?;
    let lines_total = sum(input.currency, lines.iter().map(|l| l.total))?;
    let mut total = lines_total.checked_add(shipping.total).map_err(overflow)?;
    if input.tax_mode == TaxMode::Exclusive {
        total = total.checked_add(tax_total).map_err(overflow)?;
    }
    Ok(PricedCart {
        currency: input.currency,
        tax_mode: input.tax_mode,
        lines,
        subtotal,
        discounts,
        order_discount_total,
        shipping,
        taxes,
        tax_total,
        total,
        coupons,
    })
}

fn overflow<E>(_: E) -> PricingError {
    PricingError::Overflow
}

fn sum(
    currency: Currency,
    mut amounts: impl Iterator<Item = Money>,
) -> Result<Money, PricingError> {
    amounts.try_fold(Money::zero(currency), |acc, m| {
        acc.checked_add(m).map_err(overflow)
    })
}

fn validate(input: &CartInput) -> Result<(), PricingError> {
    if input.lines.is_empty() {
        return Err(PricingError::EmptyCart);
    }
    if input.lines.len() > MAX_LINES {
        return Err(PricingError::TooManyLines);
    }
    if let Some(line) = input
        .lines
        .iter()
        .find(|l| !(1..=MAX_QUANTITY).contains(&l.quantity))
    {
        return Err(PricingError::InvalidQuantity {
            variant_id: line.variant_id.as_str().to_owned(),
            quantity: line.quantity,
        });
    }
    let shipping = input.shipping;
    if shipping.currency != input.currency || !(0..=MAX_AMOUNT).contains(&shipping.amount) {
        return Err(PricingError::InvalidShipping);
    }
    Ok(())
}

/// Steps 1 and 2: unit prices and catalogue promotions.
fn price_lines(input: &CartInput) -> Result<Vec<PricedLine>, PricingError> {
    let mut per_variant: HashMap<&str, u32> = HashMap::new();
    for line in &input.lines {
        *per_variant.entry(line.variant_id.as_str()).or_default() += line.quantity;
    }
    let mut missing = Vec::new();
    let mut priced = Vec::with_capacity(input.lines.len());
    for line in &input.lines {
        let quantity = per_variant[line.variant_id.as_str()];
        let resolved = resolve_unit_price(
            line.base.as_ref(),
            &line.offers,
            input.currency,
            quantity,
            &input.customer_groups,
            input.now,
        );
        match resolved {
            Some(resolved) => priced.push(price_line(input, line, resolved)?),
            None => missing.push(line.variant_id.as_str().to_owned()),
        }
    }
    if missing.is_empty() {
        Ok(priced)
    } else {
        Err(PricingError::NoPrice {
            variant_ids: missing,
        })
    }
}

fn price_line(
    input: &CartInput,
    line: &LineInput,
    resolved: ResolvedPrice,
) -> Result<PricedLine, PricingError> {
    let catalogue = best_catalogue_discount(
        resolved.unit,
        &line.facts,
        &input.promotions,
        &input.customer_groups,
        input.now,
    );
    let unit_price = match &catalogue {
        Some(d) => resolved
            .unit
            .checked_sub(d.unit_discount)
            .map_err(overflow)?,
        None => resolved.unit,
    };
    let compare_at = [resolved.compare_at, Some(resolved.unit)]
        .into_iter()
        .flatten()
        .filter(|m| m.amount > unit_price.amount)
        .max_by_key(|m| m.amount);
    let subtotal = unit_price
        .checked_mul(i64::from(line.quantity))
        .map_err(overflow)?;
    let zero = Money::zero(input.currency);
    Ok(PricedLine {
        variant_id: line.variant_id.clone(),
        quantity: line.quantity,
        list_unit_price: resolved.unit,
        unit_price,
        compare_at,
        price_list_id: match resolved.source {
            PriceSource::PriceList { id, .. } => Some(id),
            PriceSource::Base => None,
        },
        catalogue,
        subtotal,
        discounts: Vec::new(),
        discount: zero,
        total: subtotal,
        tax: zero,
        tax_rate_id: None,
    })
}

/// Catalogue promotions, summed per promotion over the lines, for the discount list.
fn catalogue_discounts(
    currency: Currency,
    lines: &[PricedLine],
) -> Result<Vec<AppliedDiscount>, PricingError> {
    let mut by_promotion: BTreeMap<i64, AppliedDiscount> = BTreeMap::new();
    for line in lines {
        let Some(catalogue) = &line.catalogue else {
            continue;
        };
        let amount = catalogue
            .unit_discount
            .checked_mul(i64::from(line.quantity))
            .map_err(overflow)?;
        let entry = by_promotion
            .entry(catalogue.promotion_id)
            .or_insert_with(|| AppliedDiscount {
                promotion_id: catalogue.promotion_id,
                name: catalogue.name.clone(),
                coupon: None,
                scope: DiscountScope::Catalogue,
                reason: catalogue.reason.clone(),
                amount: Money::zero(currency),
            });
        entry.amount = entry.amount.checked_add(amount).map_err(overflow)?;
    }
    Ok(by_promotion.into_values().collect())
}

/// Step 3, selection: which order promotions apply, in application order, and what became of
/// each entered coupon.
fn qualifying_promotions<'a>(
    input: &'a CartInput,
    lines: &[PricedLine],
    subtotal: Money,
) -> (
    Vec<(&'a Promotion, Option<&'a CouponCode>)>,
    Vec<CouponOutcome>,
) {
    let mut outcomes = Vec::new();
    let mut unlocked: HashMap<i64, &CouponCode> = HashMap::new();
    let mut seen = Vec::new();
    for code in &input.coupon_codes {
        if seen.contains(&code) {
            continue;
        }
        seen.push(code);
        let mut refusal = coupon_refusal(input, lines, subtotal, code);
        if refusal.is_none()
            && let Some(usage) = input.coupons.iter().find(|c| &c.code == code)
        {
            // One promotion applies once, however many of its coupons are entered.
            match unlocked.entry(usage.promotion_id) {
                std::collections::hash_map::Entry::Occupied(_) => {
                    refusal =
                        Some("another coupon for the same promotion is already applied".into());
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(code);
                }
            }
        }
        outcomes.push(CouponOutcome {
            code: code.clone(),
            applied: false,
            reason: refusal,
        });
    }
    let mut qualifying: Vec<(&Promotion, Option<&CouponCode>)> = input
        .promotions
        .iter()
        .filter(|p| p.kind == PromotionKind::Order)
        .filter_map(|p| {
            let coupon = unlocked.get(&p.id).copied();
            let unlocked_if_needed = !p.requires_coupon || coupon.is_some();
            (unlocked_if_needed && unmet_condition(input, p, lines, subtotal).is_none())
                .then_some((p, coupon))
        })
        .collect();
    let exclusive = qualifying
        .iter()
        .filter(|(p, _)| p.exclusive)
        .min_by_key(|(p, _)| (-i64::from(p.priority), p.id))
        .copied();
    if let Some(winner) = exclusive {
        for (_, coupon) in qualifying.iter().filter(|(p, _)| p.id != winner.0.id) {
            refuse(&mut outcomes, *coupon, &winner.0.name);
        }
        qualifying = vec![winner];
    }
    qualifying.sort_by_key(|(p, _)| (p.action.rank(), -i64::from(p.priority), p.id));
    (qualifying, outcomes)
}

fn refuse(outcomes: &mut [CouponOutcome], coupon: Option<&CouponCode>, winner: &str) {
    if let Some(outcome) = outcomes.iter_mut().find(|o| Some(&o.code) == coupon) {
        outcome.reason = Some(format!("cannot be combined with {winner}"));
    }
}

/// Why an entered coupon does not unlock its promotion, if it does not.
fn coupon_refusal(
    input: &CartInput,
    lines: &[PricedLine],
    subtotal: Money,
    code: &CouponCode,
) -> Option<String> {
    let Some(usage) = input.coupons.iter().find(|c| &c.code == code) else {
        return Some("unknown coupon code".to_owned());
    };
    if let Some(refusal) = usage.refusal(input.customer_id.as_deref()) {
        return Some(refusal);
    }
    let promotion = input
        .promotions
        .iter()
        .find(|p| p.id == usage.promotion_id && p.kind == PromotionKind::Order);
    match promotion {
        Some(p) if p.active && p.window.contains(input.now) => {
            unmet_condition(input, p, lines, subtotal)
        }
        _ => Some("this coupon is not valid now".to_owned()),
    }
}

/// The first condition of `promotion` that the cart does not meet, in words.
fn unmet_condition(
    input: &CartInput,
    promotion: &Promotion,
    lines: &[PricedLine],
    subtotal: Money,
) -> Option<String> {
    let conditions = &promotion.conditions;
    // Priced lines are in input order, so the input holds each line's facts.
    let facts = || input.lines.iter().take(lines.len()).map(|l| &l.facts);
    if !promotion.is_live(&input.customer_groups, input.now) {
        return Some("not available for this account or date".to_owned());
    }
    if let Some(min) = conditions.min_subtotal
        && (min.currency != input.currency || subtotal.amount < min.amount)
    {
        return Some(format!("needs a subtotal of at least {min}"));
    }
    if !conditions.product_ids.is_empty()
        && !facts().any(|f| {
            f.product_id
                .as_ref()
                .is_some_and(|p| conditions.product_ids.contains(p))
        })
    {
        return Some("needs one of the promotion's products in the cart".to_owned());
    }
    if !conditions.category_ids.is_empty()
        && !facts().any(|f| {
            f.category_ids
                .iter()
                .any(|c| conditions.category_ids.contains(c))
        })
    {
        return Some("needs a product of the promotion's categories in the cart".to_owned());
    }
    if let Action::AmountOff { amount } = &promotion.action
        && amount.currency != input.currency
    {
        return Some(format!("only valid in {}", amount.currency));
    }
    None
}

/// Step 3, application of one promotion to what is left of the lines and shipping.
fn apply(
    promotion: &Promotion,
    coupon: Option<&CouponCode>,
    inputs: &[LineInput],
    lines: &mut [PricedLine],
    shipping: &mut ShippingCharge,
) -> Result<Option<AppliedDiscount>, PricingError> {
    let currency = shipping.price.currency;
    let (scope, amount) = match &promotion.action {
        Action::FreeShipping => {
            let amount = shipping.total;
            shipping.discount = shipping.discount.checked_add(amount).map_err(overflow)?;
            shipping.total = Money::zero(currency);
            (DiscountScope::Shipping, amount)
        }
        Action::PercentOff { percent } => {
            let remaining = sum(currency, lines.iter().map(|l| l.total))?;
            let amount = remaining
                .percent_of(percent.basis_points())
                .map_err(overflow)?;
            (DiscountScope::Order, spread(promotion.id, amount, lines)?)
        }
        Action::AmountOff { amount } => {
            let remaining = sum(currency, lines.iter().map(|l| l.total))?;
            let capped = Money::new(amount.amount.min(remaining.amount), currency);
            (DiscountScope::Order, spread(promotion.id, capped, lines)?)
        }
        Action::BuyXGetY {
            buy,
            get,
            percent,
            targets,
        } => {
            let amount = buy_x_get_y(promotion.id, (*buy, *get, *percent), targets, inputs, lines)?;
            (DiscountScope::Order, amount)
        }
    };
    Ok((amount.amount > 0).then(|| AppliedDiscount {
        promotion_id: promotion.id,
        name: promotion.name.clone(),
        coupon: coupon.cloned(),
        scope,
        reason: promotion.reason(),
        amount,
    }))
}

/// Allocates `amount` (at most what the lines still cost) over the lines in proportion to what
/// each still costs, so no line goes below zero.
fn spread(
    promotion_id: i64,
    amount: Money,
    lines: &mut [PricedLine],
) -> Result<Money, PricingError> {
    let weights: Vec<u64> = lines
        .iter()
        .map(|l| u64::try_from(l.total.amount).unwrap_or(0))
        .collect();
    for (line, share) in lines.iter_mut().zip(amount.allocate(&weights)) {
        take(promotion_id, line, share)?;
    }
    Ok(amount)
}

fn take(promotion_id: i64, line: &mut PricedLine, share: Money) -> Result<(), PricingError> {
    if share.amount == 0 {
        return Ok(());
    }
    line.discount = line.discount.checked_add(share).map_err(overflow)?;
    line.total = line.total.checked_sub(share).map_err(overflow)?;
    line.discounts.push((promotion_id, share));
    Ok(())
}

/// For every `buy + get` matching units, the `get` cheapest units get `percent` off; the
/// percentage is rounded once per line.
fn buy_x_get_y(
    promotion_id: i64,
    (buy, get, percent): (u32, u32, super::Percent),
    targets: &super::Targets,
    facts: &[LineInput],
    lines: &mut [PricedLine],
) -> Result<Money, PricingError> {
    let currency = lines
        .first()
        .map(|l| l.subtotal.currency)
        .ok_or(PricingError::EmptyCart)?;
    let mut matching: Vec<usize> = (0..lines.len())
        .filter(|i| facts.get(*i).is_some_and(|f| targets.matches(&f.facts)))
        .collect();
    let units: u64 = matching.iter().map(|i| u64::from(lines[*i].quantity)).sum();
    let mut free = units / u64::from(buy + get) * u64::from(get);
    matching.sort_by_key(|i| (lines[*i].unit_price.amount, *i));
    let mut total = Money::zero(currency);
    for index in matching {
        if free == 0 {
            break;
        }
        let line = &mut lines[index];
        let units = free.min(u64::from(line.quantity));
        free -= units;
        let full = line
            .unit_price
            .checked_mul(i64::try_from(units).map_err(overflow)?)
            .map_err(overflow)?;
        let discount = full.percent_of(percent.basis_points()).map_err(overflow)?;
        let share = Money::new(discount.amount.min(line.total.amount), currency);
        take(promotion_id, line, share)?;
        total = total.checked_add(share).map_err(overflow)?;
    }
    Ok(total)
}

/// Step 4: tax per rate, rounded once per rate and allocated to the lines and shipping.
fn apply_taxes(
    input: &CartInput,
    lines: &mut [PricedLine],
    shipping: &mut ShippingCharge,
) -> Result<Vec<TaxAmount>, PricingError> {
    let standard = TaxCategoryCode::standard();
    let shipping_rate = find_rate(&input.tax_rates, &input.destination, &standard);
    // Group the lines (and shipping, as `None`) by the rate that applies to them.
    let mut groups: BTreeMap<i64, (&TaxRate, Vec<Option<usize>>)> = BTreeMap::new();
    for (index, line_input) in input.lines.iter().enumerate() {
        if let Some(rate) = find_rate(
            &input.tax_rates,
            &input.destination,
            &line_input.tax_category,
        ) {
            lines[index].tax_rate_id = Some(rate.id);
            groups
                .entry(rate.id)
                .or_insert((rate, Vec::new()))
                .1
                .push(Some(index));
        }
    }
    if let Some(rate) = shipping_rate {
        groups
            .entry(rate.id)
            .or_insert((rate, Vec::new()))
            .1
            .push(None);
    }
    let mut taxes = Vec::with_capacity(groups.len());
    for (rate, members) in groups.into_values() {
        let amounts: Vec<Money> = members
            .iter()
            .map(|m| m.map_or(shipping.total, |i| lines[i].total))
            .collect();
        let base = sum(input.currency, amounts.iter().copied())?;
        let amount = tax_on(base, rate.rate, input.tax_mode)?;
        let weights: Vec<u64> = amounts
            .iter()
            .map(|a| u64::try_from(a.amount).unwrap_or(0))
            .collect();
        for (member, share) in members.iter().zip(amount.allocate(&weights)) {
            match member {
                Some(i) => lines[*i].tax = share,
                None => shipping.tax = share,
            }
        }
        taxes.push(TaxAmount {
            rate: rate.clone(),
            base,
            amount,
        });
    }
    Ok(taxes)
}

fn tax_on(base: Money, rate: BasisPoints, mode: TaxMode) -> Result<Money, PricingError> {
    let rate = rate.get();
    match mode {
        TaxMode::Exclusive => base.percent_of(i64::from(rate)).map_err(overflow),
        TaxMode::Inclusive => Ok(base
            .allocate(&[u64::from(BasisPoints::HUNDRED_PERCENT), u64::from(rate)])
            .pop()
            .unwrap_or(Money::zero(base.currency))),
    }
}

#[cfg(test)]
mod tests {
    use commerce_kernel::GlobalId;
    use proptest::prelude::*;

    use super::super::price::tests::{eur, money, now, offer, tier};
    use super::super::promotion::tests::{
        catalogue_percent, category, draft, percent, product, promotion,
    };
    use super::super::{Conditions, CountryCode, CustomerGroup, Percent, PromotionDraft, Targets};
    use super::*;

    fn variant(n: i64) -> VariantId {
        VariantId::from_stored(GlobalId::encode("ProductVariant", n))
    }

    fn line(n: i64, amount: i64, quantity: u32) -> LineInput {
        LineInput {
            variant_id: variant(n),
            quantity,
            facts: LineFacts {
                product_id: Some(product(n)),
                category_ids: vec![category(n % 3)],
                collection_ids: vec![],
            },
            tax_category: TaxCategoryCode::standard(),
            base: Some(BasePrice::parse(money(amount), None).expect("valid price")),
            offers: vec![],
        }
    }

    fn rate(id: i64, country: &str, bp: i64) -> TaxRate {
        TaxRate {
            id,
            name: format!("{country} VAT"),
            country: CountryCode::parse("c", country).expect("valid"),
            region: None,
            category: TaxCategoryCode::standard(),
            rate: BasisPoints::from_basis_points("r", bp).expect("valid"),
        }
    }

    fn cart(lines: Vec<LineInput>) -> CartInput {
        CartInput {
            currency: eur(),
            tax_mode: TaxMode::Inclusive,
            now: now(),
            customer_groups: vec![],
            customer_id: None,
            lines,
            coupon_codes: vec![],
            coupons: vec![],
            promotions: vec![],
            shipping: money(0),
            destination: Destination {
                country: CountryCode::parse("c", "DE").expect("valid"),
                region: None,
            },
            tax_rates: vec![rate(1, "DE", 1900)],
        }
    }

    fn order(id: i64, action: Action, change: impl FnOnce(&mut PromotionDraft)) -> Promotion {
        let mut d = draft(PromotionKind::Order, action);
        change(&mut d);
        promotion(id, d)
    }

    fn percent_off(value: &str) -> Action {
        Action::PercentOff {
            percent: percent(value),
        }
    }

    fn code(value: &str) -> CouponCode {
        CouponCode::parse("code", value).expect("valid code")
    }

    fn coupon(value: &str, promotion_id: i64) -> CouponUsage {
        CouponUsage {
            code: code(value),
            promotion_id,
            limit_total: None,
            limit_per_customer: None,
            used_total: 0,
            used_by_customer: 0,
        }
    }

    fn priced(input: &CartInput) -> PricedCart {
        price_cart(input).expect("prices")
    }

    #[test]
    fn lines_add_up_and_inclusive_tax_is_extracted_once_per_rate() {
        let mut input = cart(vec![line(1, 5950, 1), line(2, 5950, 1)]);
        input.shipping = money(0);
        let cart = priced(&input);
        assert_eq!(cart.subtotal, money(11_900));
        assert_eq!(cart.total, money(11_900));
        // 19% inside 119.00 is 19.00, split evenly over the two lines.
        assert_eq!(cart.tax_total, money(1900));
        assert_eq!(cart.lines[0].tax, money(950));
        assert_eq!(cart.taxes[0].base, money(11_900));
    }

    #[test]
    fn exclusive_tax_is_added_on_top_including_shipping() {
        let mut input = cart(vec![line(1, 10_000, 2)]);
        input.tax_mode = TaxMode::Exclusive;
        input.shipping = money(1000);
        input.tax_rates = vec![rate(1, "DE", 1000)];
        let cart = priced(&input);
        assert_eq!(cart.tax_total, money(2100));
        assert_eq!(cart.shipping.tax, money(100));
        assert_eq!(cart.total, money(20_000 + 1000 + 2100));
    }

    #[test]
    fn untaxed_destinations_pay_no_tax() {
        let mut input = cart(vec![line(1, 1000, 1)]);
        input.destination.country = CountryCode::parse("c", "JP").expect("valid");
        let cart = priced(&input);
        assert!(cart.taxes.is_empty());
        assert_eq!(cart.total, money(1000));
    }

    #[test]
    fn two_lines_of_one_variant_share_a_volume_tier() {
        let mut first = line(1, 1200, 6);
        first.offers = vec![offer(
            1,
            None,
            0,
            vec![tier(1, Some(9), 1000), tier(10, None, 900)],
        )];
        let mut second = first.clone();
        second.quantity = 4;
        let cart = priced(&cart(vec![first, second]));
        assert_eq!(cart.lines[0].unit_price, money(900));
        assert_eq!(cart.lines[0].compare_at, Some(money(1200)));
        assert_eq!(cart.lines[0].price_list_id, Some(1));
        assert_eq!(cart.subtotal, money(9000));
    }

    #[test]
    fn catalogue_promotions_lower_the_unit_price_and_are_listed_with_their_reason() {
        let mut input = cart(vec![line(1, 1000, 3)]);
        input.promotions = vec![catalogue_percent(7, "10", Targets::default())];
        let cart = priced(&input);
        assert_eq!(cart.lines[0].unit_price, money(900));
        assert_eq!(cart.lines[0].compare_at, Some(money(1000)));
        assert_eq!(cart.subtotal, money(2700));
        assert_eq!(cart.discounts[0].scope, DiscountScope::Catalogue);
        assert_eq!(cart.discounts[0].amount, money(300));
        assert_eq!(cart.discounts[0].reason, "10% off: Promo");
        assert_eq!(cart.order_discount_total, money(0));
    }

    #[test]
    fn a_minimum_subtotal_gates_an_order_promotion() {
        let gated = |min| {
            order(1, percent_off("10"), |d| {
                d.conditions.min_subtotal = Some(money(min));
            })
        };
        let mut input = cart(vec![line(1, 5000, 1)]);
        input.promotions = vec![gated(5000)];
        assert_eq!(priced(&input).order_discount_total, money(500));
        input.promotions = vec![gated(5001)];
        assert_eq!(priced(&input).order_discount_total, money(0));
    }

    #[test]
    fn product_and_category_conditions_need_a_matching_line() {
        let mut input = cart(vec![line(1, 1000, 1)]);
        input.promotions = vec![order(1, percent_off("10"), |d| {
            d.conditions.product_ids = vec![product(2)];
        })];
        assert_eq!(priced(&input).order_discount_total, money(0));
        input.promotions = vec![order(1, percent_off("10"), |d| {
            d.conditions.category_ids = vec![category(1)];
        })];
        assert_eq!(priced(&input).order_discount_total, money(100));
    }

    #[test]
    fn customer_group_conditions_need_a_member() {
        let mut input = cart(vec![line(1, 1000, 1)]);
        input.promotions = vec![order(1, percent_off("10"), |d| {
            d.conditions.customer_groups = vec![CustomerGroup::parse("g", "vip").expect("valid")];
        })];
        assert_eq!(priced(&input).order_discount_total, money(0));
        input.customer_groups = vec!["vip".into()];
        assert_eq!(priced(&input).order_discount_total, money(100));
    }

    #[test]
    fn a_fixed_amount_never_takes_the_order_below_zero() {
        let mut input = cart(vec![line(1, 300, 1), line(2, 100, 1)]);
        input.promotions = vec![order(
            1,
            Action::AmountOff {
                amount: money(1000),
            },
            |_| {},
        )];
        let cart = priced(&input);
        assert_eq!(cart.order_discount_total, money(400));
        assert!(cart.lines.iter().all(|l| l.total == money(0)));
        assert_eq!(cart.total, money(0));
    }

    #[test]
    fn percentages_stack_on_what_is_left_and_round_once() {
        let mut input = cart(vec![line(1, 333, 1), line(2, 333, 1), line(3, 334, 1)]);
        input.promotions = vec![
            order(1, percent_off("10"), |_| {}),
            order(2, percent_off("10"), |_| {}),
        ];
        let cart = priced(&input);
        // 10% of 10.00 = 1.00, then 10% of 9.00 = 0.90: 19% in all.
        assert_eq!(cart.order_discount_total, money(190));
        let shares: Vec<i64> = cart.lines.iter().map(|l| l.discount.amount).collect();
        assert_eq!(shares.iter().sum::<i64>(), 190);
        assert_eq!(cart.total, money(810));
    }

    #[test]
    fn free_shipping_zeroes_the_shipping_only() {
        let mut input = cart(vec![line(1, 1000, 1)]);
        input.shipping = money(495);
        input.promotions = vec![order(1, Action::FreeShipping, |_| {})];
        let cart = priced(&input);
        assert_eq!(cart.shipping.discount, money(495));
        assert_eq!(cart.shipping.total, money(0));
        assert_eq!(cart.total, money(1000));
        assert_eq!(cart.discounts[0].scope, DiscountScope::Shipping);
    }

    #[test]
    fn buy_two_get_one_free_gives_the_cheapest_units() {
        let mut input = cart(vec![line(1, 1000, 2), line(2, 400, 1), line(3, 700, 3)]);
        input.promotions = vec![order(
            1,
            Action::BuyXGetY {
                buy: 2,
                get: 1,
                percent: Percent::full(),
                targets: Targets::default(),
            },
            |_| {},
        )];
        let cart = priced(&input);
        // 6 units: 2 free, the 4.00 one and one 7.00 one.
        assert_eq!(cart.order_discount_total, money(1100));
        assert_eq!(cart.lines[1].total, money(0));
        assert_eq!(cart.lines[2].discount, money(700));
        assert_eq!(cart.discounts[0].reason, "buy 2 get 1 free: Promo");
    }

    #[test]
    fn an_exclusive_promotion_applies_alone_and_blocks_coupons() {
        let mut input = cart(vec![line(1, 10_000, 1)]);
        input.promotions = vec![
            order(1, percent_off("20"), |d| {
                d.exclusive = true;
                d.name = "Black Friday".into();
            }),
            order(2, percent_off("10"), |d| d.requires_coupon = true),
        ];
        input.coupon_codes = vec![code("welcome10")];
        input.coupons = vec![coupon("WELCOME10", 2)];
        let cart = priced(&input);
        assert_eq!(cart.order_discount_total, money(2000));
        assert_eq!(
            cart.coupons,
            vec![CouponOutcome {
                code: code("WELCOME10"),
                applied: false,
                reason: Some("cannot be combined with Black Friday".into()),
            }]
        );
    }

    #[test]
    fn coupons_unlock_their_promotion_and_explain_refusals() {
        let mut input = cart(vec![line(1, 10_000, 1)]);
        input.promotions = vec![order(2, percent_off("10"), |d| d.requires_coupon = true)];
        assert_eq!(priced(&input).order_discount_total, money(0));
        input.coupon_codes = vec![code("welcome10"), code("nope1"), code("WELCOME10")];
        input.coupons = vec![coupon("WELCOME10", 2)];
        let cart = priced(&input);
        assert_eq!(cart.order_discount_total, money(1000));
        assert_eq!(cart.discounts[0].coupon, Some(code("WELCOME10")));
        let outcomes: Vec<_> = cart
            .coupons
            .iter()
            .map(|c| (c.applied, c.reason.clone()))
            .collect();
        assert_eq!(
            outcomes,
            vec![(true, None), (false, Some("unknown coupon code".into()))]
        );
        input.coupons[0].limit_total = Some(1);
        input.coupons[0].used_total = 1;
        let cart = priced(&input);
        assert_eq!(cart.order_discount_total, money(0));
        assert_eq!(
            cart.coupons[0].reason.as_deref(),
            Some("this coupon has been used up")
        );
    }

    #[test]
    fn two_coupons_of_one_promotion_apply_it_once() {
        let mut input = cart(vec![line(1, 10_000, 1)]);
        input.promotions = vec![order(2, percent_off("10"), |d| d.requires_coupon = true)];
        input.coupon_codes = vec![code("first1"), code("second2")];
        input.coupons = vec![coupon("FIRST1", 2), coupon("SECOND2", 2)];
        let cart = priced(&input);
        assert_eq!(cart.order_discount_total, money(1000));
        assert_eq!(
            cart.coupons[1].reason.as_deref(),
            Some("another coupon for the same promotion is already applied")
        );
    }

    #[test]
    fn a_coupon_whose_conditions_fail_says_why() {
        let mut input = cart(vec![line(1, 1000, 1)]);
        input.promotions = vec![order(2, percent_off("10"), |d| {
            d.requires_coupon = true;
            d.conditions = Conditions {
                min_subtotal: Some(money(5000)),
                ..Conditions::default()
            };
        })];
        input.coupon_codes = vec![code("big50")];
        input.coupons = vec![coupon("BIG50", 2)];
        let cart = priced(&input);
        assert_eq!(
            cart.coupons[0].reason.as_deref(),
            Some("needs a subtotal of at least 50.00 EUR")
        );
    }

    #[test]
    fn a_variant_without_a_price_is_an_error_naming_it() {
        let mut unpriced = line(9, 1, 1);
        unpriced.base = None;
        let error = price_cart(&cart(vec![line(1, 1000, 1), unpriced]));
        assert_eq!(
            error,
            Err(PricingError::NoPrice {
                variant_ids: vec![variant(9).as_str().to_owned()]
            })
        );
        assert_eq!(price_cart(&cart(vec![])), Err(PricingError::EmptyCart));
        assert!(matches!(
            price_cart(&cart(vec![line(1, 1000, 0)])),
            Err(PricingError::InvalidQuantity { .. })
        ));
    }

    fn arbitrary_action() -> impl Strategy<Value = Action> {
        prop_oneof![
            (1u32..=10_000).prop_map(|bp| Action::PercentOff {
                percent: percent(&format!("{}.{:02}", bp / 100, bp % 100))
            }),
            (1i64..50_000).prop_map(|a| Action::AmountOff { amount: money(a) }),
            Just(Action::FreeShipping),
            (1u32..4, 1u32..3).prop_map(|(buy, get)| Action::BuyXGetY {
                buy,
                get,
                percent: Percent::full(),
                targets: Targets::default(),
            }),
        ]
    }

    fn arbitrary_cart() -> impl Strategy<Value = CartInput> {
        let lines = proptest::collection::vec((0i64..100_000, 1u32..20), 1..30);
        let promotions =
            proptest::collection::vec((arbitrary_action(), any::<bool>(), 0i64..20_000), 0..5);
        let catalogue = proptest::collection::vec(1u32..=100, 0..3);
        (
            lines,
            promotions,
            catalogue,
            0i64..5000,
            any::<bool>(),
            0i64..=3000,
        )
            .prop_map(|(lines, promotions, catalogue, shipping, inclusive, tax)| {
                let lines = lines
                    .into_iter()
                    .enumerate()
                    .map(|(i, (amount, quantity))| {
                        line(i64::try_from(i).unwrap_or(0), amount, quantity)
                    })
                    .collect();
                let mut input = cart(lines);
                input.shipping = money(shipping);
                input.tax_mode = if inclusive {
                    TaxMode::Inclusive
                } else {
                    TaxMode::Exclusive
                };
                input.tax_rates = vec![rate(1, "DE", tax)];
                input.promotions = catalogue
                    .into_iter()
                    .enumerate()
                    .map(|(i, p)| {
                        catalogue_percent(
                            100 + i64::try_from(i).unwrap_or(0),
                            &p.to_string(),
                            Targets::default(),
                        )
                    })
                    .collect();
                for (i, (action, exclusive, min)) in promotions.into_iter().enumerate() {
                    input
                        .promotions
                        .push(order(i64::try_from(i).unwrap_or(0), action, |d| {
                            d.exclusive = exclusive;
                            d.conditions.min_subtotal = Some(money(min));
                        }));
                }
                input
            })
    }

    proptest! {
        #[test]
        fn totals_are_never_negative_and_lines_add_up_exactly(input in arbitrary_cart()) {
            let cart = price_cart(&input).expect("prices");
            prop_assert!(cart.total.amount >= 0);
            prop_assert!(cart.lines.iter().all(|l| l.total.amount >= 0 && l.tax.amount >= 0));
            let lines: i64 = cart.lines.iter().map(|l| l.total.amount).sum();
            let taxes = if cart.tax_mode == TaxMode::Exclusive { cart.tax_total.amount } else { 0 };
            prop_assert_eq!(lines + cart.shipping.total.amount + taxes, cart.total.amount);
            let line_tax: i64 = cart.lines.iter().map(|l| l.tax.amount).sum();
            prop_assert_eq!(line_tax + cart.shipping.tax.amount, cart.tax_total.amount);
            let subtotal: i64 = cart.lines.iter().map(|l| l.subtotal.amount).sum();
            prop_assert_eq!(subtotal - cart.order_discount_total.amount, lines);
        }

        #[test]
        fn discounts_never_exceed_the_subtotal(input in arbitrary_cart()) {
            let cart = price_cart(&input).expect("prices");
            prop_assert!(cart.order_discount_total.amount <= cart.subtotal.amount);
            prop_assert!(cart.shipping.discount.amount <= cart.shipping.price.amount);
            let order: i64 = cart.discounts.iter()
                .filter(|d| d.scope == DiscountScope::Order)
                .map(|d| d.amount.amount).sum();
            prop_assert_eq!(order, cart.order_discount_total.amount);
            for line in &cart.lines {
                prop_assert!(line.discount.amount <= line.subtotal.amount);
                prop_assert!(line.unit_price.amount <= line.list_unit_price.amount);
                prop_assert!(line.unit_price.amount >= 0);
            }
        }

        #[test]
        fn inclusive_tax_never_exceeds_what_is_paid(input in arbitrary_cart()) {
            let cart = price_cart(&input).expect("prices");
            if cart.tax_mode == TaxMode::Inclusive {
                prop_assert!(cart.tax_total.amount <= cart.total.amount);
            }
        }

        #[test]
        fn pricing_is_deterministic(input in arbitrary_cart()) {
            prop_assert_eq!(price_cart(&input), price_cart(&input));
        }
    }
}
