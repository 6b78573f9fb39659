//! Helpers over parsed GraphQL documents, shared by every stage: the operation's parts and
//! type, the fragment map (built here only), selection-set access, `__typename` selections,
//! and literals as JSON.

use std::collections::HashMap;

use graphql_tools::parser::query::{
    self as q, Definition, OperationDefinition, Selection, Value as AstValue,
};
use serde_json::{Map, Number, Value};

/// A parsed client document.
pub type Document = q::Document<'static, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperationType {
    Query,
    Mutation,
    Subscription,
}

impl OperationType {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationType::Query => "query",
            OperationType::Mutation => "mutation",
            OperationType::Subscription => "subscription",
        }
    }
}

pub fn operation_type(op: &OperationDefinition<'static, String>) -> OperationType {
    match op {
        OperationDefinition::SelectionSet(_) | OperationDefinition::Query(_) => {
            OperationType::Query
        }
        OperationDefinition::Mutation(_) => OperationType::Mutation,
        OperationDefinition::Subscription(_) => OperationType::Subscription,
    }
}

pub fn selection_set_mut<'d>(
    op: &'d mut OperationDefinition<'static, String>,
) -> &'d mut q::SelectionSet<'static, String> {
    match op {
        OperationDefinition::SelectionSet(s) => s,
        OperationDefinition::Query(q) => &mut q.selection_set,
        OperationDefinition::Mutation(m) => &mut m.selection_set,
        OperationDefinition::Subscription(s) => &mut s.selection_set,
    }
}

pub fn operation_parts<'d>(
    op: &'d OperationDefinition<'static, String>,
) -> (
    &'d q::SelectionSet<'static, String>,
    &'d [q::VariableDefinition<'static, String>],
) {
    match op {
        OperationDefinition::SelectionSet(s) => (s, &[]),
        OperationDefinition::Query(q) => (&q.selection_set, &q.variable_definitions),
        OperationDefinition::Mutation(m) => (&m.selection_set, &m.variable_definitions),
        OperationDefinition::Subscription(s) => (&s.selection_set, &s.variable_definitions),
    }
}

pub fn operation_name<'d>(op: &'d OperationDefinition<'static, String>) -> Option<&'d str> {
    match op {
        OperationDefinition::SelectionSet(_) => None,
        OperationDefinition::Query(q) => q.name.as_deref(),
        OperationDefinition::Mutation(m) => m.name.as_deref(),
        OperationDefinition::Subscription(s) => s.name.as_deref(),
    }
}

/// Fragment definitions by name.
pub type Fragments<'d> = HashMap<&'d str, &'d q::FragmentDefinition<'static, String>>;

pub fn fragments(document: &Document) -> Fragments<'_> {
    document
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::Fragment(f) => Some((f.name.as_str(), f)),
            Definition::Operation(_) => None,
        })
        .collect()
}

pub fn typename_selection(
    span: (graphql_tools::parser::Pos, graphql_tools::parser::Pos),
) -> Selection<'static, String> {
    Selection::Field(q::Field {
        position: span.0,
        alias: None,
        name: "__typename".to_string(),
        arguments: Vec::new(),
        directives: Vec::new(),
        selection_set: q::SelectionSet {
            span,
            items: Vec::new(),
        },
    })
}

/// Converts a literal without variables (schema defaults) to JSON.
pub fn const_to_json(value: &AstValue<'static, String>) -> Value {
    to_json(value, &Map::new())
}

/// Converts a literal to JSON, substituting variables (absent variables become null).
pub fn to_json(value: &AstValue<'static, String>, variables: &Map<String, Value>) -> Value {
    match value {
        AstValue::Variable(name) => variables.get(name).cloned().unwrap_or(Value::Null),
        AstValue::Int(n) => n.as_i64().map(Value::from).unwrap_or(Value::Null),
        AstValue::Float(f) => Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        AstValue::String(s) => Value::String(s.clone()),
        AstValue::Boolean(b) => Value::Bool(*b),
        AstValue::Null => Value::Null,
        AstValue::Enum(e) => Value::String(e.clone()),
        AstValue::List(items) => {
            Value::Array(items.iter().map(|v| to_json(v, variables)).collect())
        }
        AstValue::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v, variables)))
                .collect(),
        ),
    }
}
