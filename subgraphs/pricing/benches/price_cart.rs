//! Pricing a 50-line cart with three applicable promotions (a 10% catalogue sale, buy 2 get 1
//! free on a category, a 10% coupon), B2B volume tiers on every fifth line and 19% VAT:
//! the pure function alone, and the whole `priceCart` query on SQLite.
//!
//! Run with: `cargo bench -p commerce-pricing --bench price_cart`

use std::sync::Arc;

use async_graphql::Executor;
use chrono::Utc;
use commerce_kernel::subgraph::SubgraphExecutor;
use commerce_kernel::{Currency, GlobalId, Money};
use commerce_pricing::domain::{
    Action, BasePrice, BasisPoints, CartInput, Conditions, CountryCode, CouponCode, CouponUsage,
    Destination, LineFacts, LineInput, Percent, PriceListOffer, PriceListRule, Promotion,
    PromotionDraft, PromotionKind, Targets, TaxCategoryCode, TaxMode, TaxRate, Tier, Tiers,
    VariantId, Window, price_cart,
};
use criterion::{Criterion, criterion_group, criterion_main};

const LINES: i64 = 50;

fn eur() -> Currency {
    Currency::parse("EUR").expect("EUR is known")
}

fn money(amount: i64) -> Money {
    Money::new(amount, eur())
}

fn promotion(id: i64, kind: PromotionKind, action: Action, targets: Targets) -> Promotion {
    let mut promotion = Promotion::parse(PromotionDraft {
        name: format!("Promotion {id}"),
        kind,
        window: Window::always(),
        priority: 0,
        exclusive: false,
        requires_coupon: id == 3,
        active: true,
        action,
        targets,
        conditions: Conditions::default(),
    })
    .expect("a valid promotion");
    promotion.id = id;
    promotion
}

fn b2b_offer() -> Vec<PriceListOffer> {
    let mut list = PriceListRule::parse("B2B", Some("b2b"), eur(), Window::always(), 10)
        .expect("a valid list");
    list.id = 1;
    let tier = |min, max, amount| Tier {
        min_quantity: min,
        max_quantity: max,
        amount: money(amount),
    };
    let tiers = vec![
        tier(1, Some(9), 900),
        tier(10, Some(49), 850),
        tier(50, None, 800),
    ];
    vec![PriceListOffer {
        list: Arc::new(list),
        tiers: Tiers::parse(eur(), tiers).expect("valid tiers"),
    }]
}

fn cart() -> CartInput {
    let category = GlobalId::encode("Category", 3);
    let lines = (1..=LINES)
        .map(|n| LineInput {
            variant_id: VariantId::from_stored(GlobalId::encode("ProductVariant", n)),
            quantity: u32::try_from(n % 4 + 1).expect("small"),
            facts: LineFacts {
                product_id: Some(GlobalId::encode("Product", n)),
                category_ids: if n % 3 == 0 {
                    vec![category.clone()]
                } else {
                    vec![]
                },
                collection_ids: vec![],
            },
            tax_category: TaxCategoryCode::standard(),
            base: Some(BasePrice::parse(money(500 + n * 137), None).expect("a valid price")),
            offers: if n % 5 == 0 { b2b_offer() } else { vec![] },
        })
        .collect();
    let percent = |p: &str| Percent::parse("percent", p).expect("a valid percent");
    let bxgy_targets = Targets::parse(&[], &[category], &[]).expect("valid targets");
    let promotions = vec![
        promotion(
            1,
            PromotionKind::Catalogue,
            Action::PercentOff {
                percent: percent("10"),
            },
            Targets::default(),
        ),
        promotion(
            2,
            PromotionKind::Order,
            Action::BuyXGetY {
                buy: 2,
                get: 1,
                percent: Percent::full(),
                targets: bxgy_targets,
            },
            Targets::default(),
        ),
        promotion(
            3,
            PromotionKind::Order,
            Action::PercentOff {
                percent: percent("10"),
            },
            Targets::default(),
        ),
    ];
    let code = CouponCode::parse("code", "WELCOME10").expect("a valid code");
    CartInput {
        currency: eur(),
        tax_mode: TaxMode::Inclusive,
        now: Utc::now(),
        customer_groups: vec!["b2b".into()],
        customer_id: Some(GlobalId::encode("Customer", 1)),
        lines,
        coupon_codes: vec![code.clone()],
        coupons: vec![CouponUsage {
            code,
            promotion_id: 3,
            limit_total: None,
            limit_per_customer: Some(1),
            used_total: 10,
            used_by_customer: 0,
        }],
        promotions,
        shipping: money(495),
        destination: Destination {
            country: CountryCode::parse("country", "DE").expect("valid"),
            region: None,
        },
        tax_rates: vec![TaxRate {
            id: 1,
            name: "MwSt. 19%".into(),
            country: CountryCode::parse("country", "DE").expect("valid"),
            region: None,
            category: TaxCategoryCode::standard(),
            rate: BasisPoints::from_basis_points("rate", 1900).expect("valid"),
        }],
    }
}

