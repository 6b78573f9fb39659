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
pub mod internal;
pub mod mail;
pub mod money;
pub mod pagination;
pub mod redis_link;
pub mod server;
pub mod subgraph;
pub mod telemetry;
pub mod viewer;

pub use error::{
    ClientResultExt, DomainError, ErrorCode, GraphqlResultExt, KernelError, ValidationError,
};
pub use id::GlobalId;
pub use money::{Currency, Money, MoneyError};
