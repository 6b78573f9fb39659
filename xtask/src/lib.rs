//! Schema chores: the committed subgraph SDLs composed into the committed supergraph, and the
//! API schema's changes against a base commit.

pub mod compose;
pub mod schema_diff;
