//! overrides tests.
