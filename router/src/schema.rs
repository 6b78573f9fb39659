//! A typed index of the API schema: what validation, projection, variable coercion and
//! introspection need to know about types, without the supergraph's federation internals.

use std::collections::{HashMap, HashSet};

use graphql_tools::parser::schema::{self as ast, Definition, TypeDefinition};
use indexmap::IndexMap;

type Doc = ast::Document<'static, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeKind {
    Scalar,
    Object,
    Interface,
    Union,
    Enum,
    InputObject,
}

impl TypeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TypeKind::Scalar => "SCALAR",
            TypeKind::Object => "OBJECT",
            TypeKind::Interface => "INTERFACE",
            TypeKind::Union => "UNION",
            TypeKind::Enum => "ENUM",
            TypeKind::InputObject => "INPUT_OBJECT",
        }
    }
}

/// A field or argument type as written in the schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TypeRef {
    Named(String),
    List(Box<TypeRef>),
    NonNull(Box<TypeRef>),
}

impl TypeRef {
    pub fn from_ast(ty: &ast::Type<'static, String>) -> Self {
        match ty {
            ast::Type::NamedType(name) => TypeRef::Named(name.clone()),
            ast::Type::ListType(inner) => TypeRef::List(Box::new(Self::from_ast(inner))),
            ast::Type::NonNullType(inner) => TypeRef::NonNull(Box::new(Self::from_ast(inner))),
        }
    }

    pub fn named(&self) -> &str {
        match self {
            TypeRef::Named(name) => name,
            TypeRef::List(inner) | TypeRef::NonNull(inner) => inner.named(),
        }
    }

    pub fn is_non_null(&self) -> bool {
        matches!(self, TypeRef::NonNull(_))
    }

    /// Whether values of this type are lists (looking through non-null).
    pub fn is_list(&self) -> bool {
        match self {
            TypeRef::List(_) => true,
            TypeRef::NonNull(inner) => inner.is_list(),
            TypeRef::Named(_) => false,
        }
    }
}

