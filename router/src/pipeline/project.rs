//! Shapes the merged subgraph data into exactly what the client asked for: the spec's
//! CollectFields (fragments, aliases, `@skip`/`@include`) compiled once per operation and
//! variable set, then a single pass that writes JSON and propagates nulls per the spec.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use graphql_tools::parser::Pos;
use graphql_tools::parser::query::{self as q, Selection};
use indexmap::IndexMap;
use rustc_hash::FxHashMap;
use serde_json::{Map, Value};

use crate::ast::Fragments;
use crate::error::{ErrorCode, GraphQLError, Location};
use crate::json::{self, Object, Value as Data, write_json_string};
use crate::response_cache::{Captured, EntityKeys};
use crate::schema::{SchemaIndex, TypeRef};
use crate::supergraph::SchemaState;
use crate::value::is_selected;

/// The fields to write for one selection set, per concrete object type.
#[derive(Debug, Default)]
pub struct SelectionPlan {
    by_type: FxHashMap<String, Vec<FieldPlan>>,
    /// `@inaccessible` object types of an abstract type: a subgraph may return one, but
    /// clients cannot see it, so it reads as null (like an `@inaccessible` enum value).
    hidden: Vec<String>,
}

#[derive(Debug)]
pub struct FieldPlan {
    key: String,
    /// `"key":`, written as is.
    key_json: Box<[u8]>,
    parent: String,
    name: String,
    ty: TypeRef,
    location: Location,
    kind: FieldKind,
}

#[derive(Debug)]
enum FieldKind {
    Typename,
    /// A scalar that is not in a list: a scalar value is written as the subgraph sent it.
    Scalar,
    Leaf,
    /// An enum: values the API schema does not know become null (see [`EnumValues`]).
    Enum(Arc<EnumValues>),
    /// A field that can never hold a value (see `SchemaState::unimplemented_fields`): whatever
    /// a subgraph sent reads as null.
    Unimplemented,
    /// A field the caller may not select (see [`crate::auth`]): null, with an error.
    Denied,
    Composite(SelectionPlan),
}

/// The values of an enum as a client may see them.
#[derive(Debug)]
pub struct EnumValues {
    visible: HashSet<String>,
    /// `@inaccessible` values: valid in the supergraph, so a subgraph may return one, but
    /// hidden from clients. They read as null, like a field the client cannot see; any other
    /// unknown value is an error.
    hidden: HashSet<String>,
}

/// A compiled response shape for one operation and one set of `@skip`/`@include` values.
#[derive(Debug)]
pub struct Projection {
    root_type: String,
    root: SelectionPlan,
    /// The size of the last response written with this shape: the next one's buffer starts
    /// that large instead of doubling its way there.
    last_size: AtomicUsize,
}

struct Compiler<'d> {
    schema: &'d SchemaIndex,
    /// Every supergraph type, for the `@inaccessible` enum values the API schema leaves out.
    supergraph: &'d SchemaIndex,
    unimplemented_fields: &'d HashMap<(String, String), HashSet<String>>,
    fragments: Fragments<'d>,
    variables: &'d Map<String, Value>,
    enums: RefCell<HashMap<String, Arc<EnumValues>>>,
    denied: &'d HashSet<Pos>,
}

impl Projection {
    pub fn compile(
        state: &SchemaState,
        document: &q::Document<'static, String>,
        root_type: &str,
        selection_set: &q::SelectionSet<'static, String>,
        variables: &Map<String, Value>,
        denied: &HashSet<Pos>,
    ) -> Self {
        let fragments = crate::ast::fragments(document);
        let compiler = Compiler {
            schema: &state.api,
            supergraph: &state.supergraph_types,
            unimplemented_fields: &state.unimplemented_fields,
            fragments,
            variables,
            enums: RefCell::new(HashMap::new()),
            denied,
        };
        let root = compiler.plan(&[selection_set], root_type);
        Projection {
            root_type: root_type.to_string(),
            root,
            last_size: AtomicUsize::new(4096),
        }
    }

