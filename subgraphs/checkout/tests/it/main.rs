//! Integration tests of the checkout subgraph, on SQLite and PostgreSQL, against real catalog,
//! inventory, pricing and customers subgraphs.

mod carts;
mod checkout;
mod documents;
mod migrations;
mod sdl;
mod shipping;
mod support;
