//! Deterministic demo data: EUR and USD prices for every variant, a B2B price list with volume
//! tiers, a running 10% catalogue promotion, free shipping over 50 EUR, the `WELCOME10` coupon,
//! VAT for DE/FR/GB and US sales tax examples. Idempotent: nothing happens once seeded.

use anyhow::Context;
use chrono::{TimeZone, Utc};
use commerce_kernel::{Currency, Money};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::AppState;
use crate::domain::VariantPricing;
use crate::domain::{BasePrice, TaxCategoryCode, Tier, Tiers, VariantId};
use crate::service::{
    ActionInput, ActionKind, ConditionsInput, CouponInput, MoneyInput, PriceListInput,
    PromotionInput, TargetsInput, TaxRateInput,
};
use crate::store::prices;

/// Seeds the demo shop's pricing for `variant_ids` (the catalog's global ids).
pub async fn seed(state: &AppState, variant_ids: &[String], seed: u64) -> anyhow::Result<()> {
    let service = &state.service;
    if !service.tax_categories().await?.is_empty() {
        return Ok(());
    }
    seed_taxes(state).await?;
    let eur = Currency::parse("EUR")?;
    let usd = Currency::parse("USD")?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let variants: Vec<VariantPricing> = variant_ids
        .iter()
        .enumerate()
        .map(|(index, id)| demo_variant(&mut rng, index, id, eur, usd))
        .collect::<anyhow::Result<_>>()?;
    prices::insert_many(&state.db, &variants, Utc::now()).await?;
    seed_b2b_list(state, &variants, eur).await?;
    seed_promotions(state).await?;
    commerce_kernel::db::analyze(&state.db).await?;
    Ok(())
}

fn demo_variant(
    rng: &mut ChaCha8Rng,
    index: usize,
    id: &str,
    eur: Currency,
    usd: Currency,
) -> anyhow::Result<VariantPricing> {
    // Prices end in .99 or .00 like a real shop's, from 4.99 to 299.00 EUR.
    let whole: i64 = rng.random_range(4..300);
    let cents = if rng.random_bool(0.7) { 99 } else { 0 };
    let amount = whole * 100 + cents;
    let usd_amount = (amount * 108 / 100) / 100 * 100 + 99;
    let on_sale = rng.random_bool(0.2);
    let compare_at =
        |a: i64, c: Currency| on_sale.then(|| Money::new(a * 5 / 4 / 100 * 100 + 99, c));
    let prices = vec![
        BasePrice::parse(Money::new(amount, eur), compare_at(amount, eur))?,
        BasePrice::parse(Money::new(usd_amount, usd), compare_at(usd_amount, usd))?,
    ];
    // Every tenth variant is a reduced-rate good (books, food).
    let tax_category = if index % 10 == 9 {
        TaxCategoryCode::parse("taxCategory", "reduced")?
    } else {
        TaxCategoryCode::standard()
    };
    Ok(VariantPricing {
        variant_id: VariantId::from_stored(id.to_owned()),
        product_id: None,
        tax_category,
        prices,
    })
}

/// B2B customers get 1-9 at 90%, 10-49 at 85% and 50+ at 80% of the EUR price.
async fn seed_b2b_list(
    state: &AppState,
    variants: &[VariantPricing],
    eur: Currency,
) -> anyhow::Result<()> {
    let list = state
        .service
        .create_price_list(&PriceListInput {
            name: "B2B trade prices".into(),
            customer_group: Some("b2b".into()),
            currency: "EUR".into(),
            starts_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single(),
            ends_at: None,
            priority: 10,
        })
        .await?;
    let entries: Vec<(VariantId, Tiers)> = variants
        .iter()
        .filter_map(|v| {
            let base = v
                .prices
                .iter()
                .find(|p| p.amount.currency == eur)?
                .amount
                .amount;
            let tier = |min, max, percent: i64| Tier {
                min_quantity: min,
                max_quantity: max,
                amount: Money::new(base * percent / 100, eur),
            };
            let tiers = vec![
                tier(1, Some(9), 90),
                tier(10, Some(49), 85),
                tier(50, None, 80),
            ];
            Some((v.variant_id.clone(), Tiers::parse(eur, tiers).ok()?))
        })
        .collect();
    prices::insert_many_tiers(&state.db, list.id, &entries).await?;
    Ok(())
}