    /// Writes `data` (the merged result) shaped by this projection; returns `null` when a
    /// non-null root field was null.
    pub fn write_data(&self, data: &Data<'_>, errors: &mut Vec<GraphQLError>, out: &mut Vec<u8>) {
        let empty = Object::default();
        let object = data.as_object().unwrap_or(&empty);
        let mut writer = Writer {
            errors,
            out,
            path: Vec::new(),
            written: FxHashMap::default(),
            checks: 0,
        };
        let start = writer.out.len();
        if !writer.object(object, &self.root, &self.root_type) {
            writer.out.truncate(start);
            writer.out.extend_from_slice(b"null");
        }
    }
}

impl Projection {
    /// Records every object `data` holds as the client sees it (its type, and its entity
    /// keys) for the response cache. Shared subtrees are walked once.
    pub fn capture(&self, data: &Data<'_>, keys: &EntityKeys, captured: &mut Captured) {
        if let Some(object) = data.as_object() {
            let mut seen = HashSet::new();
            capture_object(
                object,
                &self.root,
                &self.root_type,
                keys,
                captured,
                &mut seen,
            );
        }
    }
}

fn capture_object(
    data: &Object<'_>,
    plan: &SelectionPlan,
    static_type: &str,
    keys: &EntityKeys,
    captured: &mut Captured,
    seen: &mut HashSet<(usize, usize)>,
) {
    let (typename, fields) = match plan.by_type.iter().next() {
        Some((name, fields)) if plan.by_type.len() == 1 => (name.as_str(), fields),
        _ => {
            let typename = data
                .get("__typename")
                .and_then(Data::as_str)
                .filter(|t| plan.by_type.contains_key(*t))
                .unwrap_or(static_type);
            let Some(fields) = plan.by_type.get(typename) else {
                return;
            };
            (typename, fields)
        }
    };
    captured.object(keys, typename, data);
    for field in fields {
        if let FieldKind::Composite(inner) = &field.kind
            && let Some(value) = data.get(&field.key)
        {
            capture_value(value, inner, field.ty.named(), keys, captured, seen);
        }
    }
}

fn capture_value(
    value: &Data<'_>,
    plan: &SelectionPlan,
    static_type: &str,
    keys: &EntityKeys,
    captured: &mut Captured,
    seen: &mut HashSet<(usize, usize)>,
) {
    if value.is_repeated() {
        let key = (
            std::ptr::from_ref(value.resolve()) as usize,
            std::ptr::from_ref(plan) as usize,
        );
        if !seen.insert(key) {
            return;
        }
    }
    match value.resolve() {
        Data::Array(items) => {
            for item in items {
                capture_value(item, plan, static_type, keys, captured, seen);
            }
        }
        Data::Object(object) => capture_object(object, plan, static_type, keys, captured, seen),
        _ => {}
    }
}

impl<'d> Compiler<'d> {
    fn plan(&self, sets: &[&'d q::SelectionSet<'static, String>], parent: &str) -> SelectionPlan {
        let mut plan = SelectionPlan::default();
        let Some(parent_def) = self.schema.get(parent) else {
            return plan;
        };
        let mut types: Vec<&str> = parent_def
            .possible_types
            .iter()
            .map(String::as_str)
            .collect();
        if parent_def.is_abstract() {
            // Used when a subgraph hands back an object without a usable `__typename`.
            types.push(parent);
            plan.hidden = self
                .supergraph
                .get(parent)
                .map(|s| &s.possible_types[..])
                .unwrap_or_default()
                .iter()
                .filter(|t| self.schema.get(t).is_none())
                .cloned()
                .collect();
        }
        for concrete in types {
            let fields = self.plan_for_type(sets, concrete);
            plan.by_type.insert(concrete.to_string(), fields);
        }
        plan
    }

    fn plan_for_type(
        &self,
        sets: &[&'d q::SelectionSet<'static, String>],
        concrete: &str,
    ) -> Vec<FieldPlan> {
        let mut grouped: IndexMap<&'d str, Vec<&'d q::Field<'static, String>>> = IndexMap::new();
        let mut visited = HashSet::new();
        for set in sets {
            self.collect(set, concrete, &mut grouped, &mut visited);
        }
        grouped
            .into_iter()
            .filter_map(|(key, fields)| self.field_plan(key, &fields, concrete))
            .collect()
    }

