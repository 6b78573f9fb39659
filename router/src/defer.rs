//! `@defer`: incremental delivery of a query's deferred fragments, in the format of
//! `deferSpec=20220824` (the one Apollo Client and urql read) over `multipart/mixed`.
//!
//! A query with deferred fragments runs as two operations, started together and each planned
//! and executed like any other query: the primary one (the query without its deferred
//! fragments), whose answer goes out as soon as it is ready with `hasNext: true`, and the whole
//! one (the fragments inlined), from whose answer each deferred fragment's fields are cut at
//! every path where it applies and sent next as `incremental` entries. So a slow deferred field
//! never delays the rest; the price is that the fields both need are fetched twice (subgraph
//! deduplication shares the identical fetches). A client that does not accept
//! `multipart/mixed` gets the whole answer at once, as the incremental delivery proposal allows.

use std::collections::HashSet;

use graphql_tools::parser::query::{
    self as q, Definition, Directive, OperationDefinition, Selection, SelectionSet,
    Value as AstValue,
};
use serde_json::{Map, Value};

use crate::ast::{Document, operation_name, typename_selection};

/// Most selections walked to find a document's deferred fragments (fragment spreads can
/// multiply them): past it, the query runs whole.
const MAX_WALK: usize = 10_000;

/// The two operations of a query with deferred fragments, and where the fragments are.
#[derive(Debug)]
pub struct Split {
    pub primary: String,
    pub whole: String,
    pub fragments: Vec<DeferredFragment>,
}

/// A deferred fragment: where it applies (response keys from the root, lists crossed
/// implicitly), its label, and the response keys of its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct DeferredFragment {
    pub path: Vec<String>,
    pub label: Option<String>,
    pub keys: Vec<String>,
}

/// Whether `query` may defer anything (a cheap test before parsing).
pub fn mentions_defer(query: &str) -> bool {
    query.contains("@defer")
}

/// Splits the operation of `document` (chosen by `operation_name`) when it is a query that
/// defers fragments (`@defer`, with `if` not false); `None` otherwise.
pub fn split(
    document: &Document,
    operation_name_wanted: Option<&str>,
    variables: &Map<String, Value>,
) -> Option<Split> {
    let operation = select(document, operation_name_wanted)?;
    if !matches!(
        operation,
        OperationDefinition::Query(_) | OperationDefinition::SelectionSet(_)
    ) {
        return None;
    }
    let fragments = crate::ast::fragments(document);
    let mut walk = Walk {
        fragments: &fragments,
        variables,
        found: Vec::new(),
        budget: MAX_WALK,
    };
    let (selection_set, _) = crate::ast::operation_parts(operation);
    walk.selections(selection_set, &mut Vec::new(), &mut HashSet::new())?;
    if walk.found.is_empty() {
        return None;
    }
    let found = walk.found;
    // Only the chosen operation: another one's fragments could go unused.
    let only = |keep_deferred: bool| {
        let mut document = Document {
            definitions: document
                .definitions
                .iter()
                .filter(|d| match d {
                    Definition::Operation(op) => std::ptr::eq(op, operation),
                    Definition::Fragment(_) => true,
                })
                .cloned()
                .collect(),
        };
        strip_document(&mut document, keep_deferred, variables);
        drop_unused_fragments(&mut document);
        document.to_string()
    };
    Some(Split {
        primary: only(false),
        whole: only(true),
        fragments: found,
    })
}

/// `document` with every `@defer` removed (the fragments kept), for a client that takes the
/// answer whole.
pub fn inlined(document: &Document, variables: &Map<String, Value>) -> String {
    let mut document = document.clone();
    strip_document(&mut document, true, variables);
    document.to_string()
}

/// [`strip`] over every operation and fragment of `document`.
fn strip_document(document: &mut Document, keep_deferred: bool, variables: &Map<String, Value>) {
    for definition in &mut document.definitions {
        let selection_set = match definition {
            Definition::Operation(op) => crate::ast::selection_set_mut(op),
            Definition::Fragment(f) => &mut f.selection_set,
        };
        strip(selection_set, keep_deferred, variables);
    }
}

