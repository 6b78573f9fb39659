//! Integration tests of the customers subgraph, on SQLite and PostgreSQL (and Redis for the
//! shared rate limiter), through the HTTP router so access tokens are verified for real.

mod account;
mod admin;
mod auth;
mod demo;
mod events;
mod mail;
mod rate_limit;
mod revocation;
mod rotation;
mod sdl;
mod support;
mod tokens;
