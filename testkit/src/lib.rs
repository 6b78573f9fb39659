//! commerce-testkit (being built).
