//! commerce-catalog (being built).
