//! Demand control: an operation's cost estimated before it is planned, from the supergraph's
//! `@cost` and `@listSize` (the IBM cost directives, with the static estimate Apollo's and
//! Hive's routers make). An operation costs its type's base (mutation 10, else 0) plus its
//! fields; a field costs `size × (weight + its selections) + its arguments`, where the weight
//! is the field's `@cost`, else its type's, else 1 for objects, interfaces and unions and 0 for
//! scalars and enums, and `size` is 1 for a non-list, else what `@listSize` says (the largest
//! slicing argument sent, a size a parent's `sizedFields` passes down, `assumedSize`), else
//! `demand_control.list_size`.

use std::collections::HashMap;

use graphql_tools::parser::query::{self as q, Selection};
use graphql_tools::parser::schema::{self as s, Definition, TypeDefinition};
use serde_json::{Map, Value};

use crate::ast::{Document, Fragments, OperationType};
use crate::error::{ErrorCode, GraphQLError};
use crate::schema::{SchemaIndex, TypeRef};

/// The cost weights of a supergraph: what its `@cost` and `@listSize` say.
#[derive(Debug, Default)]
pub struct CostModel {
    /// `@cost` on object, scalar and enum types.
    types: HashMap<String, u64>,
    /// Per (type, field): its `@cost`, its arguments' and its `@listSize`.
    fields: HashMap<(String, String), FieldCost>,
    /// `@cost` on input fields, per (input type, field).
    input_fields: HashMap<(String, String), u64>,
}

#[derive(Debug, Default)]
struct FieldCost {
    weight: Option<u64>,
    arguments: HashMap<String, u64>,
    list_size: Option<ListSize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ListSize {
    assumed_size: Option<u64>,
    /// Each a path into the field's arguments (`"input.first"` → `["input", "first"]`).
    slicing_arguments: Vec<Vec<String>>,
    sized_fields: Vec<String>,
    require_one_slicing_argument: bool,
}

/// Whether a directive is the cost spec's `name` (as composed, or under federation's prefix).
fn is_directive(directive: &s::Directive<'static, String>, name: &str) -> bool {
    directive.name == name
        || directive
            .name
            .strip_prefix("federation__")
            .is_some_and(|n| n == name)
}

fn int_argument(directive: &s::Directive<'static, String>, name: &str) -> Option<u64> {
    directive
        .arguments
        .iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, v)| match v {
            s::Value::Int(n) => n.as_i64().and_then(|n| u64::try_from(n).ok()),
            _ => None,
        })
}

