//! reservations tests.
