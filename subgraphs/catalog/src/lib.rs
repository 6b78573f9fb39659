//! The catalog subgraph (being built).
pub mod domain;
pub mod store;
