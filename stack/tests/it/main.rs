//! Whole-graph tests: the real subgraphs behind the real router, on SQLite and PostgreSQL;
//! and the binary started from its documented environment.

mod checkout_saga;
mod environment;
mod orders_money;
mod payments;
mod whole_graph;
