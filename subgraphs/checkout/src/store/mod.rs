//! Repository functions over the checkout tables: the only module that knows their layout.
//! Every function takes any connection or transaction, so the service decides the boundaries.

mod entities;
#[cfg(test)]
mod tests;

use commerce_kernel::Currency;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, SqlErr,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::{
    Address, Cart, CartLine, CartStatus, CheckoutError, Country, Lease, Outcome, Saga,
    ShippingKind, ShippingMethod, ShippingRate, ShippingZone, Step,
};
use entities::{cart, cart_line, checkout, shipping_method, shipping_zone};

/// Current time in Unix milliseconds, as every table stores it.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn to_json<T: Serialize>(value: &T) -> Result<String, CheckoutError> {
    serde_json::to_string(value).map_err(|error| CheckoutError::Unexpected(error.into()))
}

fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, CheckoutError> {
    serde_json::from_str(text)
        .map_err(|error| CheckoutError::unexpected(format!("stored {what}: {error}")))
}

fn optional_json<T: DeserializeOwned>(
    what: &str,
    text: Option<&str>,
) -> Result<Option<T>, CheckoutError> {
    text.map(|text| from_json(what, text)).transpose()
}

// ---- carts ----

/// A cart as it is created.
pub struct NewCart<'a> {
    pub token: &'a str,
    pub customer_id: Option<&'a str>,
    pub currency: Currency,
    pub country: Option<Country>,
}

/// Inserts an empty active cart. `Ok(None)` when the customer already has an active cart
/// (the partial unique index), which a concurrent create may have made.
pub async fn insert_cart(
    conn: &impl ConnectionTrait,
    new: NewCart<'_>,
) -> Result<Option<Cart>, CheckoutError> {
    let now = now_ms();
    let row = cart::ActiveModel {
        id: NotSet,
        token: Set(new.token.to_owned()),
        customer_id: Set(new.customer_id.map(str::to_owned)),
        status: Set(CartStatus::Active.as_str().to_owned()),
        currency: Set(new.currency.code().to_owned()),
        country: Set(new.country.map(|c| c.code().to_owned())),
        email: Set(None),
        shipping_address: Set(None),
        billing_address: Set(None),
        coupon_codes: Set("[]".to_owned()),
        shipping_method_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    match row.insert(conn).await {
        Ok(row) => to_cart(row, Vec::new()).map(Some),
        Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Ok(None)
        }
        Err(error) => Err(error.into()),
    }
}

fn to_cart(row: cart::Model, lines: Vec<CartLine>) -> Result<Cart, CheckoutError> {
    let currency = Currency::parse(&row.currency)
        .map_err(|error| CheckoutError::unexpected(format!("stored currency: {error}")))?;
    let country = row.country.as_deref().map(Country::parse).transpose()?;
    Ok(Cart {
        id: row.id,
        token: row.token,
        customer_id: row.customer_id,
        status: CartStatus::parse(&row.status)?,
        currency,
        country,
        email: row.email,
        shipping_address: optional_json::<Address>("address", row.shipping_address.as_deref())?,
        billing_address: optional_json::<Address>("address", row.billing_address.as_deref())?,
        coupon_codes: from_json("coupon codes", &row.coupon_codes)?,
        shipping_method_id: row.shipping_method_id,
        lines,
    })
}

