//! Whole-graph tests: the real subgraphs behind the real router, on SQLite and PostgreSQL;
//! and the binary started from its documented environment.

mod analytics;
mod apps;
mod cart_cost;
mod checkout_saga;
mod demo;
mod environment;
mod events;
mod graph;
mod metrics;
mod orders_money;
mod oversell;
mod payments;
mod purchase_flow;
mod router_cache;
mod scale_out;
mod subscriptions;
mod traces;
mod webhooks;
mod whole_graph;
