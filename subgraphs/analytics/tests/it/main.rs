//! The analytics subgraph's integration tests: one binary, each scenario on SQLite and
//! PostgreSQL.

mod access;
mod consumers;
mod feeding;
mod scale;
mod sdl;
mod support;
