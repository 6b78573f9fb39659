//! Integration tests of the orders subgraph, on SQLite and PostgreSQL.

mod access;
mod concurrency;
mod events;
mod lifecycle;
mod mail;
mod payments;
mod placing;
mod sdl;
mod search;
mod support;
