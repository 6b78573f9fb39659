//! commerce-inventory (being built).
