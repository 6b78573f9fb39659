//! Schema composition: the committed subgraph SDLs in, the committed supergraph out.

pub mod compose;
