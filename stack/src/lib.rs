//! commerce-stack (being built).
