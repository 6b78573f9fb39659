//! Integration tests of the pricing subgraph, on SQLite and PostgreSQL.

mod sdl;
