//! Integration tests of the pricing subgraph on real SQLite and PostgreSQL databases.

mod support;

mod cache;
mod cart;
mod coupons;
mod demo;
mod entities;
mod events;
mod sdl;
mod staff;
