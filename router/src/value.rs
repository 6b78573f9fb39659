//! GraphQL literal ⇄ JSON conversion and coercion of the client's variables against the schema.

use graphql_tools::parser::query as q;
use serde_json::{Map, Value};

use crate::ast::{self, to_json as ast_to_json};
use crate::error::{ErrorCode, GraphQLError};
use crate::schema::{SchemaIndex, TypeKind, TypeRef};

/// Coerces the request's variables per the spec ("CoerceVariableValues"): defaults applied,
/// required ones present, every value of the declared type. Errors are request errors.
pub fn coerce_variables(
    definitions: &[q::VariableDefinition<'static, String>],
    provided: &Map<String, Value>,
    schema: &SchemaIndex,
) -> Result<Map<String, Value>, Vec<GraphQLError>> {
    let mut coerced = Map::new();
    let mut errors = Vec::new();
    for def in definitions {
        let ty = TypeRef::from_ast(&def.var_type);
        let name = &def.name;
        match provided.get(name.as_str()) {
            None => {
                if let Some(default) = &def.default_value {
                    coerced.insert(name.clone(), ast::const_to_json(default));
                } else if ty.is_non_null() {
                    errors.push(variable_error(
                        name,
                        &format!("of required type \"{ty}\" was not provided."),
                        def.position,
                    ));
                }
            }
            Some(value) => match coerce_input(value, &ty, schema) {
                Ok(v) => {
                    coerced.insert(name.clone(), v);
                }
                Err(reason) => errors.push(variable_error(
                    name,
                    &format!("got invalid value {value}; {reason}"),
                    def.position,
                )),
            },
        }
    }
    if errors.is_empty() {
        Ok(coerced)
    } else {
        Err(errors)
    }
}

fn variable_error(name: &str, what: &str, pos: graphql_tools::parser::Pos) -> GraphQLError {
    GraphQLError::with_code(
        format!("Variable \"${name}\" {what}"),
        ErrorCode::BadUserInput,
    )
    .at(pos.line, pos.column)
}

/// Checks one input value against its type; returns it with lists coerced from single items.
pub fn coerce_input(value: &Value, ty: &TypeRef, schema: &SchemaIndex) -> Result<Value, String> {
    match ty {
        TypeRef::NonNull(inner) => {
            if value.is_null() {
                return Err(format!(
                    "Expected non-nullable type \"{ty}\" not to be null."
                ));
            }
            coerce_input(value, inner, schema)
        }
        _ if value.is_null() => Ok(Value::Null),
        TypeRef::List(inner) => match value {
            Value::Array(items) => items
                .iter()
                .map(|item| coerce_input(item, inner, schema))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            single => Ok(Value::Array(vec![coerce_input(single, inner, schema)?])),
        },
        TypeRef::Named(name) => coerce_named(value, name, schema),
    }
}

fn coerce_named(value: &Value, name: &str, schema: &SchemaIndex) -> Result<Value, String> {
    let mismatch = || format!("{} cannot represent value: {value}", name);
    match name {
        "Int" => match value.as_i64() {
            Some(n) if i32::try_from(n).is_ok() => Ok(value.clone()),
            _ => Err(format!(
                "Int cannot represent non-integer or out of range value: {value}"
            )),
        },
        "Float" => value
            .is_number()
            .then(|| value.clone())
            .ok_or_else(mismatch),
        "String" => value
            .is_string()
            .then(|| value.clone())
            .ok_or_else(mismatch),
        "Boolean" => value
            .is_boolean()
            .then(|| value.clone())
            .ok_or_else(mismatch),
        "ID" => match value {
            Value::String(_) => Ok(value.clone()),
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(Value::String(n.to_string())),
            _ => Err(mismatch()),
        },
        _ => {
            let Some(def) = schema.get(name) else {
                return Err(format!("Unknown type \"{name}\"."));
            };
            match def.kind {
                TypeKind::Enum => match value.as_str() {
                    Some(s) if def.enum_values.iter().any(|v| v.name == s) => Ok(value.clone()),
                    _ => Err(format!("Value {value} does not exist in \"{name}\" enum.")),
                },
                TypeKind::InputObject => coerce_object(value, def, schema),
                // Custom scalars are opaque to the router; the owning subgraph validates them.
                _ => Ok(value.clone()),
            }
        }
    }
}

fn coerce_object(
    value: &Value,
    def: &crate::schema::TypeDef,
    schema: &SchemaIndex,
) -> Result<Value, String> {
    let Value::Object(fields) = value else {
        return Err(format!("Expected type \"{}\" to be an object.", def.name));
    };
    for key in fields.keys() {
        if !def.input_fields.iter().any(|f| &f.name == key) {
            return Err(format!(
                "Field \"{key}\" is not defined by type \"{}\".",
                def.name
            ));
        }
    }
    let mut out = Map::new();
    for field in &def.input_fields {
        match fields.get(&field.name) {
            Some(v) => {
                let coerced = coerce_input(v, &field.ty, schema)
                    .map_err(|e| format!("at \"{}\": {e}", field.name))?;
                out.insert(field.name.clone(), coerced);
            }
            None => {
                if let Some(default) = &field.default_json {
                    out.insert(field.name.clone(), default.clone());
                } else if field.ty.is_non_null() {
                    return Err(format!(
                        "Field \"{}\" of required type \"{}\" was not provided.",
                        field.name, field.ty
                    ));
                }
            }
        }
    }
    if def.one_of && (out.len() != 1 || out.values().any(Value::is_null)) {
        return Err(format!(
            "Exactly one key must be specified for OneOf type \"{}\".",
            def.name
        ));
    }
    Ok(Value::Object(out))
}

/// Evaluates `@skip`/`@include` on a selection with the coerced variables.
pub fn is_selected(
    directives: &[q::Directive<'static, String>],
    variables: &Map<String, Value>,
) -> bool {
    for directive in directives {
        let wanted = match directive.name.as_str() {
            "skip" => false,
            "include" => true,
            _ => continue,
        };
        let condition = directive
            .arguments
            .iter()
            .find(|(name, _)| name == "if")
            .map(|(_, v)| ast_to_json(v, variables))
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if condition != wanted {
            return false;
        }
    }
    true
}
