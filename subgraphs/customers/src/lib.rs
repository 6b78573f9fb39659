//! commerce-customers (being built).