    fn field_plan(
        &self,
        key: &str,
        fields: &[&'d q::Field<'static, String>],
        concrete: &str,
    ) -> Option<FieldPlan> {
        let first = fields.first()?;
        let location = Location {
            line: first.position.line,
            column: first.position.column,
        };
        let mut key_json = Vec::with_capacity(key.len() + 3);
        write_json_string(&mut key_json, key);
        key_json.push(b':');
        let key_json = key_json.into_boxed_slice();
        if first.name == "__typename" {
            return Some(FieldPlan {
                key: key.to_string(),
                key_json,
                parent: concrete.to_string(),
                name: first.name.clone(),
                ty: TypeRef::NonNull(Box::new(TypeRef::Named("String".into()))),
                location,
                kind: FieldKind::Typename,
            });
        }
        let def = self.schema.field(concrete, &first.name)?;
        let return_type = def.ty.named();
        let kind = match self.schema.get(return_type) {
            _ if fields.iter().all(|f| self.denied.contains(&f.position)) => FieldKind::Denied,
            _ if self
                .unimplemented_fields
                .contains_key(&(concrete.to_string(), first.name.clone())) =>
            {
                FieldKind::Unimplemented
            }
            Some(t) if t.is_composite() => {
                let sets: Vec<_> = fields.iter().map(|f| &f.selection_set).collect();
                FieldKind::Composite(self.plan(&sets, return_type))
            }
            Some(t) if t.kind == crate::schema::TypeKind::Enum => {
                let values = self
                    .enums
                    .borrow_mut()
                    .entry(t.name.clone())
                    .or_insert_with(|| {
                        let visible: HashSet<String> =
                            t.enum_values.iter().map(|v| v.name.clone()).collect();
                        let hidden = self
                            .supergraph
                            .get(&t.name)
                            .map(|s| &s.enum_values[..])
                            .unwrap_or_default()
                            .iter()
                            .filter(|v| !visible.contains(&v.name))
                            .map(|v| v.name.clone())
                            .collect();
                        Arc::new(EnumValues { visible, hidden })
                    })
                    .clone();
                FieldKind::Enum(values)
            }
            _ if !def.ty.is_list() => FieldKind::Scalar,
            _ => FieldKind::Leaf,
        };
        Some(FieldPlan {
            key: key.to_string(),
            key_json,
            parent: concrete.to_string(),
            name: first.name.clone(),
            ty: def.ty.clone(),
            location,
            kind,
        })
    }

    fn collect(
        &self,
        set: &'d q::SelectionSet<'static, String>,
        concrete: &str,
        grouped: &mut IndexMap<&'d str, Vec<&'d q::Field<'static, String>>>,
        visited: &mut HashSet<&'d str>,
    ) {
        for selection in &set.items {
            match selection {
                Selection::Field(field) => {
                    if !is_selected(&field.directives, self.variables) {
                        continue;
                    }
                    let key = field.alias.as_deref().unwrap_or(&field.name);
                    grouped.entry(key).or_default().push(field);
                }
                Selection::FragmentSpread(spread) => {
                    if !is_selected(&spread.directives, self.variables)
                        || !visited.insert(spread.fragment_name.as_str())
                    {
                        continue;
                    }
                    let Some(fragment) = self.fragments.get(spread.fragment_name.as_str()) else {
                        continue;
                    };
                    let q::TypeCondition::On(condition) = &fragment.type_condition;
                    if self.schema.does_type_apply(condition, concrete) {
                        self.collect(&fragment.selection_set, concrete, grouped, visited);
                    }
                }
                Selection::InlineFragment(inline) => {
                    if !is_selected(&inline.directives, self.variables) {
                        continue;
                    }
                    let applies = match &inline.type_condition {
                        Some(q::TypeCondition::On(condition)) => {
                            self.schema.does_type_apply(condition, concrete)
                        }
                        None => true,
                    };
                    if applies {
                        self.collect(&inline.selection_set, concrete, grouped, visited);
                    }
                }
            }
        }
    }
}

