//! The router's conformance suite: async-graphql subgraphs on port-0 listeners, one
//! hand-written supergraph per federation feature, responses checked with insta snapshots.

mod cost;
mod harness;
// The subgraphs are a crate of their own so benches and examples use them too; the alias keeps
// `crate::subgraphs::...` paths.
use commerce_router_test_subgraphs as subgraphs;

mod abstract_types;
mod authorization;
mod batching;
mod committed_supergraph;
mod dedupe;
mod defer;
mod demand_control;
mod entities;
mod entity_cache;
mod errors;
mod hostile;
mod http_spec;
mod identity;
mod inaccessible;
mod introspection;
mod keys;
mod nested_entities;
mod overrides;
mod persisted_queries;
mod rate_limits;
mod reload;
mod response_cache;
mod scheduling;
mod subscriptions;
mod telemetry;
mod tls;
mod traffic;
mod transport;
mod values;
