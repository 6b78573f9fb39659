//! n_plus_one tests.