impl FieldPlan {
    /// Whether a value a subgraph sent reads as null to the client: an `@inaccessible` enum
    /// value or object type, or anything in a field of an unimplemented abstract type.
    fn hides(&self, value: &Data<'_>) -> bool {
        match (&self.kind, value) {
            (FieldKind::Enum(values), Data::String(v)) => values.hidden.contains(v.as_ref()),
            (FieldKind::Composite(plan), Data::Object(object)) if !plan.hidden.is_empty() => object
                .get("__typename")
                .and_then(Data::as_str)
                .is_some_and(|t| plan.hidden.iter().any(|h| h == t)),
            (FieldKind::Unimplemented, _) => true,
            _ => false,
        }
    }
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

struct Writer<'a, 'p> {
    errors: &'a mut Vec<GraphQLError>,
    out: &'a mut Vec<u8>,
    path: Vec<Seg<'p>>,
    /// Shared subtrees already written, by (subtree address, type position in the plan):
    /// the bytes they produced in `out`. A subtree shared by many positions (see
    /// `json::share_repeated_subtrees`) is shaped once and copied after that.
    written: FxHashMap<(usize, usize), (usize, usize)>,
    /// How many nulls and enum values were checked against the schema: a subtree whose
    /// writing checked any is not reused, as its errors carry their own path.
    checks: usize,
}

impl<'a, 'p> Writer<'a, 'p> {
    /// Writes an object; `false` means a non-null field was null and the object must be null.
    fn object(
        &mut self,
        data: &'p Object<'_>,
        plan: &'p SelectionPlan,
        static_type: &'p str,
    ) -> bool {
        let (typename, fields) = match plan.by_type.iter().next() {
            // A concrete type (the only entry): no need to read `__typename`.
            Some((name, fields)) if plan.by_type.len() == 1 => (name.as_str(), fields),
            _ => {
                let typename = data
                    .get("__typename")
                    .and_then(Data::as_str)
                    .filter(|t| plan.by_type.contains_key(*t))
                    .unwrap_or(static_type);
                let Some(fields) = plan.by_type.get(typename) else {
                    self.out.extend_from_slice(b"{}");
                    return true;
                };
                (typename, fields)
            }
        };
        self.out.push(b'{');
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.out.extend_from_slice(&field.key_json);
            // The common case needs no null or type checks, so no path either.
            if let FieldKind::Scalar = field.kind
                && let Some(value @ (Data::String(_) | Data::Number(_) | Data::Bool(_))) =
                    data.get(&field.key).map(Data::resolve)
            {
                value.write_json(self.out);
                continue;
            }
            self.path.push(Seg::Key(&field.key));
            let ok = match field.kind {
                FieldKind::Typename => {
                    write_json_string(self.out, typename);
                    true
                }
                FieldKind::Denied => self.denied(field),
                _ => self.value(data.get(&field.key), &field.ty, field),
            };
            self.path.pop();
            if !ok {
                return false;
            }
        }
        self.out.push(b'}');
        true
    }

    fn value(
        &mut self,
        value: Option<&'p Data<'_>>,
        ty: &'p TypeRef,
        field: &'p FieldPlan,
    ) -> bool {
        let Some(shared) = value.filter(|v| v.is_repeated()) else {
            return self.value_in_place(value, ty, field);
        };
        if !matches!(field.kind, FieldKind::Composite(_)) {
            return self.value_in_place(value, ty, field);
        }
        let key = (
            std::ptr::from_ref(shared.resolve()) as usize,
            std::ptr::from_ref(ty) as usize,
        );
        if let Some(&(start, end)) = self.written.get(&key) {
            self.out.extend_from_within(start..end);
            return true;
        }
        let (start, checks) = (self.out.len(), self.checks);
        let ok = self.value_in_place(value, ty, field);
        if ok && self.checks == checks {
            self.written.insert(key, (start, self.out.len()));
        }
        ok
    }

    /// Drops what was written from `start` on, and the reusable subtrees within it.
    fn truncate(&mut self, start: usize) {
        self.out.truncate(start);
        self.written.retain(|_, (_, end)| *end <= start);
    }

    fn value_in_place(
        &mut self,
        value: Option<&'p Data<'_>>,
        ty: &'p TypeRef,
        field: &'p FieldPlan,
    ) -> bool {
        let value = value
            .map(Data::resolve)
            .filter(|v| !v.is_null() && !field.hides(v));
        if let TypeRef::NonNull(inner) = ty {
            let Some(value) = value else {
                self.null_error(field);
                return false;
            };
            return self.non_null(value, inner, field);
        }
        let Some(value) = value else {
            self.out.extend_from_slice(b"null");
            return true;
        };
        let start = self.out.len();
        if !self.non_null(value, ty, field) {
            self.truncate(start);
            self.out.extend_from_slice(b"null");
        }
        true
    }

