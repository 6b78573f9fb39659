//! values subgraphs.