/// How a cart is looked up.
pub enum CartKey<'a> {
    Id(i64),
    Token(&'a str),
    ActiveOf(&'a str),
}

/// A cart with its lines (two statements), or `None`.
pub async fn find_cart(
    conn: &impl ConnectionTrait,
    key: CartKey<'_>,
) -> Result<Option<Cart>, CheckoutError> {
    let query = cart::Entity::find();
    let query = match key {
        CartKey::Id(id) => query.filter(cart::Column::Id.eq(id)),
        CartKey::Token(token) => query.filter(cart::Column::Token.eq(token)),
        CartKey::ActiveOf(customer) => query
            .filter(cart::Column::CustomerId.eq(customer))
            .filter(cart::Column::Status.eq(CartStatus::Active.as_str())),
    };
    let Some(row) = query.one(conn).await? else {
        return Ok(None);
    };
    let lines = cart_line::Entity::find()
        .filter(cart_line::Column::CartId.eq(row.id))
        .order_by_asc(cart_line::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|line| CartLine {
            id: line.id,
            variant_id: line.variant_id,
            quantity: line.quantity,
        })
        .collect();
    to_cart(row, lines).map(Some)
}

/// Saves a cart's own fields (not its lines or status).
pub async fn save_cart(conn: &impl ConnectionTrait, cart: &Cart) -> Result<(), CheckoutError> {
    let shipping = cart.shipping_address.as_ref().map(to_json).transpose()?;
    let billing = cart.billing_address.as_ref().map(to_json).transpose()?;
    cart::Entity::update_many()
        .col_expr(
            cart::Column::Country,
            Expr::value(cart.country.map(|c| c.code().to_owned())),
        )
        .col_expr(cart::Column::Email, Expr::value(cart.email.clone()))
        .col_expr(cart::Column::ShippingAddress, Expr::value(shipping))
        .col_expr(cart::Column::BillingAddress, Expr::value(billing))
        .col_expr(
            cart::Column::CouponCodes,
            Expr::value(to_json(&cart.coupon_codes)?),
        )
        .col_expr(
            cart::Column::ShippingMethodId,
            Expr::value(cart.shipping_method_id),
        )
        .col_expr(cart::Column::UpdatedAt, Expr::value(now_ms()))
        .filter(cart::Column::Id.eq(cart.id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Moves a cart from `from` to `to`; false when it was not in `from` (someone else moved it).
pub async fn set_cart_status(
    conn: &impl ConnectionTrait,
    cart_id: i64,
    from: CartStatus,
    to: CartStatus,
) -> Result<bool, CheckoutError> {
    let result = cart::Entity::update_many()
        .col_expr(cart::Column::Status, Expr::value(to.as_str()))
        .col_expr(cart::Column::UpdatedAt, Expr::value(now_ms()))
        .filter(cart::Column::Id.eq(cart_id))
        .filter(cart::Column::Status.eq(from.as_str()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Gives an active guest cart to `customer`; false when it is no longer an active guest cart
/// or the customer has an active cart already (the partial unique index).
pub async fn adopt_cart(
    conn: &impl ConnectionTrait,
    cart_id: i64,
    customer: &str,
) -> Result<bool, CheckoutError> {
    let result = cart::Entity::update_many()
        .col_expr(cart::Column::CustomerId, Expr::value(customer))
        .col_expr(cart::Column::UpdatedAt, Expr::value(now_ms()))
        .filter(cart::Column::Id.eq(cart_id))
        .filter(cart::Column::CustomerId.is_null())
        .filter(cart::Column::Status.eq(CartStatus::Active.as_str()))
        .exec(conn)
        .await;
    match result {
        Ok(result) => Ok(result.rows_affected == 1),
        Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Ok(false)
        }
        Err(error) => Err(error.into()),
    }
}

/// Sets the quantity of the cart's line for `variant_id`, adding the line if there is none.
pub async fn put_line(
    conn: &impl ConnectionTrait,
    cart_id: i64,
    variant_id: &str,
    quantity: i32,
) -> Result<(), CheckoutError> {
    let updated = cart_line::Entity::update_many()
        .col_expr(cart_line::Column::Quantity, Expr::value(quantity))
        .filter(cart_line::Column::CartId.eq(cart_id))
        .filter(cart_line::Column::VariantId.eq(variant_id))
        .exec(conn)
        .await?;
    if updated.rows_affected == 0 {
        cart_line::ActiveModel {
            id: NotSet,
            cart_id: Set(cart_id),
            variant_id: Set(variant_id.to_owned()),
            quantity: Set(quantity),
            created_at: Set(now_ms()),
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// Removes a line of the cart; false when the cart has no such line.
pub async fn delete_line(
    conn: &impl ConnectionTrait,
    cart_id: i64,
    line_id: i64,
) -> Result<bool, CheckoutError> {
    let result = cart_line::Entity::delete_many()
        .filter(cart_line::Column::CartId.eq(cart_id))
        .filter(cart_line::Column::Id.eq(line_id))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

// ---- shipping ----

fn to_zone(row: shipping_zone::Model) -> Result<ShippingZone, CheckoutError> {
    let codes: Vec<String> = from_json("zone countries", &row.countries)?;
    let countries = codes
        .iter()
        .map(|code| Country::parse(code))
        .collect::<Result<_, _>>()?;
    Ok(ShippingZone {
        id: row.id,
        name: row.name,
        countries,
    })
}

fn to_method(row: shipping_method::Model) -> Result<ShippingMethod, CheckoutError> {
    Ok(ShippingMethod {
        id: row.id,
        zone_id: row.zone_id,
        name: row.name,
        kind: ShippingKind::parse(&row.kind)?,
        rates: from_json::<Vec<ShippingRate>>("shipping rates", &row.rates)?,
    })
}

fn country_codes(countries: &[Country]) -> Result<String, CheckoutError> {
    to_json(&countries.iter().map(|c| c.code()).collect::<Vec<_>>())
}

/// Every zone, oldest first (a shop has a handful).
pub async fn zones(conn: &impl ConnectionTrait) -> Result<Vec<ShippingZone>, CheckoutError> {
    shipping_zone::Entity::find()
        .order_by_asc(shipping_zone::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(to_zone)
        .collect()
}

/// Every method, oldest first.
pub async fn methods(conn: &impl ConnectionTrait) -> Result<Vec<ShippingMethod>, CheckoutError> {
    shipping_method::Entity::find()
        .order_by_asc(shipping_method::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(to_method)
        .collect()
}

pub async fn method(
    conn: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<ShippingMethod>, CheckoutError> {
    shipping_method::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(to_method)
        .transpose()
}

/// Inserts a zone (`id` 0) or replaces one; `None` when the zone to replace is gone.
pub async fn save_zone(
    conn: &impl ConnectionTrait,
    id: Option<i64>,
    name: &str,
    countries: &[Country],
) -> Result<Option<ShippingZone>, CheckoutError> {
    let countries = country_codes(countries)?;
    let row = match id {
        None => {
            shipping_zone::ActiveModel {
                id: NotSet,
                name: Set(name.to_owned()),
                countries: Set(countries),
                created_at: Set(now_ms()),
            }
            .insert(conn)
            .await?
        }
        Some(id) => {
            let Some(existing) = shipping_zone::Entity::find_by_id(id).one(conn).await? else {
                return Ok(None);
            };
            let mut row: shipping_zone::ActiveModel = existing.into();
            row.name = Set(name.to_owned());
            row.countries = Set(countries);
            row.update(conn).await?
        }
    };
    to_zone(row).map(Some)
}

/// Inserts a method or replaces one; `None` when the method to replace is gone.
pub async fn save_method(
    conn: &impl ConnectionTrait,
    id: Option<i64>,
    zone_id: i64,
    name: &str,
    kind: ShippingKind,
    rates: &[ShippingRate],
) -> Result<Option<ShippingMethod>, CheckoutError> {
    let rates = to_json(&rates)?;
    let row = match id {
        None => {
            shipping_method::ActiveModel {
                id: NotSet,
                zone_id: Set(zone_id),
                name: Set(name.to_owned()),
                kind: Set(kind.as_str().to_owned()),
                rates: Set(rates),
                created_at: Set(now_ms()),
            }
            .insert(conn)
            .await?
        }
        Some(id) => {
            let Some(existing) = shipping_method::Entity::find_by_id(id).one(conn).await? else {
                return Ok(None);
            };
            let mut row: shipping_method::ActiveModel = existing.into();
            row.zone_id = Set(zone_id);
            row.name = Set(name.to_owned());
            row.kind = Set(kind.as_str().to_owned());
            row.rates = Set(rates);
            row.update(conn).await?
        }
    };
    to_method(row).map(Some)
}

/// Deletes a zone (its methods go with it); false when there was none.
pub async fn delete_zone(conn: &impl ConnectionTrait, id: i64) -> Result<bool, CheckoutError> {
    shipping_method::Entity::delete_many()
        .filter(shipping_method::Column::ZoneId.eq(id))
        .exec(conn)
        .await?;
    let result = shipping_zone::Entity::delete_by_id(id).exec(conn).await?;
    Ok(result.rows_affected == 1)
}

pub async fn delete_method(conn: &impl ConnectionTrait, id: i64) -> Result<bool, CheckoutError> {
    let result = shipping_method::Entity::delete_by_id(id).exec(conn).await?;
    Ok(result.rows_affected == 1)
}

// ---- checkout sagas ----

fn to_saga(row: checkout::Model) -> Result<Saga, CheckoutError> {
    Ok(Saga {
        id: row.id,
        cart_id: row.cart_id,
        idempotency_key: row.idempotency_key,
        request_hash: row.request_hash,
        step: Step::parse(&row.step)?,
        plan: optional_json("saga plan", row.plan.as_deref())?,
        reservation_key: row.reservation_key,
        payment_intent_id: row.payment_intent_id,
        order_id: row.order_id,
        order_number: row.order_number,
        outcome: optional_json::<Outcome>("saga outcome", row.outcome.as_deref())?,
        lease_owner: row.lease_owner,
        lease_expires_at: row.lease_expires_at,
    })
}

/// Starts a saga row, already leased to `lease`'s instance; `None` when one exists for this
/// cart and key (a replay or a concurrent twin), which the caller then reads.
pub async fn insert_saga(
    conn: &impl ConnectionTrait,
    cart_id: i64,
    idempotency_key: &str,
    request_hash: &str,
    lease: &Lease,
) -> Result<Option<Saga>, CheckoutError> {
    let now = now_ms();
    let row = checkout::ActiveModel {
        id: NotSet,
        cart_id: Set(cart_id),
        idempotency_key: Set(idempotency_key.to_owned()),
        request_hash: Set(request_hash.to_owned()),
        status: Set(Step::Started.status().as_str().to_owned()),
        step: Set(Step::Started.as_str().to_owned()),
        plan: Set(None),
        reservation_key: Set(None),
        payment_intent_id: Set(None),
        order_id: Set(None),
        order_number: Set(None),
        outcome: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        lease_owner: Set(Some(lease.owner().to_owned())),
        lease_expires_at: Set(Some(lease.expiry(now))),
    };
    match row.insert(conn).await {
        Ok(row) => to_saga(row).map(Some),
        Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Ok(None)
        }
        Err(error) => Err(error.into()),
    }
}

pub async fn find_saga(
    conn: &impl ConnectionTrait,
    cart_id: i64,
    idempotency_key: &str,
) -> Result<Option<Saga>, CheckoutError> {
    checkout::Entity::find()
        .filter(checkout::Column::CartId.eq(cart_id))
        .filter(checkout::Column::IdempotencyKey.eq(idempotency_key))
        .one(conn)
        .await?
        .map(to_saga)
        .transpose()
}

/// Sagas `lease`'s instance may take at `now`: nobody holds them, it holds them itself, or
/// their holder's lease lapsed (`Saga::may_take` says the same in Rust).
fn takeable(lease: &Lease, now: i64) -> Condition {
    Condition::any()
        .add(checkout::Column::LeaseOwner.is_null())
        .add(checkout::Column::LeaseOwner.eq(lease.owner()))
        .add(checkout::Column::LeaseExpiresAt.lt(now))
}

fn running() -> sea_orm::sea_query::SimpleExpr {
    checkout::Column::Status.eq(Step::Started.status().as_str())
}

/// Takes the lease of an unfinished saga for `lease`'s instance, in one conditional update:
/// of instances racing for it, exactly one matches (PostgreSQL checks the condition again on
/// the row the winner wrote). Returns the saga as it is now (its step may have moved on since
/// the caller read it), or `None` when it finished or another instance holds a live lease.
pub async fn take_saga(
    conn: &impl ConnectionTrait,
    saga_id: i64,
    lease: &Lease,
) -> Result<Option<Saga>, CheckoutError> {
    let now = now_ms();
    let taken = checkout::Entity::update_many()
        .col_expr(checkout::Column::LeaseOwner, Expr::value(lease.owner()))
        .col_expr(
            checkout::Column::LeaseExpiresAt,
            Expr::value(lease.expiry(now)),
        )
        .filter(checkout::Column::Id.eq(saga_id))
        .filter(running())
        .filter(takeable(lease, now))
        .exec(conn)
        .await?;
    if taken.rows_affected != 1 {
        return Ok(None);
    }
    checkout::Entity::find_by_id(saga_id)
        .one(conn)
        .await?
        .map(to_saga)
        .transpose()
}

/// Stores the saga's step and what it learnt so far if `lease`'s instance still holds it,
/// renewing the lease, or releasing it once the saga has its outcome. False: another
/// instance took the saga over (this one's lease had lapsed), and nothing was written.
pub async fn save_saga(
    conn: &impl ConnectionTrait,
    saga: &Saga,
    lease: &Lease,
) -> Result<bool, CheckoutError> {
    let now = now_ms();
    let plan = saga.plan.as_ref().map(to_json).transpose()?;
    let outcome = saga.outcome.as_ref().map(to_json).transpose()?;
    let (owner, expires_at) = match saga.outcome {
        Some(_) => (None, None),
        None => (Some(lease.owner().to_owned()), Some(lease.expiry(now))),
    };
    let saved = checkout::Entity::update_many()
        .col_expr(checkout::Column::Step, Expr::value(saga.step.as_str()))
        .col_expr(
            checkout::Column::Status,
            Expr::value(saga.step.status().as_str()),
        )
        .col_expr(checkout::Column::Plan, Expr::value(plan))
        .col_expr(
            checkout::Column::ReservationKey,
            Expr::value(saga.reservation_key.clone()),
        )
        .col_expr(
            checkout::Column::PaymentIntentId,
            Expr::value(saga.payment_intent_id.clone()),
        )
        .col_expr(
            checkout::Column::OrderId,
            Expr::value(saga.order_id.clone()),
        )
        .col_expr(
            checkout::Column::OrderNumber,
            Expr::value(saga.order_number.clone()),
        )
        .col_expr(checkout::Column::Outcome, Expr::value(outcome))
        .col_expr(checkout::Column::LeaseOwner, Expr::value(owner))
        .col_expr(checkout::Column::LeaseExpiresAt, Expr::value(expires_at))
        .col_expr(checkout::Column::UpdatedAt, Expr::value(now))
        .filter(checkout::Column::Id.eq(saga.id))
        .filter(checkout::Column::LeaseOwner.eq(lease.owner()))
        .exec(conn)
        .await?;
    Ok(saved.rows_affected == 1)
}

/// Extends `lease`'s hold on a saga between two remote steps that save nothing. False: another
/// instance took it over.
pub async fn renew_lease(
    conn: &impl ConnectionTrait,
    saga_id: i64,
    lease: &Lease,
) -> Result<bool, CheckoutError> {
    let renewed = checkout::Entity::update_many()
        .col_expr(
            checkout::Column::LeaseExpiresAt,
            Expr::value(lease.expiry(now_ms())),
        )
        .filter(checkout::Column::Id.eq(saga_id))
        .filter(checkout::Column::LeaseOwner.eq(lease.owner()))
        .exec(conn)
        .await?;
    Ok(renewed.rows_affected == 1)
}

/// Lets go of a saga this instance stopped running unfinished (a service it needs is down),
/// so that a replay or recovery on any instance may take it at once. Bumps `updated_at`, which
/// sends it to the back of recovery's queue.
pub async fn release_lease(
    conn: &impl ConnectionTrait,
    saga_id: i64,
    lease: &Lease,
) -> Result<(), CheckoutError> {
    checkout::Entity::update_many()
        .col_expr(checkout::Column::LeaseOwner, Expr::value(None::<String>))
        .col_expr(checkout::Column::LeaseExpiresAt, Expr::value(None::<i64>))
        .col_expr(checkout::Column::UpdatedAt, Expr::value(now_ms()))
        .filter(checkout::Column::Id.eq(saga_id))
        .filter(checkout::Column::LeaseOwner.eq(lease.owner()))
        .exec(conn)
        .await?;
    Ok(())
}

/// At most `limit` unfinished sagas that nobody runs (no lease, or a lapsed one), the longest
/// untouched first: what recovery takes over.
pub async fn recoverable_sagas(
    conn: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<Saga>, CheckoutError> {
    let lapsed = Condition::any()
        .add(checkout::Column::LeaseOwner.is_null())
        .add(checkout::Column::LeaseExpiresAt.lt(now_ms()));
    checkout::Entity::find()
        .filter(running())
        .filter(lapsed)
        .order_by_asc(checkout::Column::UpdatedAt)
        .order_by_asc(checkout::Column::Id)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(to_saga)
        .collect()
}