    fn non_null(&mut self, value: &'p Data<'_>, ty: &'p TypeRef, field: &'p FieldPlan) -> bool {
        match ty {
            TypeRef::NonNull(inner) => self.non_null(value, inner, field),
            TypeRef::List(inner) => {
                let Data::Array(items) = value else {
                    // A scalar where a list belongs is coerced to a one-item list, as on input.
                    self.out.push(b'[');
                    let ok = self.value(Some(value), inner, field);
                    self.out.push(b']');
                    return ok;
                };
                self.out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    self.path.push(Seg::Index(i));
                    let ok = self.value(Some(item), inner, field);
                    self.path.pop();
                    if !ok {
                        return false;
                    }
                }
                self.out.push(b']');
                true
            }
            TypeRef::Named(name) => match (&field.kind, value) {
                (FieldKind::Composite(plan), Data::Object(map)) => self.object(map, plan, name),
                (FieldKind::Composite(_), _) => {
                    self.null_error(field);
                    false
                }
                (FieldKind::Enum(values), Data::String(v))
                    if !values.visible.contains(v.as_ref()) =>
                {
                    self.enum_error(field, v);
                    false
                }
                _ => {
                    // Leaves pass through: subgraphs already serialized them per their type.
                    value.write_json(self.out);
                    true
                }
            },
        }
    }

    fn current_path(&self) -> Vec<Value> {
        self.path
            .iter()
            .map(|s| match s {
                Seg::Key(k) => Value::String((*k).to_string()),
                Seg::Index(i) => Value::from(*i),
            })
            .collect()
    }

    /// Writes a denied field as null with its error; `false` when it is non-null, so that its
    /// parent is null instead (the error explains that null too).
    fn denied(&mut self, field: &FieldPlan) -> bool {
        self.checks += 1;
        let mut error =
            GraphQLError::with_code("Unauthorized field or type", ErrorCode::UnauthorizedField)
                .path(self.current_path());
        error.locations.push(field.location);
        self.errors.push(error);
        if field.ty.is_non_null() {
            return false;
        }
        self.out.extend_from_slice(b"null");
        true
    }

    fn enum_error(&mut self, field: &FieldPlan, value: &str) {
        self.checks += 1;
        let mut error = GraphQLError::new(format!(
            "Enum \"{}\" cannot represent value: \"{value}\"",
            field.ty.named()
        ))
        .path(self.current_path());
        error.locations.push(field.location);
        self.errors.push(error);
    }

    /// Adds the spec's error for a null in a non-null position, unless a subgraph error
    /// already explains this null (an error at this path or below it).
    fn null_error(&mut self, field: &FieldPlan) {
        self.checks += 1;
        let path = self.current_path();
        let explained = self.errors.iter().any(|e| match &e.path {
            Some(p) => p.len() >= path.len() && p[..path.len()] == path[..],
            None => false,
        });
        if explained {
            return;
        }
        let mut error = GraphQLError::new(format!(
            "Cannot return null for non-nullable field {}.{}.",
            field.parent, field.name
        ))
        .path(path);
        error.locations.push(field.location);
        self.errors.push(error);
    }
}

/// Writes the final `{"data":…,"errors":[…]}` body; `true` with it when it holds errors.
/// Writes the response body; `extensions` is the JSON object of its `extensions` member.
pub fn write_response(
    projection: Option<&Projection>,
    data: &json::Value<'_>,
    mut errors: Vec<GraphQLError>,
    extensions: Option<&str>,
) -> (Vec<u8>, bool) {
    let capacity = projection.map_or(4096, |p| p.last_size.load(Ordering::Relaxed));
    let mut out = Vec::with_capacity(capacity);
    out.extend_from_slice(b"{\"data\":");
    match projection {
        Some(p) => p.write_data(data, &mut errors, &mut out),
        None => out.extend_from_slice(b"null"),
    }
    if !errors.is_empty() {
        out.extend_from_slice(b",\"errors\":");
        let _ = serde_json::to_writer(&mut out, &errors);
    }
    if let Some(extensions) = extensions {
        out.extend_from_slice(b",\"extensions\":");
        out.extend_from_slice(extensions.as_bytes());
    }
    let _ = out.write_all(b"}");
    if let Some(p) = projection {
        p.last_size.store(out.len(), Ordering::Relaxed);
    }
    (out, !errors.is_empty())
}