impl std::fmt::Display for TypeRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TypeRef::Named(name) => f.write_str(name),
            TypeRef::List(inner) => write!(f, "[{inner}]"),
            TypeRef::NonNull(inner) => write!(f, "{inner}!"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct InputValueDef {
    pub name: String,
    pub description: Option<String>,
    pub ty: TypeRef,
    /// The default printed as GraphQL, as introspection reports it.
    pub default_value: Option<String>,
    pub default_json: Option<serde_json::Value>,
    pub deprecation: Option<String>,
}

#[derive(Debug, Clone)]
pub struct FieldDef {
    pub name: String,
    pub description: Option<String>,
    pub args: Vec<InputValueDef>,
    pub ty: TypeRef,
    pub deprecation: Option<String>,
}

#[derive(Debug, Clone)]
pub struct EnumValueDef {
    pub name: String,
    pub description: Option<String>,
    pub deprecation: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TypeDef {
    pub name: String,
    pub kind: TypeKind,
    pub description: Option<String>,
    pub fields: IndexMap<String, FieldDef>,
    pub interfaces: Vec<String>,
    /// Object types that can appear where this type is expected (itself for objects).
    pub possible_types: Vec<String>,
    pub enum_values: Vec<EnumValueDef>,
    pub input_fields: Vec<InputValueDef>,
    pub specified_by: Option<String>,
    pub one_of: bool,
}

impl TypeDef {
    pub fn is_composite(&self) -> bool {
        matches!(
            self.kind,
            TypeKind::Object | TypeKind::Interface | TypeKind::Union
        )
    }
    pub fn is_abstract(&self) -> bool {
        matches!(self.kind, TypeKind::Interface | TypeKind::Union)
    }
}

#[derive(Debug, Clone)]
pub struct DirectiveDef {
    pub name: String,
    pub description: Option<String>,
    pub locations: Vec<String>,
    pub args: Vec<InputValueDef>,
    pub repeatable: bool,
}

#[derive(Debug, Default)]
pub struct SchemaIndex {
    pub types: HashMap<String, TypeDef>,
    /// Type names in definition order, so introspection output is stable.
    pub type_order: Vec<String>,
    pub query_type: String,
    pub mutation_type: Option<String>,
    pub subscription_type: Option<String>,
    pub directives: Vec<DirectiveDef>,
    pub description: Option<String>,
}

/// Directives of the federation machinery that must never surface through introspection.
fn is_internal_directive(name: &str) -> bool {
    name.starts_with("join__")
        || name.starts_with("link__")
        || name.starts_with("core")
        || name.starts_with("federation__")
        || matches!(
            name,
            "link"
                | "inaccessible"
                | "tag"
                | "authenticated"
                | "requiresScopes"
                | "policy"
                | "cost"
                | "listSize"
                | "context"
                | "fromContext"
        )
}

fn deprecation(directives: &[ast::Directive<'static, String>]) -> Option<String> {
    directives.iter().find(|d| d.name == "deprecated").map(|d| {
        d.arguments
            .iter()
            .find(|(name, _)| name == "reason")
            .and_then(|(_, value)| match value {
                ast::Value::String(reason) => Some(reason.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "No longer supported".to_string())
    })
}

fn input_value(value: &ast::InputValue<'static, String>) -> InputValueDef {
    InputValueDef {
        name: value.name.clone(),
        description: value.description.clone(),
        ty: TypeRef::from_ast(&value.value_type),
        default_value: value.default_value.as_ref().map(|v| v.to_string()),
        default_json: value.default_value.as_ref().map(crate::ast::const_to_json),
        deprecation: deprecation(&value.directives),
    }
}

fn field(field: &ast::Field<'static, String>) -> FieldDef {
    FieldDef {
        name: field.name.clone(),
        description: field.description.clone(),
        args: field.arguments.iter().map(input_value).collect(),
        ty: TypeRef::from_ast(&field.field_type),
        deprecation: deprecation(&field.directives),
    }
}

fn empty_type(name: &str, kind: TypeKind, description: &Option<String>) -> TypeDef {
    TypeDef {
        name: name.to_string(),
        kind,
        description: description.clone(),
        fields: IndexMap::new(),
        interfaces: Vec::new(),
        possible_types: Vec::new(),
        enum_values: Vec::new(),
        input_fields: Vec::new(),
        specified_by: None,
        one_of: false,
    }
}

fn type_def(def: &TypeDefinition<'static, String>) -> TypeDef {
    match def {
        TypeDefinition::Scalar(s) => {
            let mut t = empty_type(&s.name, TypeKind::Scalar, &s.description);
            t.specified_by = s
                .directives
                .iter()
                .find(|d| d.name == "specifiedBy")
                .and_then(|d| d.arguments.first())
                .and_then(|(_, v)| match v {
                    ast::Value::String(url) => Some(url.clone()),
                    _ => None,
                });
            t
        }
        TypeDefinition::Object(o) => {
            let mut t = empty_type(&o.name, TypeKind::Object, &o.description);
            t.fields = o
                .fields
                .iter()
                .map(|f| (f.name.clone(), field(f)))
                .collect();
            t.interfaces = o.implements_interfaces.clone();
            t.possible_types = vec![o.name.clone()];
            t
        }
        TypeDefinition::Interface(i) => {
            let mut t = empty_type(&i.name, TypeKind::Interface, &i.description);
            t.fields = i
                .fields
                .iter()
                .map(|f| (f.name.clone(), field(f)))
                .collect();
            t.interfaces = i.implements_interfaces.clone();
            t
        }
        TypeDefinition::Union(u) => {
            let mut t = empty_type(&u.name, TypeKind::Union, &u.description);
            t.possible_types = u.types.clone();
            t
        }
        TypeDefinition::Enum(e) => {
            let mut t = empty_type(&e.name, TypeKind::Enum, &e.description);
            t.enum_values = e
                .values
                .iter()
                .map(|v| EnumValueDef {
                    name: v.name.clone(),
                    description: v.description.clone(),
                    deprecation: deprecation(&v.directives),
                })
                .collect();
            t
        }
        TypeDefinition::InputObject(i) => {
            let mut t = empty_type(&i.name, TypeKind::InputObject, &i.description);
            t.input_fields = i.fields.iter().map(input_value).collect();
            t.one_of = i.directives.iter().any(|d| d.name == "oneOf");
            t
        }
    }
}

impl SchemaIndex {
    pub fn build(doc: &Doc) -> Self {
        let mut index = SchemaIndex {
            query_type: "Query".to_string(),
            ..Default::default()
        };
        let mut explicit_roots = false;
        for def in &doc.definitions {
            match def {
                Definition::SchemaDefinition(schema) => {
                    explicit_roots = true;
                    if let Some(q) = &schema.query {
                        index.query_type = q.clone();
                    }
                    index.mutation_type = schema.mutation.clone();
                    index.subscription_type = schema.subscription.clone();
                }
                Definition::TypeDefinition(td) => {
                    let t = type_def(td);
                    if !index.types.contains_key(&t.name) {
                        index.type_order.push(t.name.clone());
                    }
                    index.types.insert(t.name.clone(), t);
                }
                Definition::TypeExtension(_) => {}
                Definition::DirectiveDefinition(d) => {
                    if is_internal_directive(&d.name) {
                        continue;
                    }
                    index.directives.push(DirectiveDef {
                        name: d.name.clone(),
                        description: d.description.clone(),
                        locations: d.locations.iter().map(|l| l.as_str().to_string()).collect(),
                        args: d.arguments.iter().map(input_value).collect(),
                        repeatable: d.repeatable,
                    });
                }
            }
        }
        if !explicit_roots {
            index.mutation_type = index
                .types
                .contains_key("Mutation")
                .then(|| "Mutation".into());
            index.subscription_type = index
                .types
                .contains_key("Subscription")
                .then(|| "Subscription".into());
        }
        index.link_implementations();
        index
    }

    fn link_implementations(&mut self) {
        let mut implementations: HashMap<String, Vec<String>> = HashMap::new();
        for name in &self.type_order {
            if let Some(t) = self.types.get(name)
                && t.kind == TypeKind::Object
            {
                for interface in &t.interfaces {
                    implementations
                        .entry(interface.clone())
                        .or_default()
                        .push(name.clone());
                }
            }
        }
        for (interface, objects) in implementations {
            if let Some(t) = self.types.get_mut(&interface)
                && t.kind == TypeKind::Interface
            {
                t.possible_types = objects;
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<&TypeDef> {
        self.types.get(name)
    }

    pub fn field(&self, type_name: &str, field: &str) -> Option<&FieldDef> {
        self.types.get(type_name)?.fields.get(field)
    }

    /// Whether an object of type `concrete` satisfies a fragment on `condition`.
    pub fn does_type_apply(&self, condition: &str, concrete: &str) -> bool {
        if condition == concrete {
            return true;
        }
        self.types
            .get(condition)
            .is_some_and(|t| t.is_abstract() && t.possible_types.iter().any(|p| p == concrete))
    }

    pub fn root_type(&self, kind: crate::ast::OperationType) -> Option<&str> {
        match kind {
            crate::ast::OperationType::Query => Some(&self.query_type),
            crate::ast::OperationType::Mutation => self.mutation_type.as_deref(),
            crate::ast::OperationType::Subscription => self.subscription_type.as_deref(),
        }
    }

    /// Object types that implement no interface in the API but are abstract in a subgraph are
    /// still objects here; everything else the executor needs is a set lookup.
    pub fn object_type_names(&self) -> HashSet<&str> {
        self.types
            .values()
            .filter(|t| t.kind == TypeKind::Object)
            .map(|t| t.name.as_str())
            .collect()
    }
}