fn select<'d>(
    document: &'d Document,
    wanted: Option<&str>,
) -> Option<&'d OperationDefinition<'static, String>> {
    let mut operations = document.definitions.iter().filter_map(|d| match d {
        Definition::Operation(op) => Some(op),
        Definition::Fragment(_) => None,
    });
    match wanted {
        Some(name) => operations.find(|op| operation_name(op) == Some(name)),
        None => {
            let first = operations.next()?;
            operations.next().is_none().then_some(first)
        }
    }
}

/// `@defer` among `directives`, and whether it defers (its `if`, a literal or a variable,
/// is not false).
fn defer_directive<'d>(
    directives: &'d [Directive<'static, String>],
    variables: &Map<String, Value>,
) -> Option<(&'d Directive<'static, String>, bool)> {
    let directive = directives.iter().find(|d| d.name == "defer")?;
    let enabled = match directive.arguments.iter().find(|(name, _)| name == "if") {
        None => true,
        Some((_, AstValue::Boolean(b))) => *b,
        Some((_, AstValue::Variable(name))) => variables.get(name) != Some(&Value::Bool(false)),
        Some(_) => true,
    };
    Some((directive, enabled))
}

fn label(directive: &Directive<'static, String>) -> Option<String> {
    directive
        .arguments
        .iter()
        .find_map(|(name, value)| match (name.as_str(), value) {
            ("label", AstValue::String(label)) => Some(label.clone()),
            _ => None,
        })
}

/// Removes every `@defer`; unless `keep_deferred`, removes the deferred fragments too (a
/// selection set left empty selects `__typename`, which every object has).
fn strip(
    selection_set: &mut SelectionSet<'static, String>,
    keep_deferred: bool,
    variables: &Map<String, Value>,
) {
    let had_selections = !selection_set.items.is_empty();
    selection_set.items.retain_mut(|selection| {
        let directives = match selection {
            Selection::Field(field) => {
                strip(&mut field.selection_set, keep_deferred, variables);
                return true;
            }
            Selection::InlineFragment(fragment) => {
                strip(&mut fragment.selection_set, keep_deferred, variables);
                &mut fragment.directives
            }
            Selection::FragmentSpread(spread) => &mut spread.directives,
        };
        let deferred = defer_directive(directives, variables).is_some_and(|(_, on)| on);
        directives.retain(|d| d.name != "defer");
        keep_deferred || !deferred
    });
    if had_selections && selection_set.items.is_empty() {
        selection_set
            .items
            .push(typename_selection(selection_set.span));
    }
}

/// Drops the fragment definitions no longer spread (the primary operation's deferred ones):
/// an unused fragment fails validation.
fn drop_unused_fragments(document: &mut Document) {
    fn spreads(selection_set: &SelectionSet<'static, String>, into: &mut Vec<String>) {
        for selection in &selection_set.items {
            match selection {
                Selection::Field(field) => spreads(&field.selection_set, into),
                Selection::InlineFragment(fragment) => spreads(&fragment.selection_set, into),
                Selection::FragmentSpread(spread) => into.push(spread.fragment_name.clone()),
            }
        }
    }
    let mut used: HashSet<String> = HashSet::new();
    let mut pending = Vec::new();
    for definition in &document.definitions {
        if let Definition::Operation(op) = definition {
            spreads(crate::ast::operation_parts(op).0, &mut pending);
        }
    }
    while let Some(name) = pending.pop() {
        if !used.insert(name.clone()) {
            continue;
        }
        for definition in &document.definitions {
            if let Definition::Fragment(f) = definition
                && f.name == name
            {
                spreads(&f.selection_set, &mut pending);
            }
        }
    }
    document.definitions.retain(|d| match d {
        Definition::Fragment(f) => used.contains(&f.name),
        Definition::Operation(_) => true,
    });
}

/// Finds the deferred fragments of an operation, with their paths.
struct Walk<'a> {
    fragments: &'a crate::ast::Fragments<'a>,
    variables: &'a Map<String, Value>,
    found: Vec<DeferredFragment>,
    /// Selections left to walk; `None` from the walk once spent.
    budget: usize,
}

