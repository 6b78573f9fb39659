//! Domain-free building blocks shared by every subgraph. Holds no domain entity and depends on
//! no subgraph: money, opaque ids, Relay pagination, error codes, config, database, cache,
//! telemetry, the HTTP server, domain events (outbox, relay, consumers) and the skeleton every
//! subgraph is built on.

pub mod auth;
pub mod cache;
pub mod config;
pub mod db;
pub mod entities;
pub mod error;
pub mod events;
pub mod id;
pub mod idempotency;
pub mod internal;
pub mod mail;
pub mod money;
pub mod pagination;
pub mod projection;
pub mod read_pipeline;
pub mod server;
pub mod subgraph;
pub mod telemetry;
pub mod viewer;

/// Redis connected on first use (the router uses the same crate).
pub use commerce_redis_link as redis_link;

pub use error::{
    ClientResultExt, DomainError, ErrorCode, GraphqlResultExt, KernelError, ValidationError,
};
pub use id::GlobalId;
pub use money::{Currency, Money, MoneyError};
