//! Kernel integration tests: a small subgraph built on the kernel's skeleton, driven over HTTP.

mod internal;
mod limits;