impl Walk<'_> {
    fn selections(
        &mut self,
        selection_set: &SelectionSet<'static, String>,
        path: &mut Vec<String>,
        spreading: &mut HashSet<String>,
    ) -> Option<()> {
        for selection in &selection_set.items {
            self.budget = self.budget.checked_sub(1)?;
            let (directives, inner) = match selection {
                Selection::Field(field) => {
                    path.push(response_key(field).to_owned());
                    self.selections(&field.selection_set, path, spreading)?;
                    path.pop();
                    continue;
                }
                Selection::InlineFragment(fragment) => {
                    (&fragment.directives, &fragment.selection_set)
                }
                Selection::FragmentSpread(spread) => {
                    let Some(definition) = self.fragments.get(spread.fragment_name.as_str()) else {
                        continue; // validation reports it
                    };
                    (&spread.directives, &definition.selection_set)
                }
            };
            let name = match selection {
                Selection::FragmentSpread(spread) => Some(spread.fragment_name.clone()),
                _ => None,
            };
            // A fragment spread within itself is a validation error; do not loop on it here.
            if let Some(name) = &name
                && !spreading.insert(name.clone())
            {
                continue;
            }
            match defer_directive(directives, self.variables) {
                Some((directive, true)) => {
                    let mut keys = Vec::new();
                    self.keys(inner, &mut keys, &mut HashSet::new())?;
                    self.found.push(DeferredFragment {
                        path: path.clone(),
                        label: label(directive),
                        keys,
                    });
                }
                _ => self.selections(inner, path, spreading)?,
            }
            if let Some(name) = &name {
                spreading.remove(name);
            }
        }
        Some(())
    }

    /// The response keys a selection set answers at its own level.
    fn keys(
        &mut self,
        selection_set: &SelectionSet<'static, String>,
        keys: &mut Vec<String>,
        spreading: &mut HashSet<String>,
    ) -> Option<()> {
        for selection in &selection_set.items {
            self.budget = self.budget.checked_sub(1)?;
            match selection {
                Selection::Field(field) => {
                    let key = response_key(field);
                    if !keys.iter().any(|k| k == key) {
                        keys.push(key.to_owned());
                    }
                }
                Selection::InlineFragment(fragment) => {
                    self.keys(&fragment.selection_set, keys, spreading)?;
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.fragment_name.as_str();
                    if let Some(definition) = self.fragments.get(name)
                        && spreading.insert(name.to_owned())
                    {
                        self.keys(&definition.selection_set, keys, spreading)?;
                        spreading.remove(name);
                    }
                }
            }
        }
        Some(())
    }
}

fn response_key<'f>(field: &'f q::Field<'static, String>) -> &'f str {
    field.alias.as_deref().unwrap_or(&field.name)
}

