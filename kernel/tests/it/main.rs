//! Kernel integration tests: a small subgraph built on the kernel's skeleton, driven over HTTP,
//! and the event backbone on real databases.

mod events;
mod internal;
mod limits;