async fn seed_taxes(state: &AppState) -> anyhow::Result<()> {
    let service = &state.service;
    for (code, name) in [
        ("standard", "Standard rate"),
        ("reduced", "Reduced rate"),
        ("zero", "Zero rate"),
    ] {
        service.create_tax_category(code, name).await?;
    }
    let rates = [
        ("DE", None, "standard", "19", "MwSt. 19%"),
        ("DE", None, "reduced", "7", "MwSt. 7%"),
        ("FR", None, "standard", "20", "TVA 20%"),
        ("FR", None, "reduced", "5.5", "TVA 5,5%"),
        ("GB", None, "standard", "20", "VAT 20%"),
        ("GB", None, "reduced", "5", "VAT 5%"),
        ("US", None, "standard", "0", "No state sales tax"),
        ("US", Some("CA"), "standard", "7.25", "California sales tax"),
        (
            "US",
            Some("NY"),
            "standard",
            "4",
            "New York state sales tax",
        ),
        ("US", Some("TX"), "standard", "6.25", "Texas sales tax"),
    ];
    for (country, region, category, rate, name) in rates {
        service
            .set_tax_rate(&TaxRateInput {
                name: name.into(),
                country: country.into(),
                region: region.map(str::to_owned),
                category: category.into(),
                rate_percent: rate.into(),
            })
            .await
            .with_context(|| format!("seeding the {name} rate"))?;
    }
    for (currency, inclusive) in [("EUR", true), ("GBP", true), ("USD", false)] {
        service.set_tax_mode(currency, inclusive).await?;
    }
    Ok(())
}

fn action(kind: ActionKind, percent: Option<&str>) -> ActionInput {
    ActionInput {
        kind,
        percent: percent.map(str::to_owned),
        amount: None,
        buy_quantity: None,
        get_quantity: None,
        targets: TargetsInput::default(),
    }
}

fn promotion(
    name: &str,
    kind: crate::domain::PromotionKind,
    action: ActionInput,
) -> PromotionInput {
    PromotionInput {
        name: name.into(),
        kind,
        starts_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single(),
        ends_at: Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).single(),
        priority: 0,
        exclusive: false,
        requires_coupon: false,
        active: true,
        targets: TargetsInput::default(),
        conditions: ConditionsInput::default(),
        action,
    }
}

async fn seed_promotions(state: &AppState) -> anyhow::Result<()> {
    use crate::domain::PromotionKind::{Catalogue, Order};
    let service = &state.service;
    service
        .create_promotion(&promotion(
            "Winter sale",
            Catalogue,
            action(ActionKind::Percentage, Some("10")),
        ))
        .await?;
    let mut free_shipping = promotion(
        "Free shipping over 50 EUR",
        Order,
        action(ActionKind::FreeShipping, None),
    );
    free_shipping.conditions.min_subtotal = Some(MoneyInput {
        currency: "EUR".into(),
        amount: "50".into(),
    });
    service.create_promotion(&free_shipping).await?;
    let mut welcome = promotion(
        "Welcome discount",
        Order,
        action(ActionKind::Percentage, Some("10")),
    );
    welcome.requires_coupon = true;
    let welcome = service.create_promotion(&welcome).await?;
    service
        .create_coupon(&CouponInput {
            code: "WELCOME10".into(),
            promotion_id: welcome.id,
            usage_limit: None,
            usage_limit_per_customer: Some(1),
        })
        .await?;
    Ok(())
}
