//! values tests.
