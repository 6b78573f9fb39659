//! http_spec tests.
