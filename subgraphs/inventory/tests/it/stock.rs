//! stock tests.
