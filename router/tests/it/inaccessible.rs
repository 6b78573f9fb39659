//! inaccessible tests.
