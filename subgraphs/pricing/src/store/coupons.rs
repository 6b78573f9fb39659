//! Coupons, their usage counts and redemptions.

use chrono::{DateTime, Utc};
use commerce_kernel::db::begin_write;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};

use super::entities::{coupon, coupon_customer_usage, coupon_redemption};
use super::{StoreError, is_unique_violation, to_millis};
use crate::domain::{Coupon, CouponCode, CouponUsage, ValidationError};

fn to_u32(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn from_row(row: coupon::Model) -> Coupon {
    Coupon {
        id: row.id,
        code: CouponCode::from_stored(row.code),
        promotion_id: row.promotion_id,
        usage_limit: row.usage_limit.map(to_u32),
        usage_limit_per_customer: row.usage_limit_per_customer.map(to_u32),
        times_used: to_u32(row.times_used),
    }
}

/// Creates a coupon; a code already in use is a validation error.
pub async fn create(
    db: &impl ConnectionTrait,
    new: &Coupon,
    now: DateTime<Utc>,
) -> Result<Coupon, StoreError> {
    let row = coupon::ActiveModel {
        id: Default::default(),
        code: Set(new.code.as_str().to_owned()),
        promotion_id: Set(new.promotion_id),
        usage_limit: Set(new.usage_limit.map(i64::from)),
        usage_limit_per_customer: Set(new.usage_limit_per_customer.map(i64::from)),
        times_used: Set(0),
        created_at: Set(to_millis(now)),
    };
    match coupon::Entity::insert(row).exec(db).await {
        Ok(done) => Ok(Coupon {
            id: done.last_insert_id,
            times_used: 0,
            ..new.clone()
        }),
        Err(error) if is_unique_violation(&error) => {
            Err(StoreError::Invalid(ValidationError::new(
                "code",
                format!("the code {} is already in use", new.code.as_str()),
            )))
        }
        Err(error) => Err(error.into()),
    }
}

pub async fn delete(db: &impl ConnectionTrait, id: i64) -> Result<bool, StoreError> {
    Ok(coupon::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

pub async fn by_promotion(
    db: &impl ConnectionTrait,
    promotion_id: i64,
) -> Result<Vec<Coupon>, StoreError> {
    Ok(coupon::Entity::find()
        .filter(coupon::Column::PromotionId.eq(promotion_id))
        .order_by_asc(coupon::Column::Code)
        .limit(500)
        .all(db)
        .await?
        .into_iter()
        .map(from_row)
        .collect())
}

/// Usage of the entered codes, with the customer's own redemptions: two statements.
pub async fn usages(
    db: &impl ConnectionTrait,
    codes: &[CouponCode],
    customer_id: Option<&str>,
) -> Result<Vec<CouponUsage>, StoreError> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let coupons = coupon::Entity::find()
        .filter(coupon::Column::Code.is_in(codes.iter().map(|c| c.as_str().to_owned())))
        .all(db)
        .await?;
    let mut per_customer: Vec<(i64, i64)> = Vec::new();
    if let Some(customer) = customer_id
        && !coupons.is_empty()
    {
        per_customer = coupon_redemption::Entity::find()
            .select_only()
            .column(coupon_redemption::Column::CouponId)
            .column_as(Expr::col(coupon_redemption::Column::Id).count(), "uses")
            .filter(coupon_redemption::Column::CouponId.is_in(coupons.iter().map(|c| c.id)))
            .filter(coupon_redemption::Column::CustomerId.eq(customer))
            .group_by(coupon_redemption::Column::CouponId)
            .into_tuple()
            .all(db)
            .await?;
    }
    Ok(coupons
        .into_iter()
        .map(|row| {
            let used = per_customer
                .iter()
                .find(|(id, _)| *id == row.id)
                .map_or(0, |(_, n)| *n);
            let coupon = from_row(row);
            CouponUsage {
                code: coupon.code,
                promotion_id: coupon.promotion_id,
                limit_total: coupon.usage_limit,
                limit_per_customer: coupon.usage_limit_per_customer,
                used_total: coupon.times_used,
                used_by_customer: to_u32(used),
            }
        })
        .collect())
}

/// Why a redemption was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Unknown,
    UsedUp,
    CustomerLimit,
}

/// Records one use of `code` for `order_ref`. A replay for the same order changes nothing and
/// succeeds. The first statement of the transaction is a write (the redemption row), so SQLite
/// queues concurrent redemptions on its write lock instead of failing them. Both limits hold
/// under concurrency because each counter (the customer's in `coupon_customer_usages`, the
/// coupon's `times_used`) only moves through one conditional UPDATE, in the same transaction,
/// so a refusal by either rolls back both.
pub async fn redeem(
    db: &(impl TransactionTrait + ConnectionTrait),
    code: &CouponCode,
    order_ref: &str,
    customer_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Result<(), Refusal>, StoreError> {
    let Some(coupon) = coupon::Entity::find()
        .filter(coupon::Column::Code.eq(code.as_str()))
        .one(db)
        .await?
    else {
        return Ok(Err(Refusal::Unknown));
    };
    let txn = begin_write(db).await?;
    let redemption = coupon_redemption::ActiveModel {
        id: Default::default(),
        coupon_id: Set(coupon.id),
        customer_id: Set(customer_id.map(str::to_owned)),
        order_ref: Set(order_ref.to_owned()),
        created_at: Set(to_millis(now)),
    };
    match coupon_redemption::Entity::insert(redemption)
        .exec(&txn)
        .await
    {
        Ok(_) => {}
        // This order already redeemed the coupon: a replay.
        Err(error) if is_unique_violation(&error) => return Ok(Ok(())),
        Err(error) => return Err(error.into()),
    }
    if let Some(customer) = customer_id
        && !claim_customer_use(&txn, coupon.id, customer, coupon.usage_limit_per_customer).await?
    {
        txn.rollback().await?;
        return Ok(Err(Refusal::CustomerLimit));
    }
    let counted = coupon::Entity::update_many()
        .col_expr(
            coupon::Column::TimesUsed,
            Expr::col(coupon::Column::TimesUsed).add(1),
        )
        .filter(coupon::Column::Id.eq(coupon.id))
        .filter(
            Condition::any()
                .add(coupon::Column::UsageLimit.is_null())
                .add(
                    Expr::col(coupon::Column::TimesUsed).lt(Expr::col(coupon::Column::UsageLimit)),
                ),
        )
        .exec(&txn)
        .await?;
    if counted.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(Err(Refusal::UsedUp));
    }
    txn.commit().await?;
    Ok(Ok(()))
}

/// Counts one use of the coupon by the customer unless that reaches past `limit`: the row is
/// created if missing, then moved by one conditional UPDATE, which PostgreSQL serialises on the
/// row lock (re-checking the condition) and SQLite on its write lock. False when refused.
async fn claim_customer_use(
    txn: &impl ConnectionTrait,
    coupon_id: i64,
    customer_id: &str,
    limit: Option<i64>,
) -> Result<bool, StoreError> {
    let row = coupon_customer_usage::ActiveModel {
        coupon_id: Set(coupon_id),
        customer_id: Set(customer_id.to_owned()),
        used: Set(0),
    };
    coupon_customer_usage::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                coupon_customer_usage::Column::CouponId,
                coupon_customer_usage::Column::CustomerId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .do_nothing()
        .exec_without_returning(txn)
        .await?;
    let mut claim = coupon_customer_usage::Entity::update_many()
        .col_expr(
            coupon_customer_usage::Column::Used,
            Expr::col(coupon_customer_usage::Column::Used).add(1),
        )
        .filter(coupon_customer_usage::Column::CouponId.eq(coupon_id))
        .filter(coupon_customer_usage::Column::CustomerId.eq(customer_id));
    if let Some(limit) = limit {
        claim = claim.filter(coupon_customer_usage::Column::Used.lt(limit));
    }
    Ok(claim.exec(txn).await?.rows_affected > 0)
}
