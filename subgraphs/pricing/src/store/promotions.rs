//! Promotions, with their rules as one JSON document.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entities::promotion;
use super::{StoreError, to_millis, window_from};
use crate::domain::{Promotion, PromotionKind, PromotionRules};

fn from_row(row: promotion::Model) -> Result<Promotion, StoreError> {
    let rules: PromotionRules =
        serde_json::from_str(&row.rules).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Promotion {
        id: row.id,
        name: row.name,
        kind: PromotionKind::from_stored(&row.kind),
        window: window_from(row.starts_at, row.ends_at)?,
        priority: row.priority,
        exclusive: row.exclusive,
        requires_coupon: row.requires_coupon,
        active: row.active,
        action: rules.action,
        targets: rules.targets,
        conditions: rules.conditions,
    })
}

fn rules_json(promotion: &Promotion) -> Result<String, StoreError> {
    serde_json::to_string(&promotion.rules()).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub async fn create(
    db: &impl ConnectionTrait,
    promotion: &Promotion,
    now: DateTime<Utc>,
) -> Result<Promotion, StoreError> {
    let row = promotion::ActiveModel {
        id: Default::default(),
        name: Set(promotion.name.clone()),
        kind: Set(promotion.kind.as_str().to_owned()),
        starts_at: Set(promotion.window.starts_at().map(to_millis)),
        ends_at: Set(promotion.window.ends_at().map(to_millis)),
        priority: Set(promotion.priority),
        exclusive: Set(promotion.exclusive),
        requires_coupon: Set(promotion.requires_coupon),
        active: Set(promotion.active),
        rules: Set(rules_json(promotion)?),
        created_at: Set(to_millis(now)),
    };
    let id = promotion::Entity::insert(row)
        .exec(db)
        .await?
        .last_insert_id;
    Ok(Promotion {
        id,
        ..promotion.clone()
    })
}

/// Replaces every field of a stored promotion.
pub async fn update(
    db: &impl ConnectionTrait,
    promotion: &Promotion,
) -> Result<Promotion, StoreError> {
    let p = promotion;
    let result = promotion::Entity::update_many()
        .col_expr(promotion::Column::Name, p.name.clone().into())
        .col_expr(promotion::Column::Kind, p.kind.as_str().into())
        .col_expr(
            promotion::Column::StartsAt,
            p.window.starts_at().map(to_millis).into(),
        )
        .col_expr(
            promotion::Column::EndsAt,
            p.window.ends_at().map(to_millis).into(),
        )
        .col_expr(promotion::Column::Priority, p.priority.into())
        .col_expr(promotion::Column::Exclusive, p.exclusive.into())
        .col_expr(promotion::Column::RequiresCoupon, p.requires_coupon.into())
        .col_expr(promotion::Column::Active, p.active.into())
        .col_expr(promotion::Column::Rules, rules_json(p)?.into())
        .filter(promotion::Column::Id.eq(p.id))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(StoreError::NotFound("promotion".into()));
    }
    Ok(p.clone())
}

pub async fn delete(db: &impl ConnectionTrait, id: i64) -> Result<bool, StoreError> {
    Ok(promotion::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<Promotion>, StoreError> {
    promotion::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(from_row)
        .transpose()
}

/// Every promotion, newest first (staff screens).
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<Promotion>, StoreError> {
    promotion::Entity::find()
        .order_by_desc(promotion::Column::Id)
        .limit(500)
        .all(db)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// Active promotions whose window contains `now`, and the next time any active promotion's
/// window opens or closes (after which the live set differs): one statement. Group and cart
/// conditions are left to the domain.
pub async fn live(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<(Vec<Promotion>, Option<DateTime<Utc>>), StoreError> {
    let not_ended = promotion::Entity::find()
        .filter(promotion::Column::Active.eq(true))
        .filter(
            Condition::any()
                .add(promotion::Column::EndsAt.is_null())
                .add(promotion::Column::EndsAt.gt(to_millis(now))),
        )
        .order_by_asc(promotion::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let next_change = not_ended
        .iter()
        .filter_map(|p| p.window.next_change(now))
        .min();
    let live = not_ended
        .into_iter()
        .filter(|p| p.window.contains(now))
        .collect();
    Ok((live, next_change))
}
