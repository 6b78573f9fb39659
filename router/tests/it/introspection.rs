//! introspection tests.
