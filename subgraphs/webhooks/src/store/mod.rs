//! The webhooks tables: endpoints, the events sent (body stored once), deliveries and their
//! attempts. Only this module knows them. SQL is written once with `?` placeholders and
//! numbered for PostgreSQL; times are Unix microseconds.

mod deliveries;
mod endpoints;

pub use deliveries::{
    Claimed, Next, Outcome, attempts_of, claim_due, deliveries_page, delivery, fan_in, prune,
    record, replay, replay_since, subscribed,
};
pub use endpoints::{
    delete_endpoint, endpoint, endpoints, insert_endpoint, rotate_secret, set_enabled,
    update_endpoint,
};
