//! Persistence: the only module that knows the payments tables. SQL is written once with `?`
//! placeholders for both backends; every function takes any connection or transaction, so the
//! service decides the boundaries.

pub mod idempotency;
pub mod intents;
pub mod ledger;
pub mod references;
pub mod webhook_events;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

/// Builds a statement from SQL written with `?` placeholders, numbered for PostgreSQL.
fn statement(conn: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    let backend = conn.get_database_backend();
    Statement::from_sql_and_values(backend, number_placeholders(backend, sql), values)
}

/// PostgreSQL wants `$1, $2, ...`; our SQL never holds a literal `?`, so a rewrite is safe.
fn number_placeholders(backend: DbBackend, sql: &str) -> String {
    if backend != DbBackend::Postgres {
        return sql.to_owned();
    }
    let mut numbered = String::with_capacity(sql.len() + 16);
    for (index, part) in sql.split('?').enumerate() {
        if index > 0 {
            numbered.push('$');
            numbered.push_str(&index.to_string());
        }
        numbered.push_str(part);
    }
    numbered
}

/// `?, ?, ?` for an `IN (...)` list of `count` values.
fn placeholders(count: usize) -> String {
    vec!["?"; count].join(", ")
}

/// Times are stored as Unix milliseconds (see the migration for why).
pub fn to_millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

pub fn from_millis(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_placeholders_for_postgres_only() {
        let sql = "a = ? AND b IN (?, ?)";
        assert_eq!(
            number_placeholders(DbBackend::Postgres, sql),
            "a = $1 AND b IN ($2, $3)"
        );
        assert_eq!(number_placeholders(DbBackend::Sqlite, sql), sql);
        assert_eq!(placeholders(3), "?, ?, ?");
    }
}
