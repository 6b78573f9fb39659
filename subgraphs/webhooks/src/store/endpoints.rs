//! Endpoint rows.

use sea_orm::{ConnectionTrait, DbErr, QueryResult, Value};

use crate::domain::{Endpoint, EndpointInput, EndpointPatch, EventTypes, Secret};
use commerce_kernel::db::statement;

const COLUMNS: &str = "id, url, description, event_types, secret, previous_secret, \
    previous_secret_expires_at, enabled, disabled_reason, disabled_at, consecutive_failures, \
    created_at, updated_at";

pub(super) fn endpoint_from_row(row: &QueryResult) -> Result<Endpoint, DbErr> {
    let types: String = row.try_get("", "event_types")?;
    let types: Vec<String> = serde_json::from_str(&types)
        .map_err(|error| DbErr::Custom(format!("stored event types are unreadable: {error}")))?;
    let secret =
        |value: String| Secret::parse(&value).map_err(|error| DbErr::Custom(error.to_string()));
    let previous: Option<String> = row.try_get("", "previous_secret")?;
    let previous_expires: Option<i64> = row.try_get("", "previous_secret_expires_at")?;
    let previous_secret = match (previous, previous_expires) {
        (Some(previous), Some(expires_at)) => Some((secret(previous)?, expires_at)),
        _ => None,
    };
    Ok(Endpoint {
        id: row.try_get("", "id")?,
        url: row.try_get("", "url")?,
        description: row.try_get("", "description")?,
        event_types: EventTypes::stored(types),
        secret: secret(row.try_get("", "secret")?)?,
        previous_secret,
        enabled: row.try_get("", "enabled")?,
        disabled_reason: row.try_get("", "disabled_reason")?,
        disabled_at: row.try_get("", "disabled_at")?,
        consecutive_failures: row.try_get("", "consecutive_failures")?,
        created_at: row.try_get("", "created_at")?,
        updated_at: row.try_get("", "updated_at")?,
    })
}

fn types_json(types: &EventTypes) -> String {
    serde_json::to_string(types.as_slice()).expect("strings serialize")
}

pub async fn insert_endpoint(
    db: &impl ConnectionTrait,
    input: &EndpointInput,
    secret: &Secret,
    now: i64,
) -> Result<Endpoint, DbErr> {
    let row = db
        .query_one(statement(
            db,
            &format!(
                "INSERT INTO webhook_endpoints (url, description, event_types, secret, enabled, \
                 consecutive_failures, dead_in_run, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?) RETURNING {COLUMNS}"
            ),
            vec![
                input.url.clone().into(),
                input.description.clone().into(),
                types_json(&input.event_types).into(),
                secret.encoded().into(),
                true.into(),
                false.into(),
                now.into(),
                now.into(),
            ],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("the insert returned no endpoint".to_owned()))?;
    endpoint_from_row(&row)
}

/// Every endpoint, oldest first.
pub async fn endpoints(db: &impl ConnectionTrait) -> Result<Vec<Endpoint>, DbErr> {
    db.query_all(statement(
        db,
        &format!("SELECT {COLUMNS} FROM webhook_endpoints ORDER BY id"),
        Vec::new(),
    ))
    .await?
    .iter()
    .map(endpoint_from_row)
    .collect()
}

pub async fn endpoint(db: &impl ConnectionTrait, id: i64) -> Result<Option<Endpoint>, DbErr> {
    db.query_one(statement(
        db,
        &format!("SELECT {COLUMNS} FROM webhook_endpoints WHERE id = ?"),
        vec![id.into()],
    ))
    .await?
    .as_ref()
    .map(endpoint_from_row)
    .transpose()
}

/// Applies `patch`; `None` when there is no such endpoint.
pub async fn update_endpoint(
    db: &impl ConnectionTrait,
    id: i64,
    patch: &EndpointPatch,
    now: i64,
) -> Result<Option<Endpoint>, DbErr> {
    let types = patch.event_types.as_ref().map(types_json);
    returning_one(
        db,
        "UPDATE webhook_endpoints SET url = COALESCE(?, url), \
         description = COALESCE(?, description), event_types = COALESCE(?, event_types), \
         updated_at = ? WHERE id = ?",
        vec![
            patch.url.clone().into(),
            patch.description.clone().into(),
            types.into(),
            now.into(),
            id.into(),
        ],
    )
    .await
}

/// Makes `secret` the signing secret; the one it replaces keeps signing until `expires_at`.
pub async fn rotate_secret(
    db: &impl ConnectionTrait,
    id: i64,
    secret: &Secret,
    expires_at: i64,
    now: i64,
) -> Result<Option<Endpoint>, DbErr> {
    // In an UPDATE, `secret` on the right-hand side is the value before the statement.
    returning_one(
        db,
        "UPDATE webhook_endpoints SET previous_secret = secret, \
         previous_secret_expires_at = ?, secret = ?, updated_at = ? WHERE id = ?",
        vec![
            expires_at.into(),
            secret.encoded().into(),
            now.into(),
            id.into(),
        ],
    )
    .await
}

/// Enables (clearing the reason and the failure run) or disables with `reason`.
pub async fn set_enabled(
    db: &impl ConnectionTrait,
    id: i64,
    enabled: bool,
    reason: Option<&str>,
    now: i64,
) -> Result<Option<Endpoint>, DbErr> {
    let disabled_at: Option<i64> = (!enabled).then_some(now);
    returning_one(
        db,
        "UPDATE webhook_endpoints SET enabled = ?, disabled_reason = ?, disabled_at = ?, \
         consecutive_failures = 0, failing_since = NULL, dead_in_run = ?, updated_at = ? \
         WHERE id = ?",
        vec![
            enabled.into(),
            reason.map(str::to_owned).into(),
            disabled_at.into(),
            false.into(),
            now.into(),
            id.into(),
        ],
    )
    .await
}

/// Deletes the endpoint with its deliveries and their attempts; false when there was none.
pub async fn delete_endpoint(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let deleted = db
        .execute(statement(
            db,
            "DELETE FROM webhook_endpoints WHERE id = ?",
            vec![id.into()],
        ))
        .await?;
    Ok(deleted.rows_affected() > 0)
}

async fn returning_one(
    db: &impl ConnectionTrait,
    update: &str,
    values: Vec<Value>,
) -> Result<Option<Endpoint>, DbErr> {
    db.query_one(statement(
        db,
        &format!("{update} RETURNING {COLUMNS}"),
        values,
    ))
    .await?
    .as_ref()
    .map(endpoint_from_row)
    .transpose()
}
