//! What one operation may cost a subgraph: async-graphql's own depth, complexity, recursion and
//! directive limits, and, checked first, the number of fragments and of selections after
//! fragment expansion.
//!
//! async-graphql's recursion and directive checks and its complexity and depth visitors all
//! walk the document with every fragment spread expanded, so a fragment bomb (30 fragments,
//! each spreading the one before twice) costs them 2^30 steps. The expanded size is counted
//! here before any of them runs, each fragment measured once, in time linear in the document.
//! Every refusal carries a stable `extensions.code` from [`codes`].

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{
    ErrorExtensionValues, ObjectType, SchemaBuilder, ServerError, ServerResult, SubscriptionType,
};

/// The `extensions.code` of each refusal. Clients may match on them.
pub mod codes {
    /// More fields nested than [`Limits::depth`](super::Limits::depth), or selection sets
    /// (fragments included) nested deeper than [`Limits::recursive_depth`](super::Limits::recursive_depth).
    pub const MAX_DEPTH_EXCEEDED: &str = "MAX_DEPTH_EXCEEDED";
    pub const MAX_COMPLEXITY_EXCEEDED: &str = "MAX_COMPLEXITY_EXCEEDED";
    pub const MAX_DIRECTIVES_EXCEEDED: &str = "MAX_DIRECTIVES_EXCEEDED";
    pub const MAX_FRAGMENTS_EXCEEDED: &str = "MAX_FRAGMENTS_EXCEEDED";
    pub const MAX_EXPANDED_FIELDS_EXCEEDED: &str = "MAX_EXPANDED_FIELDS_EXCEEDED";
}

/// Bounds on one operation. The defaults let every operation of the storefront, the
/// dashboard, the router's entity fetches and GraphiQL's introspection query through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Fields nested in fields: `_entities { reviews { edges { node { product { ... } } } } }`
    /// and product → variants → product → category → ancestors need up to 16.
    pub depth: usize,
    /// Fields after fragment expansion (no list multipliers: page sizes are bounded apart).
    pub complexity: usize,
    /// Selection sets nested, fragments and inline fragments included (introspection's
    /// `ofType` chain needs about 20).
    pub recursive_depth: usize,
    /// Directives on one field (`@include`, `@skip`).
    pub directives_per_field: usize,
    /// Fragment definitions in one document.
    pub fragments: usize,
    /// Fields, fragment spreads and inline fragments after fragment expansion, over every
    /// operation of the document (validation visits them all).
    pub selections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            depth: 16,
            complexity: 5_000,
            recursive_depth: 32,
            directives_per_field: 8,
            fragments: 100,
            selections: 10_000,
        }
    }
}

impl Limits {
    /// Sets the limits on `builder`, and keeps them in its data for the kernel's executor,
    /// which checks the document first ([`Limits::check`]) and gives every refusal its code
    /// ([`with_code`]).
    pub fn apply<Q, M, S>(self, builder: SchemaBuilder<Q, M, S>) -> SchemaBuilder<Q, M, S>
    where
        Q: ObjectType + 'static,
        M: ObjectType + 'static,
        S: SubscriptionType + 'static,
    {
        builder
            .limit_depth(self.depth)
            .limit_complexity(self.complexity)
            .limit_recursive_depth(self.recursive_depth)
            .limit_directives(self.directives_per_field)
            .data(self)
    }

    /// Refuses documents over [`Limits::fragments`] or [`Limits::selections`], before
    /// async-graphql's own checks walk them with every fragment expanded.
    pub fn check(&self, document: &ExecutableDocument) -> ServerResult<()> {
        if document.fragments.len() > self.fragments {
            return Err(refusal(
                codes::MAX_FRAGMENTS_EXCEEDED,
                format!(
                    "The document defines {} fragments; at most {} are allowed",
                    document.fragments.len(),
                    self.fragments
                ),
            ));
        }
        let selections = expanded_selections(document);
        if selections > self.selections as u64 {
            return Err(refusal(
                codes::MAX_EXPANDED_FIELDS_EXCEEDED,
                format!(
                    "The operation selects more than {} fields once its fragments are expanded",
                    self.selections
                ),
            ));
        }
        Ok(())
    }
}

fn refusal(code: &str, message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    with_extension_code(&mut error, code);
    error
}

