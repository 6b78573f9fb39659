//! The webhooks tables: endpoints, the events sent (body stored once), deliveries and their
//! attempts. Only this module knows them. SQL is written once with `?` placeholders and
//! numbered for PostgreSQL; times are Unix microseconds.

mod deliveries;
mod endpoints;

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

pub use deliveries::{
    Claimed, Next, Outcome, attempts_of, claim_due, deliveries_page, delivery, fan_in, prune,
    record, replay, replay_since, subscribed,
};
pub use endpoints::{
    delete_endpoint, endpoint, endpoints, insert_endpoint, rotate_secret, set_enabled,
    update_endpoint,
};

/// A statement from SQL written with `?` placeholders (no literal `?` in the text).
fn sql(conn: &impl ConnectionTrait, text: &str, values: Vec<Value>) -> Statement {
    let backend = conn.get_database_backend();
    let text = if backend == DbBackend::Postgres {
        let mut numbered = String::with_capacity(text.len() + 16);
        for (index, part) in text.split('?').enumerate() {
            if index > 0 {
                numbered.push('$');
                numbered.push_str(&index.to_string());
            }
            numbered.push_str(part);
        }
        numbered
    } else {
        text.to_owned()
    };
    Statement::from_sql_and_values(backend, text, values)
}

/// `?, ?, ?` for `count` values.
fn placeholders(count: usize) -> String {
    vec!["?"; count].join(", ")
}
