//! Operation limits, checked on the document as sent before any work that grows with its
//! expanded selection (validation, normalisation, authorization, planning, projection).
//!
//! Two passes, each linear in the document's size: [`scan`] reads the raw text (tokens and
//! nesting) before it is parsed, and [`OperationLimits::check_document`] walks the parsed
//! document once, measuring each fragment once and counting the fields it would expand to at
//! each of its spread sites without expanding it. Everything after these checks is bounded by
//! what they let through.

use std::collections::HashMap;

use graphql_tools::parser::query::{self as q, Definition, Selection};

use crate::ast::{Document, Fragments, operation_parts};
use crate::config::OperationLimits;
use crate::error::{ErrorCode, GraphQLError};

/// Deeper documents are refused before parsing: parser, validation, planner and projection
/// recurse per level, and a stack overflow would abort the whole process.
const MAX_NESTING: usize = 128;

/// What the raw text of a document measures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextMeasure {
    /// Lexical tokens; the scan stops counting at the first token past the limit.
    pub tokens: u64,
    /// The deepest `{`/`(`/`[` nesting outside strings and comments.
    pub nesting: usize,
}

/// Scans `query` once, as the lexer would, stopping at the first token past `max_tokens`
/// (0: no limit), so a huge document costs no more than its allowed prefix.
pub fn scan(query: &str, max_tokens: u64) -> TextMeasure {
    let bytes = query.as_bytes();
    let mut measure = TextMeasure::default();
    let (mut depth, mut i) = (0usize, 0usize);
    let name_byte = |b: u8| b == b'_' || b.is_ascii_alphanumeric();
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 3;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => i += 3,
            b'{' | b'(' | b'[' => {
                depth += 1;
                measure.nesting = measure.nesting.max(depth);
                i += 1;
            }
            b'}' | b')' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            // A name, or a number with its fraction and exponent: one token each.
            b if name_byte(b) || b == b'-' => {
                i += 1;
                while i < bytes.len()
                    && (name_byte(bytes[i])
                        || (bytes[i] == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
                        || ((bytes[i] == b'+' || bytes[i] == b'-')
                            && matches!(bytes[i - 1], b'e' | b'E')
                            && b.is_ascii_digit()))
                {
                    i += 1;
                }
            }
            // Other punctuators, and characters the parser will reject, count one each.
            _ => i += 1,
        }
        measure.tokens += 1;
        if max_tokens > 0 && measure.tokens > max_tokens {
            break;
        }
    }
    measure
}

impl OperationLimits {
    /// Refuses a raw document over the token or nesting limit, before it is parsed.
    pub fn check_text(&self, query: &str) -> Result<(), Box<GraphQLError>> {
        let measure = scan(query, self.max_tokens);
        if self.max_tokens > 0 && measure.tokens > self.max_tokens {
            return Err(Box::new(GraphQLError::with_code(
                format!(
                    "The document has more tokens than the limit of {}",
                    self.max_tokens
                ),
                ErrorCode::MaxTokensExceeded,
            )));
        }
        if measure.nesting > MAX_NESTING {
            return Err(Box::new(GraphQLError::with_code(
                format!("Syntax Error: the document is nested deeper than {MAX_NESTING} levels"),
                ErrorCode::ParseFailed,
            )));
        }
        Ok(())
    }

    /// The limit errors of a parsed document (empty when it is within every limit). Every
    /// operation is checked, not only the one selected: validation visits them all.
    pub fn check_document(&self, document: &Document) -> Vec<GraphQLError> {
        let mut errors = Vec::new();
        let mut exceeds = |value: u64, limit: u64, what: &str, code: ErrorCode| {
            if limit > 0 && value > limit {
                errors.push(GraphQLError::with_code(
                    format!("The operation has {value} {what}; the limit is {limit}"),
                    code,
                ));
                return true;
            }
            false
        };
        let shape = DocumentShape::of(document);
        if exceeds(
            shape.fragments,
            self.max_fragments,
            "fragments",
            ErrorCode::MaxFragmentsExceeded,
        ) | exceeds(
            shape.directives,
            self.max_directives,
            "directives on one location",
            ErrorCode::MaxDirectivesExceeded,
        ) | exceeds(
            shape.arguments,
            self.max_arguments,
            "arguments on one field or directive",
            ErrorCode::MaxArgumentsExceeded,
        ) {
            return errors;
        }
        let mut measurer = Measurer::new(document);
        let mut expanded = 0u64;
        let mut worst = Measure::default();
        for definition in &document.definitions {
            let measure = match definition {
                Definition::Operation(op) => {
                    let measure = measurer.selection_set(operation_parts(op).0);
                    worst.depth = worst.depth.max(measure.depth);
                    worst.aliases = worst.aliases.max(measure.aliases);
                    worst.fields = worst.fields.max(measure.fields);
                    measure
                }
                Definition::Fragment(f) => measurer.fragment(&f.name),
            };
            expanded = expanded.saturating_add(measure.expanded);
        }
        if exceeds(
            expanded,
            self.max_expanded_fields,
            "fields once its fragments are expanded",
            ErrorCode::MaxExpandedFieldsExceeded,
        ) {
            // The per-operation figures below are as large; one error says it all.
            return errors;
        }
        exceeds(
            worst.depth,
            self.max_depth,
            "depth",
            ErrorCode::MaxDepthExceeded,
        );
        exceeds(
            worst.aliases,
            self.max_aliases,
            "aliases",
            ErrorCode::MaxAliasesExceeded,
        );
        exceeds(
            worst.fields,
            self.max_root_fields,
            "root fields",
            ErrorCode::MaxRootFieldsExceeded,
        );
        errors
    }
}

