//! Kernel integration tests: a small subgraph built on the kernel's skeleton, driven over HTTP,
//! the event backbone on real databases, external identity providers and token revocation.

mod events;
mod identity;
mod internal;
mod limits;
mod revocation;
