//! Integration tests of the reviews subgraph, on SQLite and PostgreSQL.

mod aggregate;
mod batching;
mod cache;
mod cache_events;
mod demo;
mod events;
mod graphql;
mod http;
mod metrics;
mod migrations;
mod redis_down;
mod sdl;
mod served;
mod submissions;
mod support;
