//! Shipping zones and methods, as staff manage them. A country belongs to one zone at most, so
//! a cart's methods are never ambiguous.

use commerce_kernel::GlobalId;
use commerce_kernel::db::begin_write;

use super::CheckoutService;
use crate::domain::{
    CheckoutError, Country, RateInput, SHIPPING_METHOD, SHIPPING_ZONE, ShippingKind,
    ShippingMethod, ShippingRate, ShippingZone,
};
use crate::store;

pub struct ZoneInput {
    pub name: String,
    pub countries: Vec<String>,
}

pub struct MethodInput {
    pub zone_id: String,
    pub name: String,
    pub kind: ShippingKind,
    pub rates: Vec<RateInput>,
}

fn name(value: &str) -> Result<String, CheckoutError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 100 {
        return Err(CheckoutError::invalid(
            "name",
            "must be 1 to 100 characters",
        ));
    }
    Ok(value.to_owned())
}

fn decode(id: &str, type_name: &str) -> Result<i64, CheckoutError> {
    GlobalId::decode(id, type_name)
        .map_err(|_| CheckoutError::ShippingNotFound { id: id.to_owned() })
}

impl CheckoutService {
    pub async fn shipping_zones(&self) -> Result<Vec<ShippingZone>, CheckoutError> {
        store::zones(&self.db).await
    }

    pub async fn shipping_methods(&self) -> Result<Vec<ShippingMethod>, CheckoutError> {
        store::methods(&self.db).await
    }

    /// Creates a zone (`id` `None`) or replaces one.
    pub async fn save_zone(
        &self,
        id: Option<&str>,
        input: ZoneInput,
    ) -> Result<ShippingZone, CheckoutError> {
        let id = id.map(|id| decode(id, SHIPPING_ZONE)).transpose()?;
        let name = name(&input.name)?;
        let mut countries: Vec<Country> = input
            .countries
            .iter()
            .map(|code| Country::parse(code))
            .collect::<Result<_, _>>()?;
        countries.sort_by_key(|c| c.code());
        countries.dedup();
        if countries.is_empty() {
            return Err(CheckoutError::invalid("countries", "at least one country"));
        }
        let txn = begin_write(&self.db).await?;
        let others = store::zones(&txn).await?;
        for zone in others.iter().filter(|zone| Some(zone.id) != id) {
            if let Some(country) = countries.iter().find(|c| zone.covers(**c)) {
                return Err(CheckoutError::CountryZoned {
                    country: country.code().to_owned(),
                    zone: zone.name.clone(),
                });
            }
        }
        let zone = store::save_zone(&txn, id, &name, &countries).await?;
        txn.commit().await?;
        zone.ok_or_else(|| CheckoutError::ShippingNotFound {
            id: id
                .map(|id| GlobalId::encode(SHIPPING_ZONE, id))
                .unwrap_or_default(),
        })
    }

    pub async fn delete_zone(&self, id: &str) -> Result<bool, CheckoutError> {
        let id = decode(id, SHIPPING_ZONE)?;
        let txn = begin_write(&self.db).await?;
        let deleted = store::delete_zone(&txn, id).await?;
        txn.commit().await?;
        Ok(deleted)
    }

    /// Creates a method (`id` `None`) or replaces one.
    pub async fn save_method(
        &self,
        id: Option<&str>,
        input: MethodInput,
    ) -> Result<ShippingMethod, CheckoutError> {
        let id = id.map(|id| decode(id, SHIPPING_METHOD)).transpose()?;
        let zone_id = decode(&input.zone_id, SHIPPING_ZONE)?;
        let name = name(&input.name)?;
        let kind = input.kind;
        let rates: Vec<ShippingRate> = input
            .rates
            .into_iter()
            .map(|rate| ShippingRate::parse(kind, rate))
            .collect::<Result<_, _>>()?;
        if rates.is_empty() {
            return Err(CheckoutError::invalid("rates", "at least one currency"));
        }
        let mut currencies: Vec<&str> = rates.iter().map(|r| r.currency.code()).collect();
        currencies.sort_unstable();
        if currencies.windows(2).any(|pair| pair[0] == pair[1]) {
            return Err(CheckoutError::invalid("rates", "one rate per currency"));
        }
        if !store::zones(&self.db)
            .await?
            .iter()
            .any(|z| z.id == zone_id)
        {
            return Err(CheckoutError::ShippingNotFound { id: input.zone_id });
        }
        store::save_method(&self.db, id, zone_id, &name, kind, &rates)
            .await?
            .ok_or_else(|| CheckoutError::ShippingNotFound {
                id: id
                    .map(|id| GlobalId::encode(SHIPPING_METHOD, id))
                    .unwrap_or_default(),
            })
    }

    pub async fn delete_method(&self, id: &str) -> Result<bool, CheckoutError> {
        store::delete_method(&self.db, decode(id, SHIPPING_METHOD)?).await
    }
}
