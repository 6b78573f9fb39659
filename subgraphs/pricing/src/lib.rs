//! The pricing subgraph: prices per variant and currency, B2B price lists with volume tiers,
//! catalogue and order promotions, coupons, taxes, and the pure cart pricing function.

pub mod domain;
pub mod service;
pub mod store;
