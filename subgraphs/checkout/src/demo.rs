//! Deterministic demo data: shipping zones for Germany, the rest of the EU, the UK and the US,
//! each with a flat-rate, a free-over and a by-weight method in EUR, GBP and USD. Idempotent:
//! nothing happens once zones exist.

use crate::AppState;
use crate::domain::{RateInput, ShippingKind};
use crate::service::{MethodInput, ZoneInput};

const ZONES: &[(&str, &[&str])] = &[
    ("Germany", &["DE"]),
    (
        "European Union",
        &[
            "AT", "BE", "BG", "CY", "CZ", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
            "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
        ],
    ),
    ("United Kingdom", &["GB"]),
    ("United States", &["US"]),
];

/// `(currency, flat price, free-over threshold, weight bands)` per zone, in zone order.
const PRICES: [(&str, &str, &str); 4] = [
    ("4.90", "50", "3.90"),
    ("9.90", "100", "7.90"),
    ("6.50", "60", "5.50"),
    ("7.99", "75", "6.99"),
];

const CURRENCIES: [&str; 3] = ["EUR", "GBP", "USD"];

fn rates(kind: ShippingKind, (flat, free_over, light): (&str, &str, &str)) -> Vec<RateInput> {
    CURRENCIES
        .iter()
        .map(|currency| RateInput {
            currency: (*currency).to_owned(),
            amount: (kind != ShippingKind::ByWeight).then(|| flat.to_owned()),
            free_over: (kind == ShippingKind::FreeOver).then(|| free_over.to_owned()),
            bands: if kind == ShippingKind::ByWeight {
                vec![
                    (Some(2_000), light.to_owned()),
                    (Some(10_000), flat.to_owned()),
                    (None, "24.90".to_owned()),
                ]
            } else {
                Vec::new()
            },
        })
        .collect()
}

/// Loads the demo zones and methods; returns how many zones it created.
pub async fn seed(state: &AppState) -> anyhow::Result<usize> {
    let service = &state.service;
    if !service.shipping_zones().await?.is_empty() {
        return Ok(0);
    }
    for ((name, countries), prices) in ZONES.iter().zip(PRICES) {
        let zone = service
            .save_zone(
                None,
                ZoneInput {
                    name: (*name).to_owned(),
                    countries: countries.iter().map(|c| (*c).to_owned()).collect(),
                },
            )
            .await?;
        let methods = [
            ("Standard", ShippingKind::Flat),
            ("Standard, free over a threshold", ShippingKind::FreeOver),
            ("Parcel by weight", ShippingKind::ByWeight),
        ];
        for (method, kind) in methods {
            let input = MethodInput {
                zone_id: zone.global_id(),
                name: method.to_owned(),
                kind,
                rates: rates(kind, prices),
            };
            service.save_method(None, input).await?;
        }
    }
    Ok(ZONES.len())
}
