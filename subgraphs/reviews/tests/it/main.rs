//! Integration tests of the reviews subgraph, on SQLite and PostgreSQL.

mod aggregate;
mod batching;
mod cache;
mod cache_events;
mod demo;
mod events;
mod graphql;
mod http;
mod migrations;
mod sdl;
mod submissions;
mod support;
