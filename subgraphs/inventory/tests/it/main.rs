//! Integration tests of the inventory subgraph on real SQLite and PostgreSQL databases.

mod support;

mod access;
mod alerts;
mod cache;

mod demo;
mod events;
mod graphql;
mod http;
mod migrations;
mod n_plus_one;
mod reservations;
mod returns;
mod sdl;
mod stock;