impl super::PreparedOperation {
    /// The response shape for these variable values (compiled once per distinct set).
    pub fn projection(
        &self,
        state: &SchemaState,
        variables: &Map<String, Value>,
    ) -> Arc<Projection> {
        let key: Vec<Option<bool>> = self
            .condition_variables
            .iter()
            .map(|v| variables.get(v).and_then(Value::as_bool))
            .collect();
        let mut cache = self.projections.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = cache.get(&key) {
            return p.clone();
        }
        let (selection_set, _) = self.operation();
        let root = state
            .api
            .root_type(self.kind)
            .unwrap_or(&state.api.query_type);
        let projection = Arc::new(Projection::compile(
            state,
            &self.document,
            root,
            selection_set,
            variables,
            &self.denied,
        ));
        // Bounded: each entry is one combination of boolean variables a client sent.
        if cache.len() < 64 {
            cache.insert(key, projection.clone());
        }
        projection
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(query: &str, data: &Data<'_>) -> (String, Vec<GraphQLError>) {
        let sdl = include_str!("../../tests/fixtures/products.graphql");
        let state = SchemaState::from_sdl(sdl, &HashMap::new()).expect("supergraph");
        let document = graphql_tools::parser::parse_query::<String>(query)
            .expect("query")
            .into_static();
        let Some(q::Definition::Operation(q::OperationDefinition::SelectionSet(set))) =
            document.definitions.first()
        else {
            panic!("one anonymous query")
        };
        let projection = Projection::compile(
            &state,
            &document,
            "Query",
            set,
            &Map::new(),
            &HashSet::new(),
        );
        let (mut errors, mut out) = (Vec::new(), Vec::new());
        projection.write_data(data, &mut errors, &mut out);
        (String::from_utf8(out).expect("utf-8"), errors)
    }

    #[test]
    fn a_shared_subtree_is_written_once_per_position_with_its_own_errors() {
        let authors: Data<'_> = serde_json::from_str(
            r#"[{"__typename":"User","id":"1","name":"Ada"},{"__typename":"User","id":null}]"#,
        )
        .expect("json");
        let Data::Array(authors) = &authors else {
            panic!("a list")
        };
        // Each author stored once and shared by two reviews, as `share_repeated_subtrees`
        // leaves them.
        let authors: Vec<Data<'_>> = authors
            .iter()
            .map(|a| Data::Shared(std::sync::Arc::new(a.clone())))
            .collect();
        let mut reviews = Vec::new();
        for author in [&authors[0], &authors[0], &authors[1], &authors[1]] {
            let mut object = Object::default();
            object.push("author".into(), Data::shared(author));
            reviews.push(Data::Object(object));
        }
        let mut product = Object::default();
        product.push("reviews".into(), Data::Array(reviews));
        let mut root = Object::default();
        root.push(
            "topProducts".into(),
            Data::Array(vec![Data::Object(product)]),
        );
        let (json, errors) = shape(
            "{ topProducts { reviews { author { id name } } } }",
            &Data::Object(root),
        );
        let ada = r#"{"author":{"id":"1","name":"Ada"}}"#;
        let none = r#"{"author":null}"#;
        assert_eq!(
            json,
            format!(r#"{{"topProducts":[{{"reviews":[{ada},{ada},{none},{none}]}}]}}"#)
        );
        let paths: Vec<_> = errors.iter().map(|e| e.path.clone()).collect();
        let path = |i: usize| {
            Some(vec![
                Value::from("topProducts"),
                Value::from(0),
                Value::from("reviews"),
                Value::from(i),
                Value::from("author"),
                Value::from("id"),
            ])
        };
        assert_eq!(paths, [path(2), path(3)], "one error per position");
    }
}