fn strings_argument(directive: &s::Directive<'static, String>, name: &str) -> Vec<String> {
    directive
        .arguments
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| match v {
            s::Value::List(items) => items
                .iter()
                .filter_map(|item| match item {
                    s::Value::String(text) => Some(text.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        })
        .unwrap_or_default()
}

fn cost_of(directives: &[s::Directive<'static, String>]) -> Option<u64> {
    directives
        .iter()
        .find(|d| is_directive(d, "cost"))
        .and_then(|d| int_argument(d, "weight"))
}

fn list_size_of(directives: &[s::Directive<'static, String>]) -> Option<ListSize> {
    let directive = directives.iter().find(|d| is_directive(d, "listSize"))?;
    let require_one = directive
        .arguments
        .iter()
        .find(|(n, _)| n == "requireOneSlicingArgument")
        .is_none_or(|(_, v)| !matches!(v, s::Value::Boolean(false)));
    Some(ListSize {
        assumed_size: int_argument(directive, "assumedSize"),
        slicing_arguments: strings_argument(directive, "slicingArguments")
            .iter()
            .map(|path| path.split('.').map(str::to_string).collect())
            .collect(),
        sized_fields: strings_argument(directive, "sizedFields"),
        require_one_slicing_argument: require_one,
    })
}

impl CostModel {
    /// Reads `@cost` and `@listSize` from a supergraph document.
    pub fn from_supergraph(document: &s::Document<'static, String>) -> Self {
        let mut model = CostModel::default();
        for definition in &document.definitions {
            let Definition::TypeDefinition(definition) = definition else {
                continue;
            };
            match definition {
                TypeDefinition::Object(o) => {
                    model.type_weight(&o.name, &o.directives);
                    model.add_fields(&o.name, &o.fields);
                }
                TypeDefinition::Interface(i) => model.add_fields(&i.name, &i.fields),
                TypeDefinition::Scalar(t) => model.type_weight(&t.name, &t.directives),
                TypeDefinition::Enum(t) => model.type_weight(&t.name, &t.directives),
                TypeDefinition::InputObject(input) => {
                    for field in &input.fields {
                        if let Some(weight) = cost_of(&field.directives) {
                            model
                                .input_fields
                                .insert((input.name.clone(), field.name.clone()), weight);
                        }
                    }
                }
                TypeDefinition::Union(_) => {}
            }
        }
        model
    }

    fn type_weight(&mut self, name: &str, directives: &[s::Directive<'static, String>]) {
        if let Some(weight) = cost_of(directives) {
            self.types.insert(name.to_string(), weight);
        }
    }

    fn add_fields(&mut self, type_name: &str, fields: &[s::Field<'static, String>]) {
        for field in fields {
            let cost = FieldCost {
                weight: cost_of(&field.directives),
                arguments: field
                    .arguments
                    .iter()
                    .filter_map(|a| cost_of(&a.directives).map(|w| (a.name.clone(), w)))
                    .collect(),
                list_size: list_size_of(&field.directives),
            };
            if cost.weight.is_some() || !cost.arguments.is_empty() || cost.list_size.is_some() {
                self.fields
                    .insert((type_name.to_string(), field.name.clone()), cost);
            }
        }
    }
}

/// An operation's estimate, and whether it read a variable (else it holds for every request
/// of the operation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    pub cost: u64,
    pub reads_variables: bool,
}

/// Estimates the cost of the operation `selection_set` of `kind` in `document` (validated
/// against `api`), with the request's coerced `variables`. `default_list_size` sizes lists
/// that `@listSize` says nothing about. Fails, with `COST_QUERY_PARSE_FAILURE`, on a field
/// whose `@listSize` requires exactly one slicing argument and gets none or several.
pub fn estimate(
    model: &CostModel,
    api: &SchemaIndex,
    document: &Document,
    kind: OperationType,
    selection_set: &q::SelectionSet<'static, String>,
    variables: &Map<String, Value>,
    default_list_size: u64,
) -> Result<Estimate, Box<GraphQLError>> {
    let fragments = crate::ast::fragments(document);
    let mut estimator = Estimator {
        model,
        api,
        fragments: &fragments,
        variables,
        default_list_size,
        memo: HashMap::new(),
        reads_variables: false,
    };
    let root = api.root_type(kind).unwrap_or(&api.query_type);
    let base = if kind == OperationType::Mutation {
        10
    } else {
        0
    };
    let fields = estimator.selection_set(selection_set, root, None, 0)?;
    Ok(Estimate {
        cost: fields.saturating_add(base),
        reads_variables: estimator.reads_variables,
    })
}

/// A list size that a field's `@listSize(sizedFields:)` gives the named child fields.
#[derive(Clone, Copy)]
struct Sized<'m> {
    fields: &'m [String],
    size: u64,
}

struct Estimator<'a, 'd> {
    model: &'a CostModel,
    api: &'a SchemaIndex,
    fragments: &'a Fragments<'d>,
    variables: &'a Map<String, Value>,
    default_list_size: u64,
    /// The cost of each named fragment without sized fields from its parent (each fragment
    /// is walked once per request, so fragment bombs cost their size, not their expansion).
    memo: HashMap<&'d str, u64>,
    reads_variables: bool,
}

/// Validation bounds nesting (`limits.max_depth`); fragment cycles are refused by validation
/// too. This is a guard, not a rule.
const MAX_NESTING: usize = 512;

impl<'a, 'd> Estimator<'a, 'd> {
    fn selection_set(
        &mut self,
        set: &'d q::SelectionSet<'static, String>,
        parent: &str,
        sized: Option<Sized<'a>>,
        depth: usize,
    ) -> Result<u64, Box<GraphQLError>> {
        if depth > MAX_NESTING {
            return Ok(0);
        }
        let mut total = 0u64;
        for selection in &set.items {
            let cost = match selection {
                Selection::Field(field) => {
                    if !self.selected(&field.directives) {
                        continue;
                    }
                    self.field(field, parent, sized, depth)?
                }
                Selection::InlineFragment(inline) => {
                    if !self.selected(&inline.directives) {
                        continue;
                    }
                    let parent = match &inline.type_condition {
                        Some(q::TypeCondition::On(condition)) => condition.as_str(),
                        None => parent,
                    };
                    self.selection_set(&inline.selection_set, parent, sized, depth + 1)?
                }
                Selection::FragmentSpread(spread) => {
                    if !self.selected(&spread.directives) {
                        continue;
                    }
                    self.spread(spread.fragment_name.as_str(), sized, depth)?
                }
            };
            total = total.saturating_add(cost);
        }
        Ok(total)
    }

    fn spread(
        &mut self,
        name: &'d str,
        sized: Option<Sized<'a>>,
        depth: usize,
    ) -> Result<u64, Box<GraphQLError>> {
        if sized.is_none()
            && let Some(cost) = self.memo.get(name)
        {
            return Ok(*cost);
        }
        let Some(fragment) = self.fragments.get(name) else {
            return Ok(0);
        };
        let q::TypeCondition::On(condition) = &fragment.type_condition;
        let cost = self.selection_set(&fragment.selection_set, condition, sized, depth + 1)?;
        if sized.is_none() {
            self.memo.insert(name, cost);
        }
        Ok(cost)
    }

    fn field(
        &mut self,
        field: &'d q::Field<'static, String>,
        parent: &str,
        sized: Option<Sized<'a>>,
        depth: usize,
    ) -> Result<u64, Box<GraphQLError>> {
        let model = self.model;
        let api = self.api;
        // Introspection and `__typename` cost nothing; validation knows every other field.
        let Some(definition) = api.field(parent, &field.name) else {
            return Ok(0);
        };
        let named = definition.ty.named();
        let cost = model
            .fields
            .get(&(parent.to_string(), field.name.clone()))
            .or_else(|| self.interface_field_cost(parent, &field.name));
        let list_size = cost.and_then(|c| c.list_size.as_ref());
        let slicing = match list_size {
            Some(list_size) => self.slicing_size(field, list_size)?,
            None => None,
        };
        let size = if !definition.ty.is_list() {
            1
        } else if let Some(size) = sized
            .filter(|s| s.fields.contains(&field.name))
            .map(|s| s.size)
        {
            size
        } else {
            slicing
                .or_else(|| list_size.and_then(|l| l.assumed_size))
                .unwrap_or(self.default_list_size)
        };
        let weight = cost
            .and_then(|c| c.weight)
            .or_else(|| model.types.get(named).copied())
            .unwrap_or_else(|| {
                u64::from(
                    api.get(named)
                        .is_some_and(crate::schema::TypeDef::is_composite),
                )
            });
        // What this field's `sizedFields` are sized by: the slicing argument, else the
        // assumed size.
        let child_sized = list_size.and_then(|l| {
            let size = slicing.or(l.assumed_size)?;
            (!l.sized_fields.is_empty()).then_some(Sized {
                fields: &l.sized_fields,
                size,
            })
        });
        let selections = self.selection_set(&field.selection_set, named, child_sized, depth + 1)?;
        let arguments = match cost {
            Some(cost) => self.arguments_cost(field, &definition.args, cost),
            None => self.input_cost(field, &definition.args),
        };
        Ok(size
            .saturating_mul(weight.saturating_add(selections))
            .saturating_add(arguments))
    }

    /// A field of an object type without weights of its own takes those of the same field on
    /// an interface it implements (where the directives were written).
    fn interface_field_cost(&self, parent: &str, field: &str) -> Option<&'a FieldCost> {
        let model = self.model;
        let api = self.api;
        api.get(parent)?
            .interfaces
            .iter()
            .find_map(|i| model.fields.get(&(i.clone(), field.to_string())))
    }

    /// The largest slicing argument the field was given; fails when `@listSize` requires
    /// exactly one and the field got none or several.
    fn slicing_size(
        &mut self,
        field: &q::Field<'static, String>,
        list_size: &ListSize,
    ) -> Result<Option<u64>, Box<GraphQLError>> {
        if list_size.slicing_arguments.is_empty() {
            return Ok(None);
        }
        let mut given = 0;
        let mut largest: Option<u64> = None;
        for path in &list_size.slicing_arguments {
            let Some((first, rest)) = path.split_first() else {
                continue;
            };
            let Some(value) = self.argument_value(field, first) else {
                continue;
            };
            let value = rest
                .iter()
                .try_fold(value, |v, key| v.get(key).cloned())
                .filter(|v| !v.is_null());
            if let Some(value) = value {
                given += 1;
                let size = value.as_u64().unwrap_or(0);
                largest = Some(largest.map_or(size, |l| l.max(size)));
            }
        }
        if list_size.require_one_slicing_argument && given != 1 {
            return Err(Box::new(
                GraphQLError::with_code(
                format!(
                    "Exactly one slicing argument is required on field \"{}\", but {given} were given",
                    field.name
                ),
                    ErrorCode::CostQueryParseFailure,
                )
                .at(field.position.line, field.position.column),
            ));
        }
        Ok(largest)
    }

    /// An argument's value as sent (variables substituted); `None` when absent or null.
    fn argument_value(&mut self, field: &q::Field<'static, String>, name: &str) -> Option<Value> {
        let (_, value) = field.arguments.iter().find(|(n, _)| n == name)?;
        if contains_variable(value) {
            self.reads_variables = true;
        }
        Some(crate::ast::to_json(value, self.variables)).filter(|v| !v.is_null())
    }

    fn arguments_cost(
        &mut self,
        field: &q::Field<'static, String>,
        definitions: &[crate::schema::InputValueDef],
        cost: &FieldCost,
    ) -> u64 {
        let mut total = self.input_cost(field, definitions);
        for (name, weight) in &cost.arguments {
            if self.argument_value(field, name).is_some() {
                total = total.saturating_add(*weight);
            }
        }
        total
    }

    /// What the `@cost` of input fields in the field's arguments add.
    fn input_cost(
        &mut self,
        field: &q::Field<'static, String>,
        definitions: &[crate::schema::InputValueDef],
    ) -> u64 {
        if self.model.input_fields.is_empty() {
            return 0;
        }
        let mut total = 0u64;
        for definition in definitions {
            if let Some(value) = self.argument_value(field, &definition.name) {
                total = total.saturating_add(self.input_value_cost(&definition.ty, &value));
            }
        }
        total
    }

    fn input_value_cost(&self, ty: &TypeRef, value: &Value) -> u64 {
        match value {
            Value::Array(items) => items.iter().fold(0u64, |total, item| {
                total.saturating_add(self.input_value_cost(ty, item))
            }),
            Value::Object(fields) => {
                let name = ty.named();
                let Some(input) = self.api.get(name) else {
                    return 0;
                };
                let mut total = 0u64;
                for definition in &input.input_fields {
                    let Some(value) = fields.get(&definition.name).filter(|v| !v.is_null()) else {
                        continue;
                    };
                    let own = self
                        .model
                        .input_fields
                        .get(&(name.to_string(), definition.name.clone()))
                        .copied()
                        .unwrap_or(0);
                    total = total
                        .saturating_add(own)
                        .saturating_add(self.input_value_cost(&definition.ty, value));
                }
                total
            }
            _ => 0,
        }
    }

    fn selected(&mut self, directives: &[q::Directive<'static, String>]) -> bool {
        if directives
            .iter()
            .any(|d| d.arguments.iter().any(|(_, v)| contains_variable(v)))
        {
            self.reads_variables = true;
        }
        crate::value::is_selected(directives, self.variables)
    }
}

fn contains_variable(value: &q::Value<'static, String>) -> bool {
    match value {
        q::Value::Variable(_) => true,
        q::Value::List(items) => items.iter().any(contains_variable),
        q::Value::Object(fields) => fields.iter().any(|(_, v)| contains_variable(v)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SCHEMA: &str = r#"
        type Query {
          book(id: ID): Book
          bestsellers(limit: Int, offset: Int): [Book] @listSize(slicingArguments: ["limit"], requireOneSlicingArgument: false)
          topBooks(first: Int, last: Int): [Book] @listSize(slicingArguments: ["first", "last"])
          allBooks: [Book]
          featured: [Book] @listSize(assumedSize: 5)
          searchBooks(first: Int): BookCursor @listSize(slicingArguments: ["first"], sizedFields: ["page"])
          filtered(input: Paging): [Book] @listSize(slicingArguments: ["input.first"])
          expensive(arg: Int @cost(weight: 3), filter: Filter): Int @cost(weight: 20)
          search(term: String): [Result] @listSize(assumedSize: 2)
        }
        type Mutation { addBook(title: String): Book }
        type BookCursor { cursor: String page: [Book] }
        type Book { title: String author: Author publisher: Publisher rating: Rating }
        type Author { name: String }
        type Publisher { name: String address: Address }
        type Address @cost(weight: 5) { zipCode: Int }
        scalar Rating @cost(weight: 2)
        type Movie { title: String }
        union Result = Book | Movie
        input Paging { first: Int }
        input Filter { exact: String @cost(weight: 7) fuzzy: String }
    "#;

    fn cost(query: &str, variables: serde_json::Value) -> Result<Estimate, Box<GraphQLError>> {
        let schema = graphql_tools::parser::parse_schema::<String>(SCHEMA)
            .expect("schema")
            .into_static();
        let model = CostModel::from_supergraph(&schema);
        let api = SchemaIndex::build(&schema);
        let document = graphql_tools::parser::parse_query::<String>(query)
            .expect("query")
            .into_static();
        let op = document
            .definitions
            .iter()
            .find_map(|d| match d {
                q::Definition::Operation(op) => Some(op),
                q::Definition::Fragment(_) => None,
            })
            .expect("operation");
        let kind = crate::ast::operation_type(op);
        let (set, _) = crate::ast::operation_parts(op);
        let variables = variables.as_object().cloned().unwrap_or_default();
        estimate(&model, &api, &document, kind, set, &variables, 10)
    }

    fn cost_of_query(query: &str) -> u64 {
        cost(query, json!({})).expect("estimate").cost
    }

    #[test]
    fn counts_objects_one_and_leaves_zero_as_the_spec_example_does() {
        // The demand control documentation's BookQuery: 1 book + 1 author + 1 publisher +
        // 1 address = 4, here with the address type weighing 5 (@cost on a type): 8.
        let query = "query BookQuery { book(id: 1) { title author { name } publisher { name address { zipCode } } } }";
        assert_eq!(cost_of_query(query), 8);
        assert_eq!(
            cost_of_query("{ book(id: 1) { title author { name } publisher { name } } }"),
            3
        );
    }

    #[test]
    fn a_mutation_costs_ten_more() {
        assert_eq!(
            cost_of_query("mutation { addBook(title: \"x\") { title } }"),
            11
        );
    }

    #[test]
    fn weights_from_cost_on_fields_scalars_and_arguments_apply() {
        // @cost(weight: 20) on the field replaces its type's weight; the argument adds 3.
        assert_eq!(cost_of_query("{ expensive }"), 20);
        assert_eq!(cost_of_query("{ expensive(arg: 1) }"), 23);
        // An input field with @cost counts when it is given.
        assert_eq!(
            cost_of_query("{ expensive(filter: { exact: \"a\", fuzzy: \"b\" }) }"),
            27
        );
        // A custom scalar with @cost(weight: 2).
        assert_eq!(cost_of_query("{ book { rating } }"), 3);
    }

    #[test]
    fn lists_are_sized_by_slicing_arguments_from_literals_and_variables() {
        // 5 × (1 book + 1 author).
        assert_eq!(
            cost_of_query("{ bestsellers(limit: 5) { title author { name } } }"),
            10
        );
        let by_variable = cost(
            "query($n: Int) { bestsellers(limit: $n) { title author { name } } }",
            json!({ "n": 50 }),
        )
        .expect("estimate");
        assert_eq!(
            by_variable,
            Estimate {
                cost: 100,
                reads_variables: true
            }
        );
        // Nested slicing argument path.
        assert_eq!(
            cost_of_query("{ filtered(input: { first: 3 }) { title } }"),
            3
        );
    }

    #[test]
    fn lists_without_slicing_use_assumed_size_then_the_default() {
        assert_eq!(cost_of_query("{ featured { title } }"), 5);
        assert_eq!(cost_of_query("{ allBooks { title } }"), 10);
        // Not required and not sent: the default size.
        assert_eq!(cost_of_query("{ bestsellers { title } }"), 10);
    }

    #[test]
    fn sized_fields_take_the_size_of_their_parent_slicing_argument() {
        // 1 cursor + 4 × (1 book + 1 author).
        assert_eq!(
            cost_of_query("{ searchBooks(first: 4) { cursor page { title author { name } } } }"),
            9
        );
    }

    #[test]
    fn requires_exactly_one_slicing_argument_when_the_directive_says_so() {
        let none = cost("{ topBooks { title } }", json!({})).expect_err("none given");
        assert_eq!(
            none.extensions.get("code"),
            Some(&json!("COST_QUERY_PARSE_FAILURE"))
        );
        assert!(cost("{ topBooks(first: 1, last: 2) { title } }", json!({})).is_err());
        assert_eq!(cost_of_query("{ topBooks(last: 2) { title } }"), 2);
        // A variable that is null counts as not given.
        assert!(
            cost(
                "query($f: Int) { topBooks(first: $f) { title } }",
                json!({})
            )
            .is_err()
        );
    }

    #[test]
    fn fragments_count_once_per_use_and_skipped_selections_not_at_all() {
        let query = "{ a: book { ...B } b: book { ...B } } fragment B on Book { author { name } publisher { name } }";
        assert_eq!(cost_of_query(query), 6);
        let skipped = cost(
            "query($no: Boolean!) { book { author @skip(if: $no) { name } publisher { name } } }",
            json!({ "no": true }),
        )
        .expect("estimate");
        assert_eq!(skipped.cost, 2);
        assert!(skipped.reads_variables);
        assert!(
            !cost("{ book { title } }", json!({}))
                .expect("estimate")
                .reads_variables
        );
    }

    #[test]
    fn abstract_types_add_each_type_condition() {
        // 2 × (1 result + 1 author under the Book condition).
        assert_eq!(
            cost_of_query("{ search { ... on Book { author { name } } ... on Movie { title } } }"),
            4
        );
    }
}
