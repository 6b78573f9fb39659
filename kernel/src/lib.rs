//! Domain-free building blocks shared by every subgraph. Holds no domain entity and depends on
//! no subgraph: money, opaque ids, Relay pagination, error codes, config, database, cache,
//! telemetry and the HTTP server.

pub mod auth;
pub mod cache;
pub mod config;
pub mod db;
pub mod entities;
pub mod error;
pub mod id;
pub mod money;
pub mod pagination;
pub mod server;
pub mod telemetry;
pub mod viewer;

pub use error::{ClientResultExt, ErrorCode, GraphqlResultExt, KernelError};
pub use id::GlobalId;
pub use money::{Currency, Money, MoneyError};