/// Counts that do not depend on fragment expansion, from one walk over the document.
#[derive(Default)]
struct DocumentShape {
    fragments: u64,
    /// The most directives on one location.
    directives: u64,
    /// The most arguments on one field or directive.
    arguments: u64,
}

impl DocumentShape {
    fn of(document: &Document) -> Self {
        let mut shape = Self::default();
        for definition in &document.definitions {
            match definition {
                Definition::Operation(op) => {
                    shape.directives_at(operation_directives(op));
                    shape.selection_set(operation_parts(op).0);
                }
                Definition::Fragment(f) => {
                    shape.fragments += 1;
                    shape.directives_at(&f.directives);
                    shape.selection_set(&f.selection_set);
                }
            }
        }
        shape
    }

    fn directives_at(&mut self, directives: &[q::Directive<'static, String>]) {
        self.directives = self.directives.max(directives.len() as u64);
        for directive in directives {
            self.arguments = self.arguments.max(directive.arguments.len() as u64);
        }
    }

    fn selection_set(&mut self, set: &q::SelectionSet<'static, String>) {
        for selection in &set.items {
            match selection {
                Selection::Field(field) => {
                    self.arguments = self.arguments.max(field.arguments.len() as u64);
                    self.directives_at(&field.directives);
                    self.selection_set(&field.selection_set);
                }
                Selection::InlineFragment(inline) => {
                    self.directives_at(&inline.directives);
                    self.selection_set(&inline.selection_set);
                }
                Selection::FragmentSpread(spread) => self.directives_at(&spread.directives),
            }
        }
    }
}

fn operation_directives<'d>(
    op: &'d q::OperationDefinition<'static, String>,
) -> &'d [q::Directive<'static, String>] {
    match op {
        q::OperationDefinition::SelectionSet(_) => &[],
        q::OperationDefinition::Query(q) => &q.directives,
        q::OperationDefinition::Mutation(m) => &m.directives,
        q::OperationDefinition::Subscription(s) => &s.directives,
    }
}

/// What one selection set measures with its fragments expanded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Measure {
    depth: u64,
    aliases: u64,
    /// Fields at the top of the set.
    fields: u64,
    /// Fields at every level.
    expanded: u64,
}

/// Measures selection sets, each fragment once: a spread adds its fragment's memoized
/// measure, so the walk is linear in the document however often fragments spread each other.
struct Measurer<'d> {
    fragments: Fragments<'d>,
    memo: HashMap<&'d str, Measure>,
}

