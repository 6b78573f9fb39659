//! Kernel integration tests: a small subgraph built on the kernel's skeleton, driven over HTTP,
//! write transactions on SQLite, the event backbone on real databases, external identity
//! providers and token revocation.

mod db;
mod events;
mod identity;
mod internal;
mod limits;
mod read_pipeline;
mod revocation;
