//! The spec's "Field Selection Merging" rule (OverlappingFieldsCanBeMerged), checked per
//! group of fields sharing a response name instead of per pair of fields.
//!
//! graphql-tools (like graphql-js) compares every pair of same-named fields, and the
//! subselections of every pair again: `{ name name ... }` a few thousand times costs seconds.
//! The relations the rule checks are equivalences (equal names and arguments, equal response
//! shapes), so comparing each field of a group with one representative, then checking the
//! group's subselections together, decides the same in time linear in the fields (Adameit,
//! "Validating the Merging of Fields in GraphQL"). Fields selected on different object types
//! need only equal shapes; a field on an abstract type must merge with all of them.

use std::collections::{HashMap, HashSet};

use graphql_tools::parser::query::{self as q, Definition, Selection};
use indexmap::IndexMap;

use crate::ast::{Document, Fragments, fragments, operation_parts, operation_type};
use crate::error::{ErrorCode, GraphQLError};
use crate::schema::{SchemaIndex, TypeKind, TypeRef};

/// Fields the rule may visit in one document: far above what a document inside the expanded
/// field limit needs, and a bound on documents that select one field on many abstract and
/// object types at every level (their groups are checked once per object type).
const VISIT_BUDGET: usize = 200_000;

/// Conflicts of `document` (empty when every selection set's fields can merge).
pub fn check(api: &SchemaIndex, document: &Document) -> Vec<GraphQLError> {
    let mut rule = Rule {
        api,
        fragments: fragments(document),
        errors: Vec::new(),
        reported: HashSet::new(),
        visits: 0,
    };
    for definition in &document.definitions {
        let (set, parent) = match definition {
            Definition::Operation(op) => (operation_parts(op).0, api.root_type(operation_type(op))),
            Definition::Fragment(f) => {
                let q::TypeCondition::On(on) = &f.type_condition;
                (&f.selection_set, Some(on.as_str()))
            }
        };
        let fields = rule.collect(set, parent);
        rule.can_merge(&fields);
        if rule.visits > VISIT_BUDGET {
            return vec![GraphQLError::with_code(
                "The operation selects too many overlapping fields to check",
                ErrorCode::MaxExpandedFieldsExceeded,
            )];
        }
    }
    rule.errors
}

/// A field as selected: the node and the type it was selected on (`None` when unknown, which
/// other rules report).
#[derive(Clone, Copy)]
struct Selected<'d> {
    parent: Option<&'d str>,
    field: &'d q::Field<'static, String>,
}

impl<'d> Selected<'d> {
    fn response_name(&self) -> &'d str {
        self.field.alias.as_deref().unwrap_or(&self.field.name)
    }

    fn identity(&self) -> (usize, Option<&'d str>) {
        (std::ptr::from_ref(self.field) as usize, self.parent)
    }
}

struct Rule<'d> {
    api: &'d SchemaIndex,
    fragments: Fragments<'d>,
    errors: Vec<GraphQLError>,
    /// Pairs of fields already reported, so a conflict reached along many paths is one error.
    reported: HashSet<(usize, usize)>,
    visits: usize,
}

