//! The parts of a schema whose changes clients can notice, in a shape that is easy to compare:
//! types by name, their fields, arguments, values and members (descriptions are left out).

use std::collections::{BTreeMap, BTreeSet};

use graphql_tools::parser::schema::{Definition, TypeDefinition, parse_schema};
use graphql_tools::static_graphql::schema::{Directive, Document, Field, InputValue, Type};

#[derive(Debug, Default)]
pub struct Schema {
    pub types: BTreeMap<String, TypeDef>,
    pub directives: BTreeMap<String, DirectiveDef>,
}

#[derive(Debug)]
pub enum TypeDef {
    Scalar,
    Object(Composite),
    Interface(Composite),
    Union(BTreeSet<String>),
    Enum(BTreeMap<String, Option<String>>),
    InputObject(BTreeMap<String, InputDef>),
}

impl TypeDef {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Scalar => "scalar",
            Self::Object(_) => "object",
            Self::Interface(_) => "interface",
            Self::Union(_) => "union",
            Self::Enum(_) => "enum",
            Self::InputObject(_) => "input object",
        }
    }
}

/// An object or interface type.
#[derive(Debug)]
pub struct Composite {
    pub fields: BTreeMap<String, FieldDef>,
    pub interfaces: BTreeSet<String>,
}

#[derive(Debug)]
pub struct FieldDef {
    pub ty: Type,
    pub arguments: BTreeMap<String, InputDef>,
    /// The `@deprecated` reason, when deprecated.
    pub deprecated: Option<String>,
}

/// An argument or an input object's field.
#[derive(Debug)]
pub struct InputDef {
    pub ty: Type,
    /// The default value as GraphQL source.
    pub default: Option<String>,
}

impl InputDef {
    /// A caller must give it: non-null, without a default.
    pub fn is_required(&self) -> bool {
        matches!(self.ty, Type::NonNullType(_)) && self.default.is_none()
    }
}

#[derive(Debug)]
pub struct DirectiveDef {
    pub arguments: BTreeMap<String, InputDef>,
    pub locations: BTreeSet<String>,
}

impl Schema {
    /// A schema from SDL as written (the unit tests' small schemas).
    pub fn parse(sdl: &str) -> anyhow::Result<Self> {
        let document = parse_schema::<String>(sdl)
            .map_err(|error| anyhow::anyhow!("not valid GraphQL SDL: {error}"))?
            .into_static();
        Ok(Self::from_document(&document))
    }

    /// Every type and directive definition of `document`, except the introspection types
    /// (the same on both sides; the router adds them to its API schema).
    pub fn from_document(document: &Document) -> Self {
        let mut schema = Self::default();
        for definition in &document.definitions {
            match definition {
                Definition::TypeDefinition(ty) => {
                    let (name, def) = type_def(ty);
                    if !name.starts_with("__") {
                        schema.types.insert(name.to_owned(), def);
                    }
                }
                Definition::DirectiveDefinition(directive) => {
                    schema.directives.insert(
                        directive.name.clone(),
                        DirectiveDef {
                            arguments: inputs(&directive.arguments),
                            locations: directive
                                .locations
                                .iter()
                                .map(|location| location.as_str().to_owned())
                                .collect(),
                        },
                    );
                }
                Definition::SchemaDefinition(_) | Definition::TypeExtension(_) => {}
            }
        }
        schema
    }
}

fn type_def<'a>(ty: &'a TypeDefinition<'static, String>) -> (&'a str, TypeDef) {
    match ty {
        TypeDefinition::Scalar(scalar) => (&scalar.name, TypeDef::Scalar),
        TypeDefinition::Object(object) => (
            &object.name,
            TypeDef::Object(composite(&object.fields, &object.implements_interfaces)),
        ),
        TypeDefinition::Interface(interface) => (
            &interface.name,
            TypeDef::Interface(composite(
                &interface.fields,
                &interface.implements_interfaces,
            )),
        ),
        TypeDefinition::Union(union) => (
            &union.name,
            TypeDef::Union(union.types.iter().cloned().collect()),
        ),
        TypeDefinition::Enum(enumeration) => (
            &enumeration.name,
            TypeDef::Enum(
                enumeration
                    .values
                    .iter()
                    .map(|value| (value.name.clone(), deprecation(&value.directives)))
                    .collect(),
            ),
        ),
        TypeDefinition::InputObject(input) => {
            (&input.name, TypeDef::InputObject(inputs(&input.fields)))
        }
    }
}

fn composite(fields: &[Field], interfaces: &[String]) -> Composite {
    Composite {
        fields: fields
            .iter()
            .filter(|field| !field.name.starts_with("__"))
            .map(|field| {
                let def = FieldDef {
                    ty: field.field_type.clone(),
                    arguments: inputs(&field.arguments),
                    deprecated: deprecation(&field.directives),
                };
                (field.name.clone(), def)
            })
            .collect(),
        interfaces: interfaces.iter().cloned().collect(),
    }
}

fn inputs(values: &[InputValue]) -> BTreeMap<String, InputDef> {
    values
        .iter()
        .map(|value| {
            let def = InputDef {
                ty: value.value_type.clone(),
                default: value.default_value.as_ref().map(ToString::to_string),
            };
            (value.name.clone(), def)
        })
        .collect()
}

/// The reason of a `@deprecated` directive (the spec's default when it names none).
fn deprecation(directives: &[Directive]) -> Option<String> {
    let directive = directives.iter().find(|d| d.name == "deprecated")?;
    let reason = directive
        .arguments
        .iter()
        .find(|(name, _)| name == "reason")
        .map(|(_, value)| match value {
            graphql_tools::parser::schema::Value::String(reason) => reason.clone(),
            other => other.to_string(),
        });
    Some(reason.unwrap_or_else(|| "No longer supported".to_owned()))
}