fn pure_function(c: &mut Criterion) {
    let input = cart();
    let priced = price_cart(&input).expect("prices");
    let applied: Vec<i64> = priced.discounts.iter().map(|d| d.promotion_id).collect();
    assert_eq!(applied, vec![1, 2, 3], "all three promotions apply");
    c.bench_function("price_cart: 50 lines, 3 promotions (pure function)", |b| {
        b.iter(|| price_cart(std::hint::black_box(&input)).expect("prices"))
    });
}

/// The same size of cart through `priceCart` on SQLite with the demo shop (10% catalogue sale,
/// free shipping over 50 EUR, `WELCOME10`, B2B tiers, DE VAT): loading plus pricing.
fn graphql_on_sqlite(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let (schema, _config) = runtime.block_on(async {
        let config = commerce_testkit::test_config(commerce_testkit::Backend::Sqlite).await;
        let state = commerce_pricing::state(&config).await.expect("state");
        let ids: Vec<String> = (1..=LINES)
            .map(|n| GlobalId::encode("ProductVariant", n))
            .collect();
        commerce_pricing::demo::seed(&state, &ids, 1)
            .await
            .expect("seeds");
        (commerce_pricing::schema(state), config)
    });
    // As served: the kernel's executor adds the request scopes the resolvers read.
    let schema = SubgraphExecutor::new(schema);
    let lines: Vec<serde_json::Value> = (1..=LINES)
        .map(|n| serde_json::json!({ "variantId": GlobalId::encode("ProductVariant", n), "quantity": n % 4 + 1 }))
        .collect();
    let variables = serde_json::json!({ "input": { "lines": lines, "currency": "EUR", "couponCodes": ["WELCOME10"],
                                                    "shipping": "4.95", "country": "DE" } });
    let query = "query($input: PriceCartInput!) { priceCart(input: $input) { __typename ... on PricedCart { total { amount } discounts { reason } lines { total { amount } } } } }";
    let viewer = commerce_kernel::viewer::Viewer::Customer {
        id: GlobalId::encode("Customer", 1),
        groups: vec!["b2b".into()],
    };
    let run = || {
        let request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables.clone()))
            .data(viewer.clone());
        schema.execute(request)
    };
    let response = runtime.block_on(run());
    let json = serde_json::to_value(&response).expect("serializes");
    assert_eq!(
        json["data"]["priceCart"]["discounts"]
            .as_array()
            .map(Vec::len),
        Some(3),
        "{json}"
    );
    c.bench_function("priceCart query: 50 lines, 3 promotions (SQLite)", |b| {
        b.to_async(&runtime).iter(run)
    });
}

criterion_group!(benches, pure_function, graphql_on_sqlite);
criterion_main!(benches);
