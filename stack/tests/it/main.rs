//! Whole-graph tests: the real subgraphs behind the real router, on SQLite and PostgreSQL.

mod whole_graph;
