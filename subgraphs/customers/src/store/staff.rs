//! Staff accounts, roles and their permissions.

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use super::entities::{member_role, role_permission, staff_member, staff_role};
use super::nothing_inserted;
use crate::domain::{Credentials, Permission, RoleCode, StaffMember, StaffRole};

impl From<staff_member::Model> for StaffMember {
    fn from(row: staff_member::Model) -> Self {
        Self {
            id: row.id,
            email: row.email,
            name: row.name,
            active: row.active,
        }
    }
}

/// Creates a role with its permissions; `None` when the code is taken.
pub async fn insert_role(
    db: &impl ConnectionTrait,
    code: &RoleCode,
    name: &str,
    permissions: &BTreeSet<Permission>,
) -> Result<Option<StaffRole>, DbErr> {
    let row = staff_role::ActiveModel {
        code: Set(code.as_str().to_owned()),
        name: Set(name.to_owned()),
        ..Default::default()
    };
    let result = staff_role::Entity::insert(row)
        .on_conflict(
            OnConflict::column(staff_role::Column::Code)
                .do_nothing()
                .to_owned(),
        )
        .exec(db)
        .await;
    let Some(inserted) = nothing_inserted(result)? else {
        return Ok(None);
    };
    let role_id = inserted.last_insert_id;
    if !permissions.is_empty() {
        let rows = permissions
            .iter()
            .map(|permission| role_permission::ActiveModel {
                role_id: Set(role_id),
                permission: Set(permission.as_str().to_owned()),
            });
        role_permission::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(Some(StaffRole {
        id: role_id,
        code: code.as_str().to_owned(),
        name: name.to_owned(),
        permissions: permissions.iter().map(|p| p.as_str().to_owned()).collect(),
    }))
}

/// Every role with its permissions, by code.
pub async fn all_roles(db: &impl ConnectionTrait) -> Result<Vec<StaffRole>, DbErr> {
    let roles = staff_role::Entity::find()
        .order_by_asc(staff_role::Column::Code)
        .all(db)
        .await?;
    roles_with_permissions(db, roles).await
}

/// The roles named by `codes` (unknown codes are simply absent).
pub async fn roles_by_code(
    db: &impl ConnectionTrait,
    codes: &[RoleCode],
) -> Result<Vec<StaffRole>, DbErr> {
    let roles = staff_role::Entity::find()
        .filter(staff_role::Column::Code.is_in(codes.iter().map(RoleCode::as_str)))
        .order_by_asc(staff_role::Column::Code)
        .all(db)
        .await?;
    roles_with_permissions(db, roles).await
}

async fn roles_with_permissions(
    db: &impl ConnectionTrait,
    roles: Vec<staff_role::Model>,
) -> Result<Vec<StaffRole>, DbErr> {
    let mut permissions: HashMap<i64, Vec<String>> = HashMap::new();
    for row in role_permission::Entity::find()
        .filter(role_permission::Column::RoleId.is_in(roles.iter().map(|r| r.id)))
        .order_by_asc(role_permission::Column::Permission)
        .all(db)
        .await?
    {
        permissions
            .entry(row.role_id)
            .or_default()
            .push(row.permission);
    }
    Ok(roles
        .into_iter()
        .map(|role| StaffRole {
            permissions: permissions.remove(&role.id).unwrap_or_default(),
            id: role.id,
            code: role.code,
            name: role.name,
        })
        .collect())
}

pub struct NewStaffMember<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub name: &'a str,
    pub role_ids: &'a [i64],
}

/// Creates a staff member with roles; `None` when the email is taken.
pub async fn insert_staff_member(
    db: &impl ConnectionTrait,
    new: NewStaffMember<'_>,
) -> Result<Option<StaffMember>, DbErr> {
    let row = staff_member::ActiveModel {
        email: Set(new.email.to_owned()),
        password_hash: Set(new.password_hash.to_owned()),
        name: Set(new.name.to_owned()),
        active: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    let result = staff_member::Entity::insert(row)
        .on_conflict(
            OnConflict::column(staff_member::Column::Email)
                .do_nothing()
                .to_owned(),
        )
        .exec(db)
        .await;
    let Some(inserted) = nothing_inserted(result)? else {
        return Ok(None);
    };
    let staff_id = inserted.last_insert_id;
    if !new.role_ids.is_empty() {
        let rows = new.role_ids.iter().map(|role_id| member_role::ActiveModel {
            staff_id: Set(staff_id),
            role_id: Set(*role_id),
        });
        member_role::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(Some(StaffMember {
        id: staff_id,
        email: new.email.to_owned(),
        name: new.name.to_owned(),
        active: true,
    }))
}

/// The password hash of an active staff member.
pub async fn staff_credentials(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<Credentials>, DbErr> {
    let row = staff_member::Entity::find()
        .filter(staff_member::Column::Email.eq(email))
        .filter(staff_member::Column::Active.eq(true))
        .one(db)
        .await?;
    Ok(row.map(|row| Credentials {
        id: row.id,
        password_hash: row.password_hash,
    }))
}

pub async fn find_staff_member(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<StaffMember>, DbErr> {
    Ok(staff_member::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(Into::into))
}

/// The roles of a staff member, with their permissions.
pub async fn roles_of_staff(
    db: &impl ConnectionTrait,
    staff_id: i64,
) -> Result<Vec<StaffRole>, DbErr> {
    let role_ids: Vec<i64> = member_role::Entity::find()
        .filter(member_role::Column::StaffId.eq(staff_id))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.role_id)
        .collect();
    let roles = staff_role::Entity::find()
        .filter(staff_role::Column::Id.is_in(role_ids))
        .order_by_asc(staff_role::Column::Code)
        .all(db)
        .await?;
    roles_with_permissions(db, roles).await
}

/// Activates or deactivates a staff member; `false` when there is no such member.
pub async fn set_staff_active(
    db: &impl ConnectionTrait,
    id: i64,
    active: bool,
) -> Result<bool, DbErr> {
    let result = staff_member::Entity::update_many()
        .col_expr(staff_member::Column::Active, Expr::value(active))
        .filter(staff_member::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn set_staff_password_hash(
    db: &impl ConnectionTrait,
    id: i64,
    password_hash: &str,
) -> Result<(), DbErr> {
    staff_member::Entity::update_many()
        .col_expr(
            staff_member::Column::PasswordHash,
            Expr::value(password_hash),
        )
        .filter(staff_member::Column::Id.eq(id))
        .exec(db)
        .await
        .map(drop)
}