/// The `incremental` entries of the deferred fragments, cut from the whole operation's
/// answer: one per object a fragment applies to, with the errors under its fields.
pub fn increments(fragments: &[DeferredFragment], whole: &Value) -> Vec<Value> {
    let errors = whole["errors"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    let mut entries = Vec::new();
    for fragment in fragments {
        let mut at = Vec::new();
        objects(&whole["data"], &fragment.path, &mut Vec::new(), &mut at);
        for (path, object) in at {
            let data: Map<String, Value> = fragment
                .keys
                .iter()
                .filter_map(|key| Some((key.clone(), object.get(key)?.clone())))
                .collect();
            // None of its fields: a fragment on a type this object is not.
            if data.is_empty() {
                continue;
            }
            let mut entry = Map::new();
            entry.insert("data".into(), Value::Object(data));
            entry.insert("path".into(), Value::Array(path.clone()));
            if let Some(label) = &fragment.label {
                entry.insert("label".into(), Value::String(label.clone()));
            }
            let under: Vec<Value> = errors
                .iter()
                .filter(|error| within(error, &path, &fragment.keys))
                .cloned()
                .collect();
            if !under.is_empty() {
                entry.insert("errors".into(), Value::Array(under));
            }
            entries.push(Value::Object(entry));
        }
    }
    entries
}

/// Whether `error`'s path goes through one of `keys` of the object at `path`.
fn within(error: &Value, path: &[Value], keys: &[String]) -> bool {
    let Some(at) = error["path"].as_array() else {
        return false;
    };
    at.len() > path.len()
        && at[..path.len()] == *path
        && at[path.len()]
            .as_str()
            .is_some_and(|key| keys.iter().any(|k| k == key))
}

/// The objects at `path` under `value`, crossing lists (their indexes join the path).
fn objects<'v>(
    value: &'v Value,
    path: &[String],
    at: &mut Vec<Value>,
    into: &mut Vec<(Vec<Value>, &'v Map<String, Value>)>,
) {
    match value {
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                at.push(Value::from(index));
                objects(item, path, at, into);
                at.pop();
            }
        }
        Value::Object(object) => match path.split_first() {
            None => into.push((at.clone(), object)),
            Some((key, rest)) => {
                if let Some(next) = object.get(key) {
                    at.push(Value::String(key.clone()));
                    objects(next, rest, at, into);
                    at.pop();
                }
            }
        },
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(query: &str) -> Document {
        graphql_tools::parser::parse_query::<String>(query)
            .expect("a valid document")
            .into_static()
    }

    fn split_of(query: &str, variables: Value) -> Option<Split> {
        let variables = variables.as_object().cloned().unwrap_or_default();
        split(&parse(query), None, &variables)
    }

    #[test]
    fn splits_inline_and_spread_fragments_with_their_paths_and_labels() {
        let split = split_of(
            "query { me { id ... @defer(label: \"slow\") { reviews { body } } } \
             products { name ...Rating @defer } } \
             fragment Rating on Product { rating { average } stars: score }",
            json!({}),
        )
        .expect("defers");
        assert_eq!(
            split.fragments,
            [
                DeferredFragment {
                    path: vec!["me".into()],
                    label: Some("slow".into()),
                    keys: vec!["reviews".into()],
                },
                DeferredFragment {
                    path: vec!["products".into()],
                    label: None,
                    keys: vec!["rating".into(), "stars".into()],
                },
            ]
        );
        assert_eq!(
            split
                .primary
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            "query { me { id } products { name } }"
        );
        assert!(!split.whole.contains("@defer"), "{}", split.whole);
        assert!(split.whole.contains("...Rating"), "{}", split.whole);
    }

    #[test]
    fn nothing_to_split_without_defer_when_if_is_false_or_for_a_mutation() {
        assert!(split_of("{ me { id } }", json!({})).is_none());
        assert!(split_of("{ me { ... @defer(if: false) { id } } }", json!({})).is_none());
        assert!(
            split_of(
                "query ($d: Boolean!) { me { ... @defer(if: $d) { id } } }",
                json!({ "d": false })
            )
            .is_none()
        );
        assert!(split_of("mutation { m { ... @defer { id } } }", json!({})).is_none());
    }

    #[test]
    fn an_emptied_selection_selects_typename() {
        let split = split_of("{ me { ... @defer { id } } }", json!({})).expect("defers");
        assert!(split.primary.contains("__typename"), "{}", split.primary);
    }

    #[test]
    fn increments_follow_lists_and_carry_their_errors() {
        let fragments = [DeferredFragment {
            path: vec!["products".into()],
            label: Some("r".into()),
            keys: vec!["rating".into()],
        }];
        let whole = json!({
            "data": { "products": [
                { "name": "a", "rating": 4 },
                { "name": "b", "rating": null },
                null
            ] },
            "errors": [{ "message": "down", "path": ["products", 1, "rating"] }]
        });
        assert_eq!(
            increments(&fragments, &whole),
            [
                json!({ "data": { "rating": 4 }, "path": ["products", 0], "label": "r" }),
                json!({
                    "data": { "rating": null }, "path": ["products", 1], "label": "r",
                    "errors": [{ "message": "down", "path": ["products", 1, "rating"] }]
                }),
            ]
        );
    }

    #[test]
    fn a_spread_of_itself_does_not_loop() {
        let split = split_of(
            "{ me { ...A } } fragment A on User { id ... @defer { name } ...A }",
            json!({}),
        )
        .expect("defers");
        assert_eq!(split.fragments.len(), 1);
    }
}