fn with_extension_code(error: &mut ServerError, code: &str) {
    error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default)
        .set("code", code);
}

/// async-graphql's limit errors have no code; their messages are matched here (a kernel test
/// refuses each limit and checks the code, so a changed message fails that test).
pub fn with_code(error: &mut ServerError) {
    let message = error.message.as_str();
    let code = if message == "Query is nested too deep."
        || message.starts_with("The recursion depth of the query cannot be greater than")
    {
        codes::MAX_DEPTH_EXCEEDED
    } else if message == "Query is too complex." {
        codes::MAX_COMPLEXITY_EXCEEDED
    } else if message.starts_with("The number of directives on the field") {
        codes::MAX_DIRECTIVES_EXCEEDED
    } else {
        return;
    };
    with_extension_code(error, code);
}

/// Fields, fragment spreads and inline fragments of every operation with fragments expanded,
/// counted with each fragment measured once (saturating, so a bomb is just "very many").
fn expanded_selections(document: &ExecutableDocument) -> u64 {
    let mut sizes = FragmentSizes {
        document,
        sizes: HashMap::new(),
    };
    document
        .operations
        .iter()
        .map(|(_, operation)| sizes.selection_set(&operation.node.selection_set.node))
        .fold(0, u64::saturating_add)
}

struct FragmentSizes<'a> {
    document: &'a ExecutableDocument,
    /// `None` while a fragment is being measured: a spread of it then is a cycle, which
    /// validation refuses, so it counts nothing here.
    sizes: HashMap<&'a str, Option<u64>>,
}

impl<'a> FragmentSizes<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet) -> u64 {
        set.items
            .iter()
            .map(|selection| {
                let below = match &selection.node {
                    Selection::Field(field) => self.selection_set(&field.node.selection_set.node),
                    Selection::InlineFragment(inline) => {
                        self.selection_set(&inline.node.selection_set.node)
                    }
                    Selection::FragmentSpread(spread) => {
                        self.fragment(spread.node.fragment_name.node.as_str())
                    }
                };
                below.saturating_add(1)
            })
            .fold(0, u64::saturating_add)
    }

    fn fragment(&mut self, name: &'a str) -> u64 {
        if let Some(size) = self.sizes.get(name) {
            return size.unwrap_or(0);
        }
        // An unknown fragment counts nothing; validation refuses it.
        let Some(definition) = self.document.fragments.get(name) else {
            return 0;
        };
        self.sizes.insert(name, None);
        let size = self.selection_set(&definition.node.selection_set.node);
        self.sizes.insert(name, Some(size));
        size
    }
}

/// `{ node { ...F<levels-1> } }` where each fragment spreads the one below it twice: 2^levels
/// `id` fields once expanded, from a document of `levels` lines.
#[cfg(test)]
pub(super) fn fragment_bomb(levels: usize) -> String {
    let mut query = String::from("fragment F0 on Node { id }\n");
    for level in 1..levels {
        let previous = level - 1;
        query.push_str(&format!(
            "fragment F{level} on Node {{ ...F{previous} ...F{previous} }}\n"
        ));
    }
    query.push_str(&format!("{{ node {{ ...F{} }} }}", levels - 1));
    query
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selections(query: &str) -> u64 {
        expanded_selections(&async_graphql::parser::parse_query(query).expect("parses"))
    }

    #[test]
    fn counts_each_spread_as_its_fragment_expanded() {
        assert_eq!(selections("{ a b { c } }"), 3);
        // Each spread: 1 for the spread plus the fragment's 2 fields.
        assert_eq!(
            selections("{ b { ...F ...F } } fragment F on B { c d }"),
            1 + 2 * (1 + 2)
        );
        assert_eq!(selections("{ b { ... on B { c } } }"), 3);
    }

    #[test]
    fn measures_a_fragment_bomb_without_expanding_it() {
        assert_eq!(selections(&fragment_bomb(64)), u64::MAX);
    }

    #[test]
    fn counts_nothing_for_fragment_cycles_and_unknown_fragments() {
        let query =
            "{ a { ...A ...Missing } } fragment A on T { b ...B } fragment B on T { c ...A }";
        // a, the two spreads, b, the spread of B, c, and the spread of A inside B.
        assert_eq!(selections(query), 7);
    }
}
