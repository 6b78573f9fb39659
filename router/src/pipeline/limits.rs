//! Operation limits, checked before planning: selection depth, aliases and root fields of the
//! operation with its fragments expanded (what would be executed). Each fragment is measured
//! once, so a document of fragments that spread each other many times costs linear time.

use std::collections::HashMap;

use graphql_tools::parser::query::{self as q, Selection};
use serde::Deserialize;

use super::Fragments;
use crate::error::{GraphQLError, codes};

/// The largest operation the router plans. A limit of 0 switches that check off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OperationLimits {
    /// Nesting of selections (`{ a { b } }` is 2).
    pub max_depth: u64,
    /// Aliased fields, counted once per use of the fragment they are in.
    pub max_aliases: u64,
    /// Fields selected on the root type.
    pub max_root_fields: u64,
}

impl Default for OperationLimits {
    fn default() -> Self {
        // Far above what storefronts, dashboards and introspection send; low enough that one
        // request cannot fan out into thousands of subgraph fields by aliasing.
        Self {
            max_depth: 32,
            max_aliases: 128,
            max_root_fields: 64,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Measure {
    depth: u64,
    aliases: u64,
    fields: u64,
}

impl OperationLimits {
    /// The limit errors for an operation (empty when it is within every limit).
    pub fn check(
        &self,
        selection_set: &q::SelectionSet<'static, String>,
        fragments: &Fragments<'_>,
    ) -> Vec<GraphQLError> {
        let measure = Measurer {
            fragments,
            memo: HashMap::new(),
        }
        .selection_set(selection_set);
        let checks = [
            (
                measure.depth,
                self.max_depth,
                "depth",
                codes::MAX_DEPTH_EXCEEDED,
            ),
            (
                measure.aliases,
                self.max_aliases,
                "aliases",
                codes::MAX_ALIASES_EXCEEDED,
            ),
            (
                measure.fields,
                self.max_root_fields,
                "root fields",
                codes::MAX_ROOT_FIELDS_EXCEEDED,
            ),
        ];
        checks
            .into_iter()
            .filter(|(value, limit, _, _)| *limit > 0 && value > limit)
            .map(|(value, limit, what, code)| {
                GraphQLError::with_code(
                    format!("The operation has {value} {what}; the limit is {limit}"),
                    code,
                )
            })
            .collect()
    }
}

struct Measurer<'f, 'd> {
    fragments: &'f Fragments<'d>,
    memo: HashMap<&'d str, Measure>,
}

impl<'d> Measurer<'_, 'd> {
    fn selection_set(&mut self, set: &'d q::SelectionSet<'static, String>) -> Measure {
        let mut total = Measure::default();
        for selection in &set.items {
            let part = match selection {
                Selection::Field(field) => {
                    let inner = self.selection_set(&field.selection_set);
                    Measure {
                        depth: 1 + inner.depth,
                        aliases: u64::from(field.alias.is_some()).saturating_add(inner.aliases),
                        fields: 1,
                    }
                }
                Selection::InlineFragment(inline) => self.selection_set(&inline.selection_set),
                Selection::FragmentSpread(spread) => self.fragment(&spread.fragment_name),
            };
            total.depth = total.depth.max(part.depth);
            total.aliases = total.aliases.saturating_add(part.aliases);
            total.fields = total.fields.saturating_add(part.fields);
        }
        total
    }

    fn fragment(&mut self, name: &str) -> Measure {
        if let Some(measure) = self.memo.get(name) {
            return *measure;
        }
        let Some((&key, fragment)) = self.fragments.get_key_value(name) else {
            return Measure::default();
        };
        // Validation rejected cycles; the placeholder only guards against looping regardless.
        self.memo.insert(key, Measure::default());
        let measure = self.selection_set(&fragment.selection_set);
        self.memo.insert(key, measure);
        measure
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(limits: OperationLimits, query: &str) -> Vec<String> {
        let document = graphql_tools::parser::parse_query::<String>(query)
            .expect("query")
            .into_static();
        let fragments = super::super::fragments(&document);
        let set = document
            .definitions
            .iter()
            .find_map(|d| match d {
                q::Definition::Operation(q::OperationDefinition::SelectionSet(set)) => Some(set),
                _ => None,
            })
            .expect("an anonymous query");
        limits
            .check(set, &fragments)
            .into_iter()
            .map(|e| e.message)
            .collect()
    }

    const LIMITS: OperationLimits = OperationLimits {
        max_depth: 3,
        max_aliases: 2,
        max_root_fields: 2,
    };

    #[test]
    fn measures_depth_through_fragments() {
        assert!(errors(LIMITS, "{ a { b { c } } }").is_empty());
        assert_eq!(
            errors(
                LIMITS,
                "{ a { ...F } } fragment F on T { b { ... on T { c { d } } } }"
            ),
            ["The operation has 4 depth; the limit is 3"]
        );
    }

    #[test]
    fn counts_aliases_per_use_of_a_fragment() {
        assert!(errors(LIMITS, "{ x: a y: a }").is_empty());
        assert_eq!(
            errors(LIMITS, "{ a { ...F } b { ...F } } fragment F on T { x: c }"),
            Vec::<String>::new()
        );
        assert_eq!(
            errors(
                LIMITS,
                "{ a { ...F } b { ...F } c { ...F } } fragment F on T { x: c }"
            ),
            [
                "The operation has 3 aliases; the limit is 2",
                "The operation has 3 root fields; the limit is 2"
            ]
        );
    }

    #[test]
    fn measures_exponentially_spreading_fragments_in_linear_time() {
        let mut query = String::from("{ ...F0 }");
        for i in 0..60 {
            query.push_str(&format!(
                " fragment F{i} on Q {{ a: f ...F{next} ...F{next} }}",
                next = i + 1
            ));
        }
        query.push_str(" fragment F60 on Q { a: f }");
        let found = errors(OperationLimits::default(), &query);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("aliases"), "{found:?}");
    }

    #[test]
    fn a_zero_limit_is_off() {
        let off = OperationLimits {
            max_depth: 0,
            max_aliases: 0,
            max_root_fields: 0,
        };
        assert!(errors(off, "{ x: a { b { c { d { e } } } } y: a z: a }").is_empty());
    }
}
