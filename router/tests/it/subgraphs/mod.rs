//! Subgraphs used by the conformance tests (one module per supergraph fixture).

pub mod abstract_types;
pub mod auth;
pub mod keys;
pub mod overrides;
pub mod products;
pub mod values;
