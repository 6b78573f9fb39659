//! The planner's fetch rewrites: `ValueSetter` (e.g. an `@interfaceObject` subgraph expects the
//! interface's name as `__typename`) and `KeyRenamer` (internal aliases back to client keys).

use crate::json::Value;
use hive_router_query_planner::planner::plan_nodes::{
    FetchNode, FetchNodePathSegment, FetchRewrite,
};

use crate::schema::SchemaIndex;

/// Whether the planner rewrites `fetch`'s input or output (interface objects and the like).
pub fn any(fetch: &FetchNode) -> bool {
    let some = |r: &Option<Vec<FetchRewrite>>| r.as_ref().is_some_and(|r| !r.is_empty());
    some(&fetch.input_rewrites) || some(&fetch.output_rewrites)
}

pub fn apply(value: &mut Value<'_>, rewrite: &FetchRewrite, types: &SchemaIndex) {
    match rewrite {
        FetchRewrite::ValueSetter(setter) => {
            set_value(value, &setter.path, &setter.set_value_to, types)
        }
        FetchRewrite::KeyRenamer(renamer) => {
            rename_key(value, &renamer.path, &renamer.rename_key_to, types)
        }
    }
}

fn type_matches(
    value: &Value<'_>,
    conditions: &std::collections::BTreeSet<String>,
    types: &SchemaIndex,
) -> bool {
    match value.get("__typename").and_then(Value::as_str) {
        Some(typename) => conditions
            .iter()
            .any(|c| types.does_type_apply(c, typename)),
        None => true,
    }
}

fn set_value(value: &mut Value<'_>, path: &[FetchNodePathSegment], to: &str, types: &SchemaIndex) {
    let value = value.make_mut();
    let Some((segment, rest)) = path.split_first() else {
        *value = Value::String(to.to_string().into());
        return;
    };
    if let Value::Array(items) = value {
        for item in items {
            set_value(item, path, to, types);
        }
        return;
    }
    match segment {
        FetchNodePathSegment::TypenameEquals(conditions) => {
            if value.is_object() && type_matches(value, conditions, types) {
                set_value(value, rest, to, types);
            }
        }
        FetchNodePathSegment::Key(key) => {
            if let Some(child) = value.as_object_mut().and_then(|o| o.get_mut(key)) {
                set_value(child, rest, to, types);
            }
        }
    }
}

fn rename_key(value: &mut Value<'_>, path: &[FetchNodePathSegment], to: &str, types: &SchemaIndex) {
    let value = value.make_mut();
    let Some((segment, rest)) = path.split_first() else {
        return;
    };
    if let Value::Array(items) = value {
        for item in items {
            rename_key(item, path, to, types);
        }
        return;
    }
    match segment {
        FetchNodePathSegment::TypenameEquals(conditions) => {
            if value.is_object() && type_matches(value, conditions, types) {
                rename_key(value, rest, to, types);
            }
        }
        FetchNodePathSegment::Key(key) => {
            let Some(object) = value.as_object_mut() else {
                return;
            };
            if rest.is_empty() {
                if let Some(moved) = object.remove(key) {
                    object.insert(to.to_string().into(), moved);
                }
            } else if let Some(child) = object.get_mut(key) {
                rename_key(child, rest, to, types);
            }
        }
    }
}
