//! Integration tests of the payments subgraph, on SQLite and PostgreSQL.

mod access;
mod authorize;
mod concurrency;
mod dashboard;
mod demo;
mod events;
mod http;
mod internal;
mod migrations;
mod movements;
mod orders;
mod provider;
mod references;
mod sdl;
mod search;
mod support;
mod webhooks;
