//! Stored hashes of refresh tokens (grouped in families, one per sign-in) and of password-reset
//! tokens. Every state change is a conditional update, so two requests racing with the same
//! token cannot both succeed.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::entities::{password_reset, refresh_token};

pub struct StoredRefreshToken {
    pub id: i64,
    pub family: String,
    pub subject: String,
    pub kind: String,
    pub expires_at: DateTime<Utc>,
    pub rotated: bool,
    pub revoked: bool,
}

pub struct NewRefreshToken<'a> {
    pub hash: &'a str,
    pub family: &'a str,
    pub subject: &'a str,
    pub kind: &'a str,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_refresh_token(
    db: &impl ConnectionTrait,
    new: NewRefreshToken<'_>,
) -> Result<(), DbErr> {
    let row = refresh_token::ActiveModel {
        token_hash: Set(new.hash.to_owned()),
        family: Set(new.family.to_owned()),
        subject: Set(new.subject.to_owned()),
        kind: Set(new.kind.to_owned()),
        created_at: Set(Utc::now()),
        expires_at: Set(new.expires_at),
        ..Default::default()
    };
    refresh_token::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map(drop)
}

pub async fn find_refresh_token(
    db: &impl ConnectionTrait,
    hash: &str,
) -> Result<Option<StoredRefreshToken>, DbErr> {
    let row = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(db)
        .await?;
    Ok(row.map(|row| StoredRefreshToken {
        id: row.id,
        family: row.family,
        subject: row.subject,
        kind: row.kind,
        expires_at: row.expires_at,
        rotated: row.rotated_at.is_some(),
        revoked: row.revoked_at.is_some(),
    }))
}

/// Marks a live token as used; `false` when it was already rotated or revoked meanwhile.
pub async fn mark_rotated(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let result = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RotatedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::Id.eq(id))
        .filter(refresh_token::Column::RotatedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Revokes every token of one sign-in; returns how many were still live.
pub async fn revoke_family(db: &impl ConnectionTrait, family: &str) -> Result<u64, DbErr> {
    revoke_where(db, refresh_token::Column::Family.eq(family)).await
}

/// Revokes every token of an account (log out everywhere).
pub async fn revoke_subject(db: &impl ConnectionTrait, subject: &str) -> Result<u64, DbErr> {
    revoke_where(db, refresh_token::Column::Subject.eq(subject)).await
}

async fn revoke_where(
    db: &impl ConnectionTrait,
    condition: sea_orm::sea_query::SimpleExpr,
) -> Result<u64, DbErr> {
    let result = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(condition)
        .filter(refresh_token::Column::RevokedAt.is_null())
        .filter(refresh_token::Column::RotatedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

pub async fn insert_password_reset(
    db: &impl ConnectionTrait,
    customer_id: i64,
    hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = password_reset::ActiveModel {
        customer_id: Set(customer_id),
        token_hash: Set(hash.to_owned()),
        created_at: Set(Utc::now()),
        expires_at: Set(expires_at),
        ..Default::default()
    };
    password_reset::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map(drop)
}

/// The customer a live (unused, unexpired) reset token belongs to, with the token's id.
pub async fn live_password_reset(
    db: &impl ConnectionTrait,
    hash: &str,
) -> Result<Option<(i64, i64)>, DbErr> {
    let row = password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(hash))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(Utc::now()))
        .one(db)
        .await?;
    Ok(row.map(|row| (row.id, row.customer_id)))
}

/// Uses up the token; `false` when another request used it first.
pub async fn use_password_reset(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let result = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(Utc::now()))
        .filter(password_reset::Column::Id.eq(id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Uses up every other outstanding reset token of the customer once one has worked.
pub async fn expire_password_resets(
    db: &impl ConnectionTrait,
    customer_id: i64,
) -> Result<(), DbErr> {
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(Utc::now()))
        .filter(password_reset::Column::CustomerId.eq(customer_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(db)
        .await
        .map(drop)
}
