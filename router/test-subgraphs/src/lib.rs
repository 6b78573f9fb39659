//! Subgraphs for the router's conformance tests (one module per supergraph fixture in
//! `router/tests/fixtures`), its benches and the gateway benchmark (`products`).

pub mod abstract_types;
pub mod auth;
pub mod keys;
pub mod live;
pub mod overrides;
pub mod products;
pub mod values;
