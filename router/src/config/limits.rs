//! Operation limits: the largest document the router parses, validates and plans. The checks
//! themselves live with the request path (`pipeline/limits.rs`).

use serde::{Deserialize, Serialize};

/// The largest operation the router handles. A limit of 0 switches that check off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OperationLimits {
    /// Nesting of selections in an operation (`{ a { b } }` is 2).
    pub max_depth: u64,
    /// Aliased fields of an operation, counted once per use of the fragment they are in.
    pub max_aliases: u64,
    /// Fields selected on an operation's root type.
    pub max_root_fields: u64,
    /// Lexical tokens of the document (names, punctuators, values; not commas or comments).
    pub max_tokens: u64,
    /// Fields of the whole document once every fragment spread is expanded: the operations'
    /// and each fragment definition's, as validation visits them.
    pub max_expanded_fields: u64,
    /// Fragment definitions in the document.
    pub max_fragments: u64,
    /// Directives on any one field, fragment or operation.
    pub max_directives: u64,
    /// Arguments of any one field or directive.
    pub max_arguments: u64,
}

impl Default for OperationLimits {
    fn default() -> Self {
        // Far above what storefronts, dashboards and introspection send (the largest committed
        // operation and GraphiQL's introspection query are well inside each), low enough that
        // one request's validation and planning stay in the milliseconds.
        Self {
            max_depth: 32,
            max_aliases: 128,
            max_root_fields: 64,
            max_tokens: 15_000,
            max_expanded_fields: 4_000,
            max_fragments: 1_000,
            max_directives: 16,
            max_arguments: 64,
        }
    }
}