impl<'d> Rule<'d> {
    /// The fields of `set` with its fragments expanded (a fragment spreading itself, which
    /// another rule reports, is not followed).
    fn collect(
        &mut self,
        set: &'d q::SelectionSet<'static, String>,
        parent: Option<&'d str>,
    ) -> Vec<Selected<'d>> {
        let mut out = Vec::new();
        let mut spreading = Vec::new();
        self.collect_into(set, parent, &mut spreading, &mut out);
        out
    }

    fn collect_into(
        &mut self,
        set: &'d q::SelectionSet<'static, String>,
        parent: Option<&'d str>,
        spreading: &mut Vec<&'d str>,
        out: &mut Vec<Selected<'d>>,
    ) {
        if self.visits > VISIT_BUDGET {
            return;
        }
        for selection in &set.items {
            match selection {
                Selection::Field(field) => {
                    self.visits += 1;
                    out.push(Selected { parent, field });
                }
                Selection::InlineFragment(inline) => {
                    let parent = match &inline.type_condition {
                        Some(q::TypeCondition::On(on)) => Some(on.as_str()),
                        None => parent,
                    };
                    self.collect_into(&inline.selection_set, parent, spreading, out);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.fragment_name.as_str();
                    let Some(fragment) = self.fragments.get(name) else {
                        continue;
                    };
                    if spreading.contains(&name) {
                        continue;
                    }
                    let q::TypeCondition::On(on) = &fragment.type_condition;
                    spreading.push(name);
                    self.collect_into(&fragment.selection_set, Some(on), spreading, out);
                    spreading.pop();
                }
            }
        }
    }

    /// The spec's FieldsInSetCanMerge for fields selected together.
    fn can_merge(&mut self, fields: &[Selected<'d>]) {
        for group in group_by_response_name(fields) {
            if self.visits > VISIT_BUDGET {
                return;
            }
            if let [single] = group.as_slice() {
                let children = self.children(&[*single]);
                self.can_merge(&children);
            } else {
                self.group_can_merge(&group);
            }
        }
    }

    fn group_can_merge(&mut self, group: &[Selected<'d>]) {
        // Fields on one object type, or any field on an abstract type, must be the same field
        // with the same arguments; fields on different object types need not be.
        let (on_abstract, by_object) = self.classes(group);
        let mut merge_classes: Vec<Vec<Selected<'d>>> = if by_object.is_empty() {
            vec![on_abstract.clone()]
        } else {
            by_object
                .into_values()
                .map(|mut class| {
                    class.extend_from_slice(&on_abstract);
                    class
                })
                .collect()
        };
        for class in &merge_classes {
            let representative = class[0];
            for other in &class[1..] {
                if let Some(reason) = differs(&representative, other) {
                    self.conflict(&representative, other, &reason);
                    return;
                }
            }
        }
        let first = group[0];
        for other in &group[1..] {
            if let (Some(a), Some(b)) = (self.field_type(&first), self.field_type(other))
                && !self.same_shape(a, b)
            {
                let reason = format!("they return conflicting types \"{a}\" and \"{b}\"");
                self.conflict(&first, other, &reason);
                return;
            }
        }
        if merge_classes.len() > 1 {
            // Across object types only the shapes of the subselections must agree.
            let children = self.children(group);
            self.same_shapes(&children);
        }
        for class in &mut merge_classes {
            let children = self.children(class);
            self.can_merge(&children);
        }
    }

    /// The spec's SameResponseShape, for every field of each group of `fields`.
    fn same_shapes(&mut self, fields: &[Selected<'d>]) {
        for group in group_by_response_name(fields) {
            let [first, rest @ ..] = group.as_slice() else {
                continue;
            };
            if rest.is_empty() || self.visits > VISIT_BUDGET {
                continue;
            }
            for other in rest {
                if let (Some(a), Some(b)) = (self.field_type(first), self.field_type(other))
                    && !self.same_shape(a, b)
                {
                    let reason = format!("they return conflicting types \"{a}\" and \"{b}\"");
                    self.conflict(first, other, &reason);
                    return;
                }
            }
            let children = self.children(&group);
            self.same_shapes(&children);
        }
    }

    /// Fields on abstract (or unknown) types, and the others by their object type. A field
    /// selected many times through the same fragment counts once.
    #[allow(clippy::type_complexity)]
    fn classes(
        &self,
        group: &[Selected<'d>],
    ) -> (Vec<Selected<'d>>, IndexMap<&'d str, Vec<Selected<'d>>>) {
        let mut seen = HashSet::new();
        let mut on_abstract = Vec::new();
        let mut by_object: IndexMap<&str, Vec<Selected<'d>>> = IndexMap::new();
        for selected in group.iter().filter(|s| seen.insert(s.identity())) {
            match selected.parent {
                Some(parent)
                    if self
                        .api
                        .get(parent)
                        .is_some_and(|t| t.kind == TypeKind::Object) =>
                {
                    by_object.entry(parent).or_default().push(*selected);
                }
                _ => on_abstract.push(*selected),
            }
        }
        (on_abstract, by_object)
    }

    /// The subselections of `fields`, together, each on its field's type.
    fn children(&mut self, fields: &[Selected<'d>]) -> Vec<Selected<'d>> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut spreading = Vec::new();
        for selected in fields.iter().filter(|s| seen.insert(s.identity())) {
            let parent = self.field_type(selected).map(TypeRef::named);
            self.collect_into(
                &selected.field.selection_set,
                parent,
                &mut spreading,
                &mut out,
            );
        }
        out
    }

    fn field_type(&self, selected: &Selected<'d>) -> Option<&'d TypeRef> {
        let api: &'d SchemaIndex = self.api;
        api.field(selected.parent?, &selected.field.name)
            .map(|f| &f.ty)
            .or_else(|| meta_field_type(&selected.field.name))
    }

    fn same_shape(&self, a: &TypeRef, b: &TypeRef) -> bool {
        match (a, b) {
            (TypeRef::NonNull(a), TypeRef::NonNull(b)) | (TypeRef::List(a), TypeRef::List(b)) => {
                self.same_shape(a, b)
            }
            (TypeRef::Named(a), TypeRef::Named(b)) => {
                let leaf = |name: &str| {
                    self.api
                        .get(name)
                        .is_none_or(|t| matches!(t.kind, TypeKind::Scalar | TypeKind::Enum))
                };
                a == b || !(leaf(a) || leaf(b))
            }
            _ => false,
        }
    }

    fn conflict(&mut self, a: &Selected<'d>, b: &Selected<'d>, reason: &str) {
        let (x, y) = (a.identity().0, b.identity().0);
        if !self.reported.insert((x.min(y), x.max(y))) {
            return;
        }
        self.errors.push(
            GraphQLError::with_code(
                format!(
                    "Fields \"{}\" conflict because {reason}. Use different aliases on the \
                     fields to fetch both if this was intentional.",
                    a.response_name()
                ),
                ErrorCode::ValidationFailed,
            )
            .at(a.field.position.line, a.field.position.column)
            .at(b.field.position.line, b.field.position.column),
        );
    }
}

/// Why two fields that must be the same are not.
fn differs(a: &Selected<'_>, b: &Selected<'_>) -> Option<String> {
    if a.field.name != b.field.name {
        return Some(format!(
            "\"{}\" and \"{}\" are different fields",
            a.field.name, b.field.name
        ));
    }
    let same_arguments = a.field.arguments.len() == b.field.arguments.len()
        && a.field.arguments.iter().all(|(name, value)| {
            b.field
                .arguments
                .iter()
                .any(|(other, other_value)| name == other && value == other_value)
        });
    (!same_arguments).then(|| "they have differing arguments".to_string())
}

fn group_by_response_name<'d>(fields: &[Selected<'d>]) -> Vec<Vec<Selected<'d>>> {
    let mut groups: IndexMap<&str, Vec<Selected<'d>>> = IndexMap::new();
    for selected in fields {
        groups
            .entry(selected.response_name())
            .or_default()
            .push(*selected);
    }
    groups.into_values().collect()
}

/// The introspection fields every selection set may hold.
fn meta_field_type(name: &str) -> Option<&'static TypeRef> {
    use std::sync::OnceLock;
    static META: OnceLock<HashMap<&'static str, TypeRef>> = OnceLock::new();
    let named = |n: &str| TypeRef::Named(n.to_string());
    META.get_or_init(|| {
        HashMap::from([
            ("__typename", TypeRef::NonNull(Box::new(named("String")))),
            ("__schema", TypeRef::NonNull(Box::new(named("__Schema")))),
            ("__type", named("__Type")),
        ])
    })
    .get(name)
}

