//! Integration tests of the webhooks subgraph, on SQLite and PostgreSQL (with Redis), against
//! a real HTTP receiver.

mod api;
mod delivery;
mod receiver;
mod sdl;
mod support;
