//! Answers `__schema` and `__type` from the API schema, so clients never see the
//! supergraph's `join__`/`link` machinery or `@inaccessible` parts.

use graphql_tools::parser::query::{self as q, Selection};
use serde_json::{Map, Value};

use crate::ast::to_json as ast_to_json;
use crate::schema::{
    DirectiveDef, EnumValueDef, FieldDef, InputValueDef, SchemaIndex, TypeDef, TypeKind, TypeRef,
};
use crate::value::is_selected;

use crate::ast::Fragments;

struct Ctx<'a> {
    schema: &'a SchemaIndex,
    fragments: Fragments<'a>,
    variables: &'a Map<String, Value>,
}

enum Node<'s> {
    Schema,
    Type(TypeView<'s>),
    Field(&'s FieldDef),
    InputValue(&'s InputValueDef),
    EnumValue(&'s EnumValueDef),
    Directive(&'s DirectiveDef),
}

#[derive(Clone, Copy)]
enum TypeView<'s> {
    Named(&'s TypeDef),
    List(&'s TypeRef),
    NonNull(&'s TypeRef),
}

impl Node<'_> {
    fn typename(&self) -> &'static str {
        match self {
            Node::Schema => "__Schema",
            Node::Type(_) => "__Type",
            Node::Field(_) => "__Field",
            Node::InputValue(_) => "__InputValue",
            Node::EnumValue(_) => "__EnumValue",
            Node::Directive(_) => "__Directive",
        }
    }
}

/// Resolves every root `__schema`/`__type` selection into `{responseKey: value}`.
pub fn resolve_root(
    schema: &SchemaIndex,
    document: &q::Document<'static, String>,
    selection_set: &q::SelectionSet<'static, String>,
    variables: &Map<String, Value>,
) -> Map<String, Value> {
    let fragments = crate::ast::fragments(document);
    let ctx = Ctx {
        schema,
        fragments,
        variables,
    };
    let mut out = Map::new();
    let mut fields = Vec::new();
    ctx.collect(selection_set, &schema.query_type, &mut fields);
    for field in fields {
        let key = field.alias.as_deref().unwrap_or(&field.name).to_string();
        let value = match field.name.as_str() {
            "__schema" => ctx.object(&Node::Schema, &field.selection_set),
            "__type" => {
                let name = ctx.arg(field, "name");
                match name.as_str().and_then(|n| schema.get(n)) {
                    Some(t) => ctx.object(&Node::Type(TypeView::Named(t)), &field.selection_set),
                    None => Value::Null,
                }
            }
            _ => continue,
        };
        merge_into(&mut out, key, value);
    }
    out
}

fn merge_into(out: &mut Map<String, Value>, key: String, value: Value) {
    match (out.get_mut(&key), value) {
        (Some(Value::Object(existing)), Value::Object(more)) => {
            for (k, v) in more {
                merge_into(existing, k, v);
            }
        }
        (_, value) => {
            out.insert(key, value);
        }
    }
}

impl<'a> Ctx<'a> {
    fn collect(
        &self,
        set: &'a q::SelectionSet<'static, String>,
        typename: &str,
        out: &mut Vec<&'a q::Field<'static, String>>,
    ) {
        for selection in &set.items {
            match selection {
                Selection::Field(f) if is_selected(&f.directives, self.variables) => out.push(f),
                Selection::Field(_) => {}
                Selection::InlineFragment(i) => {
                    let applies = match &i.type_condition {
                        Some(q::TypeCondition::On(c)) => self.schema.does_type_apply(c, typename),
                        None => true,
                    };
                    if applies && is_selected(&i.directives, self.variables) {
                        self.collect(&i.selection_set, typename, out);
                    }
                }
                Selection::FragmentSpread(s) => {
                    if let Some(f) = self.fragments.get(s.fragment_name.as_str()) {
                        let q::TypeCondition::On(c) = &f.type_condition;
                        if self.schema.does_type_apply(c, typename)
                            && is_selected(&s.directives, self.variables)
                        {
                            self.collect(&f.selection_set, typename, out);
                        }
                    }
                }
            }
        }
    }

    fn arg(&self, field: &q::Field<'static, String>, name: &str) -> Value {
        field
            .arguments
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| ast_to_json(v, self.variables))
            .unwrap_or(Value::Null)
    }

    fn include_deprecated(&self, field: &q::Field<'static, String>) -> bool {
        self.arg(field, "includeDeprecated")
            .as_bool()
            .unwrap_or(false)
    }

    fn object(&self, node: &Node<'a>, set: &'a q::SelectionSet<'static, String>) -> Value {
        let mut fields = Vec::new();
        self.collect(set, node.typename(), &mut fields);
        let mut out = Map::new();
        for field in fields {
            let key = field.alias.as_deref().unwrap_or(&field.name).to_string();
            let value = self.field(node, field);
            merge_into(&mut out, key, value);
        }
        Value::Object(out)
    }

    fn list<I>(&self, items: I, set: &'a q::SelectionSet<'static, String>) -> Value
    where
        I: IntoIterator<Item = Node<'a>>,
    {
        Value::Array(items.into_iter().map(|n| self.object(&n, set)).collect())
    }

    fn type_ref(&self, ty: &'a TypeRef, set: &'a q::SelectionSet<'static, String>) -> Value {
        let view = match ty {
            TypeRef::Named(name) => match self.schema.get(name) {
                Some(t) => TypeView::Named(t),
                None => return Value::Null,
            },
            TypeRef::List(inner) => TypeView::List(inner),
            TypeRef::NonNull(inner) => TypeView::NonNull(inner),
        };
        self.object(&Node::Type(view), set)
    }

    fn field(&self, node: &Node<'a>, field: &'a q::Field<'static, String>) -> Value {
        let name = field.name.as_str();
        let set = &field.selection_set;
        if name == "__typename" {
            return Value::String(node.typename().to_string());
        }
        match node {
            Node::Schema => self.schema_field(name, set),
            Node::Type(view) => self.type_field(*view, field),
            Node::Field(f) => match name {
                "name" => Value::String(f.name.clone()),
                "description" => opt_str(&f.description),
                "args" => {
                    let all = self.include_deprecated(field);
                    self.list(
                        f.args
                            .iter()
                            .filter(|a| all || a.deprecation.is_none())
                            .map(Node::InputValue),
                        set,
                    )
                }
                "type" => self.type_ref(&f.ty, set),
                "isDeprecated" => Value::Bool(f.deprecation.is_some()),
                "deprecationReason" => opt_str(&f.deprecation),
                _ => Value::Null,
            },
            Node::InputValue(v) => match name {
                "name" => Value::String(v.name.clone()),
                "description" => opt_str(&v.description),
                "type" => self.type_ref(&v.ty, set),
                "defaultValue" => opt_str(&v.default_value),
                "isDeprecated" => Value::Bool(v.deprecation.is_some()),
                "deprecationReason" => opt_str(&v.deprecation),
                _ => Value::Null,
            },
            Node::EnumValue(v) => match name {
                "name" => Value::String(v.name.clone()),
                "description" => opt_str(&v.description),
                "isDeprecated" => Value::Bool(v.deprecation.is_some()),
                "deprecationReason" => opt_str(&v.deprecation),
                _ => Value::Null,
            },
            Node::Directive(d) => match name {
                "name" => Value::String(d.name.clone()),
                "description" => opt_str(&d.description),
                "locations" => {
                    Value::Array(d.locations.iter().cloned().map(Value::String).collect())
                }
                "args" => {
                    let all = self.include_deprecated(field);
                    self.list(
                        d.args
                            .iter()
                            .filter(|a| all || a.deprecation.is_none())
                            .map(Node::InputValue),
                        set,
                    )
                }
                "isRepeatable" => Value::Bool(d.repeatable),
                _ => Value::Null,
            },
        }
    }

    fn schema_field(&self, name: &str, set: &'a q::SelectionSet<'static, String>) -> Value {
        let root = |name: Option<&str>| match name.and_then(|n| self.schema.get(n)) {
            Some(t) => self.object(&Node::Type(TypeView::Named(t)), set),
            None => Value::Null,
        };
        match name {
            "description" => opt_str(&self.schema.description),
            "types" => self.list(
                self.schema
                    .type_order
                    .iter()
                    .filter_map(|n| self.schema.get(n))
                    .map(|t| Node::Type(TypeView::Named(t))),
                set,
            ),
            "queryType" => root(Some(&self.schema.query_type)),
            "mutationType" => root(self.schema.mutation_type.as_deref()),
            "subscriptionType" => root(self.schema.subscription_type.as_deref()),
            "directives" => self.list(self.schema.directives.iter().map(Node::Directive), set),
            _ => Value::Null,
        }
    }

    fn type_field(&self, view: TypeView<'a>, field: &'a q::Field<'static, String>) -> Value {
        let name = field.name.as_str();
        let set = &field.selection_set;
        let t = match view {
            TypeView::List(inner) => {
                return match name {
                    "kind" => Value::String("LIST".into()),
                    "ofType" => self.type_ref(inner, set),
                    _ => Value::Null,
                };
            }
            TypeView::NonNull(inner) => {
                return match name {
                    "kind" => Value::String("NON_NULL".into()),
                    "ofType" => self.type_ref(inner, set),
                    _ => Value::Null,
                };
            }
            TypeView::Named(t) => t,
        };
        let all = self.include_deprecated(field);
        let named = |names: &'a [String]| {
            self.list(
                names
                    .iter()
                    .filter_map(|n| self.schema.get(n))
                    .map(|t| Node::Type(TypeView::Named(t))),
                set,
            )
        };
        match name {
            "kind" => Value::String(t.kind.as_str().into()),
            "name" => Value::String(t.name.clone()),
            "description" => opt_str(&t.description),
            "specifiedByURL" => opt_str(&t.specified_by),
            "isOneOf" => match t.kind {
                TypeKind::InputObject => Value::Bool(t.one_of),
                _ => Value::Null,
            },
            "fields" => match t.kind {
                TypeKind::Object | TypeKind::Interface => self.list(
                    t.fields
                        .values()
                        .filter(|f| !f.name.starts_with("__"))
                        .filter(|f| all || f.deprecation.is_none())
                        .map(Node::Field),
                    set,
                ),
                _ => Value::Null,
            },
            "interfaces" => match t.kind {
                TypeKind::Object | TypeKind::Interface => named(&t.interfaces),
                _ => Value::Null,
            },
            "possibleTypes" => match t.kind {
                TypeKind::Interface | TypeKind::Union => named(&t.possible_types),
                _ => Value::Null,
            },
            "enumValues" => match t.kind {
                TypeKind::Enum => self.list(
                    t.enum_values
                        .iter()
                        .filter(|v| all || v.deprecation.is_none())
                        .map(Node::EnumValue),
                    set,
                ),
                _ => Value::Null,
            },
            "inputFields" => match t.kind {
                TypeKind::InputObject => self.list(
                    t.input_fields
                        .iter()
                        .filter(|v| all || v.deprecation.is_none())
                        .map(Node::InputValue),
                    set,
                ),
                _ => Value::Null,
            },
            "ofType" => Value::Null,
            _ => Value::Null,
        }
    }
}

fn opt_str(value: &Option<String>) -> Value {
    value.clone().map(Value::String).unwrap_or(Value::Null)
}