#[cfg(test)]
mod tests {
    use graphql_tools::validation::rules::OverlappingFieldsCanBeMerged;
    use graphql_tools::validation::validate::{ValidationPlan, validate};

    use super::*;

    const SDL: &str = r#"
        schema { query: Query }
        type Query { pet: Pet node(id: ID): Node dog: Dog search: [Result] }
        interface Pet { name: String nickname: String }
        interface Node { id: ID! }
        type Dog implements Pet & Node { id: ID! name: String nickname: String barks: Boolean
            size(unit: String): Int owner: Human friends: [Pet] }
        type Cat implements Pet & Node { id: ID! name: String nickname: String meows: Boolean
            size(unit: String): String owner: Human friends: [Pet] }
        type Human implements Node { id: ID! name: String pets: [Pet] }
        union Result = Dog | Cat | Human
    "#;

    fn schema() -> (
        graphql_tools::parser::schema::Document<'static, String>,
        SchemaIndex,
    ) {
        let doc = graphql_tools::parser::schema::parse_schema::<String>(SDL)
            .expect("schema")
            .into_static();
        let index = SchemaIndex::build(&doc);
        (doc, index)
    }

    fn ours(query: &str) -> Vec<String> {
        let (_, index) = schema();
        let document = graphql_tools::parser::parse_query::<String>(query)
            .expect("query")
            .into_static();
        check(&index, &document)
            .into_iter()
            .map(|e| e.message)
            .collect()
    }

