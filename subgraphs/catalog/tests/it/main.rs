//! Integration tests of the catalog, on SQLite and on a real PostgreSQL.

mod support;

mod access;
mod entities;
mod errors;
mod events;
mod import;
mod listing;
mod mutations;
mod projection;
mod sdl;
mod seed;
mod variant_list;
