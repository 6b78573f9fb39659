//! Customer groups and their members.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use super::entities::{group, group_member};
use super::nothing_inserted;
use crate::domain::{CustomerGroup, GroupCode};

impl From<group::Model> for CustomerGroup {
    fn from(row: group::Model) -> Self {
        Self {
            id: row.id,
            code: row.code,
            name: row.name,
        }
    }
}

/// Creates a group; `None` when the code is taken.
pub async fn insert_group(
    db: &impl ConnectionTrait,
    code: &GroupCode,
    name: &str,
) -> Result<Option<CustomerGroup>, DbErr> {
    let row = group::ActiveModel {
        code: Set(code.as_str().to_owned()),
        name: Set(name.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    let result = group::Entity::insert(row)
        .on_conflict(
            OnConflict::column(group::Column::Code)
                .do_nothing()
                .to_owned(),
        )
        .exec(db)
        .await;
    Ok(nothing_inserted(result)?.map(|inserted| CustomerGroup {
        id: inserted.last_insert_id,
        code: code.as_str().to_owned(),
        name: name.to_owned(),
    }))
}

pub async fn find_group(
    db: &impl ConnectionTrait,
    code: &GroupCode,
) -> Result<Option<CustomerGroup>, DbErr> {
    let row = group::Entity::find()
        .filter(group::Column::Code.eq(code.as_str()))
        .one(db)
        .await?;
    Ok(row.map(Into::into))
}

pub async fn all_groups(db: &impl ConnectionTrait) -> Result<Vec<CustomerGroup>, DbErr> {
    let rows = group::Entity::find()
        .order_by_asc(group::Column::Code)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Adds the customer to the group; adding twice is a no-op.
pub async fn add_group_member(
    db: &impl ConnectionTrait,
    customer_id: i64,
    group_id: i64,
) -> Result<(), DbErr> {
    let row = group_member::ActiveModel {
        customer_id: Set(customer_id),
        group_id: Set(group_id),
    };
    let result = group_member::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                group_member::Column::CustomerId,
                group_member::Column::GroupId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await;
    nothing_inserted(result).map(drop)
}

pub async fn remove_group_member(
    db: &impl ConnectionTrait,
    customer_id: i64,
    group_id: i64,
) -> Result<(), DbErr> {
    group_member::Entity::delete_many()
        .filter(group_member::Column::CustomerId.eq(customer_id))
        .filter(group_member::Column::GroupId.eq(group_id))
        .exec(db)
        .await
        .map(drop)
}

/// The groups of each of `customer_ids`, ordered by code, in two queries for any number.
pub async fn groups_of(
    db: &impl ConnectionTrait,
    customer_ids: &[i64],
) -> Result<HashMap<i64, Vec<CustomerGroup>>, DbErr> {
    let members = group_member::Entity::find()
        .filter(group_member::Column::CustomerId.is_in(customer_ids.iter().copied()))
        .all(db)
        .await?;
    if members.is_empty() {
        return Ok(HashMap::new());
    }
    let groups: HashMap<i64, CustomerGroup> = group::Entity::find()
        .filter(group::Column::Id.is_in(members.iter().map(|m| m.group_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, CustomerGroup::from(row)))
        .collect();
    let mut by_customer: HashMap<i64, Vec<CustomerGroup>> = HashMap::new();
    for member in members {
        if let Some(group) = groups.get(&member.group_id) {
            by_customer
                .entry(member.customer_id)
                .or_default()
                .push(group.clone());
        }
    }
    for list in by_customer.values_mut() {
        list.sort_by(|a, b| a.code.cmp(&b.code));
    }
    Ok(by_customer)
}