    /// graphql-tools' pairwise rule, the reference.
    fn reference(query: &str) -> bool {
        let (doc, _) = schema();
        let document = graphql_tools::parser::parse_query::<String>(query)
            .expect("query")
            .into_static();
        let plan = ValidationPlan::from(vec![Box::new(OverlappingFieldsCanBeMerged::new())]);
        validate(&doc, &document, &plan).is_empty()
    }

    #[test]
    fn decides_as_the_spec_and_the_pairwise_rule_do() {
        let mergeable = [
            "{ dog { name name } }",
            "{ dog { n: name n: name } }",
            "{ dog { size(unit: \"cm\") size(unit: \"cm\") } }",
            "{ dog { ...A ...A } } fragment A on Dog { name owner { name } }",
            "{ pet { ... on Dog { x: barks } ... on Cat { x: meows } } }",
            "{ pet { ... on Dog { owner { name } } ... on Cat { owner { id } } } }",
            "{ pet { name ... on Dog { name } ... on Cat { name } } }",
            "{ dog { owner { name } owner { id } } }",
            "{ search { ... on Dog { f: friends { name } } ... on Cat { f: friends { nickname } } } }",
        ];
        let conflicting = [
            "{ dog { x: name x: nickname } }",
            "{ dog { size(unit: \"cm\") size(unit: \"in\") } }",
            "{ dog { size(unit: \"cm\") size } }",
            "{ pet { ... on Dog { x: barks } ... on Cat { x: meows } x: name } }",
            "{ dog { owner { x: name } owner { x: id } } }",
            "{ dog { ...A } dog { ...B } } fragment A on Dog { x: name } fragment B on Dog { x: barks }",
            "fragment A on Dog { x: name x: barks } { dog { name } }",
            "{ search { ... on Node { x: id } ... on Dog { x: name } } }",
            "{ node { ... on Human { p: pets { n: name } } p: id } }",
            "{ pet { ... on Dog { o: owner { n: name } } ... on Cat { o: owner { n: pets { name } } } } }",
            "{ pet { ... on Dog { o: owner { n: name } } ... on Cat { o: owner { n: id } } } }",
        ];
        for (queries, expected) in [(&mergeable[..], true), (&conflicting[..], false)] {
            for query in queries {
                let found = ours(query);
                assert_eq!(found.is_empty(), expected, "{query}: {found:?}");
                assert_eq!(reference(query), expected, "graphql-tools on {query}");
            }
        }
        // Different shapes on different object types: a conflict by the spec
        // (SameResponseShape holds for every pair) and graphql-js, which graphql-tools misses.
        for query in [
            "{ pet { ... on Dog { s: size } ... on Cat { s: size } } }",
            "{ pet { ... on Dog { x: size } ... on Cat { x: meows } } }",
        ] {
            assert_eq!(ours(query).len(), 1, "{query}");
            assert!(reference(query), "graphql-tools now catches {query}");
        }
    }

    #[test]
    fn names_the_conflict_and_both_fields() {
        let (_, index) = schema();
        let document =
            graphql_tools::parser::parse_query::<String>("{ dog { x: name\n x: barks } }")
                .expect("query")
                .into_static();
        let errors = check(&index, &document);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].message,
            "Fields \"x\" conflict because \"name\" and \"barks\" are different fields. Use \
             different aliases on the fields to fetch both if this was intentional."
        );
        assert_eq!(errors[0].locations.len(), 2);
    }

    #[test]
    fn checks_thousands_of_repeated_fields_in_linear_time() {
        let repeated = vec!["name"; 20_000].join(" ");
        let started = std::time::Instant::now();
        assert!(ours(&format!("{{ dog {{ {repeated} }} }}")).is_empty());
        let conflict = format!("{{ dog {{ {repeated} name: barks }} }}");
        assert_eq!(ours(&conflict).len(), 1);
        // The pairwise rule takes minutes on this; generous for a debug build on a busy machine.
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
