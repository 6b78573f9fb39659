//! graphql tests.