impl<'d> Measurer<'d> {
    fn new(document: &'d Document) -> Self {
        Self {
            fragments: crate::ast::fragments(document),
            memo: HashMap::new(),
        }
    }

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
                        expanded: 1u64.saturating_add(inner.expanded),
                    }
                }
                Selection::InlineFragment(inline) => self.selection_set(&inline.selection_set),
                Selection::FragmentSpread(spread) => self.fragment(&spread.fragment_name),
            };
            total.depth = total.depth.max(part.depth);
            total.aliases = total.aliases.saturating_add(part.aliases);
            total.fields = total.fields.saturating_add(part.fields);
            total.expanded = total.expanded.saturating_add(part.expanded);
        }
        total
    }

    fn fragment(&mut self, name: &str) -> Measure {
        if let Some(measure) = self.memo.get(name) {
            return *measure;
        }
        let Some((&key, fragment)) = self.fragments.get_key_value(name) else {
            return Measure::default(); // unknown: validation reports it
        };
        // A spread of a fragment being measured is a cycle, which validation reports; it
        // counts as empty here so that the walk ends.
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
        if let Err(error) = limits.check_text(query) {
            return vec![error.message.clone()];
        }
        let document = graphql_tools::parser::parse_query::<String>(query)
            .expect("query")
            .into_static();
        limits
            .check_document(&document)
            .into_iter()
            .map(|e| e.message)
            .collect()
    }

    const OFF: OperationLimits = OperationLimits {
        max_depth: 0,
        max_aliases: 0,
        max_root_fields: 0,
        max_tokens: 0,
        max_expanded_fields: 0,
        max_fragments: 0,
        max_directives: 0,
        max_arguments: 0,
    };

    const LIMITS: OperationLimits = OperationLimits {
        max_depth: 3,
        max_aliases: 2,
        max_root_fields: 2,
        ..OFF
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
    fn checks_every_operation_of_the_document() {
        assert_eq!(
            errors(LIMITS, "query A { a } query B { a { b { c { d } } } }"),
            ["The operation has 4 depth; the limit is 3"]
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
        let limits = OperationLimits {
            max_expanded_fields: 0,
            ..OperationLimits::default()
        };
        let found = errors(limits, &query);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("aliases"), "{found:?}");
        let found = errors(OperationLimits::default(), &query);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].ends_with("fields once its fragments are expanded; the limit is 4000"),
            "{found:?}"
        );
    }

    #[test]
    fn counts_expanded_fields_of_unused_fragments_too() {
        let limits = OperationLimits {
            max_expanded_fields: 6,
            ..OFF
        };
        let bomb =
            "fragment A on T { f } fragment B on T { ...A ...A } fragment C on T { ...B ...B }";
        // A: 1, B: 2, C: 4, the operation 1.
        assert_eq!(
            errors(limits, &format!("{{ x }} {bomb}")),
            ["The operation has 8 fields once its fragments are expanded; the limit is 6"]
        );
    }

    #[test]
    fn a_fragment_cycle_ends_the_walk() {
        let found = errors(
            OperationLimits::default(),
            "{ ...A } fragment A on Q { a ...B } fragment B on Q { b ...A }",
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn counts_fragments_directives_and_arguments() {
        let limits = OperationLimits {
            max_fragments: 1,
            max_directives: 2,
            max_arguments: 2,
            ..OFF
        };
        assert!(
            errors(
                limits,
                "{ a(x: 1, y: 2) @skip(if: false) @include(if: true) }"
            )
            .is_empty()
        );
        assert_eq!(
            errors(
                limits,
                "{ ...A ...B } fragment A on Q { a } fragment B on Q { b }"
            ),
            ["The operation has 2 fragments; the limit is 1"]
        );
        assert_eq!(
            errors(limits, "{ a @d @d @d }"),
            ["The operation has 3 directives on one location; the limit is 2"]
        );
        assert_eq!(
            errors(limits, "{ a @d(x: 1, y: 2, z: 3) }"),
            ["The operation has 3 arguments on one field or directive; the limit is 2"]
        );
        assert_eq!(
            errors(limits, "query Q @a @b @c { a }"),
            ["The operation has 3 directives on one location; the limit is 2"]
        );
    }

    #[test]
    fn counts_tokens_as_the_lexer_does() {
        assert_eq!(scan("{ a }", 0).tokens, 3);
        assert_eq!(scan("query Q($v: [Int!] = [1, 2]) { a }", 0).tokens, 19);
        assert_eq!(
            scan("{ a(x: -1.5e+10, y: \"s t\", z: \"\"\"b \"\" c\"\"\") }", 0).tokens,
            16
        );
        assert_eq!(scan("{ ...F } # a comment { { {", 0).tokens, 4);
        assert_eq!(
            scan(&"a ".repeat(1000), 10).tokens,
            11,
            "stops past the limit"
        );
        let limits = OperationLimits {
            max_tokens: 5,
            ..OFF
        };
        assert!(errors(limits, "{ a b c }").is_empty());
        assert_eq!(
            errors(limits, "{ a b c d }"),
            ["The document has more tokens than the limit of 5"]
        );
    }

    #[test]
    fn measures_nesting_outside_strings_and_comments() {
        assert_eq!(scan("{ a { b(x: [1]) } }", 0).nesting, 4);
        assert_eq!(
            scan(
                r#"{ a(s: "{{{{", t: """ {{{ \""" """) # {{{{
        }"#,
                0
            )
            .nesting,
            2
        );
        let deep = format!("{}{}", "{ a ".repeat(500), "}".repeat(500));
        assert_eq!(scan(&deep, 0).nesting, 500);
    }

    #[test]
    fn a_zero_limit_is_off() {
        assert!(errors(OFF, "{ x: a { b { c { d { e } } } } y: a z: a }").is_empty());
    }
}
