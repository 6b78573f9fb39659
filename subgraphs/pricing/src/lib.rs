//! commerce-pricing (being built).
