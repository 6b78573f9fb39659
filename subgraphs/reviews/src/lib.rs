//! commerce-reviews (being built).
