//! `_entities` representations written straight to JSON, through selections compiled once per
//! selection set and `__typename`.

use hive_router_query_planner::ast::selection_item::SelectionItem;
use hive_router_query_planner::ast::selection_set::SelectionSet as PlanSelectionSet;

use crate::json::{Object, Value};
use crate::schema::SchemaIndex;

/// Serializes representations straight to JSON (the hot path: no tree is built). Per selection
/// set and `__typename`, the fields that apply are flattened once (fragments resolved,
/// repeated keys dropped, `"key":` bytes prepared), so each object costs only its lookups.
pub(super) struct RepresentationWriter<'s> {
    types: &'s SchemaIndex,
    compiled: Vec<CompiledSelection<'s>>,
}

struct CompiledSelection<'s> {
    selections: &'s PlanSelectionSet,
    typename: Option<String>,
    fields: Vec<RepresentationField<'s>>,
}

struct RepresentationField<'s> {
    name: &'s str,
    output_key: &'s str,
    key_json: Vec<u8>,
    selections: &'s PlanSelectionSet,
}

impl<'s> RepresentationWriter<'s> {
    pub(super) fn new(types: &'s SchemaIndex) -> Self {
        Self {
            types,
            compiled: Vec::new(),
        }
    }

    /// Writes an entity's representation; `None` when it has none: the selection applies
    /// to none of its fields (its type matches none of the selection's type conditions).
    pub(super) fn write_entity(
        &mut self,
        out: &mut Vec<u8>,
        object: &Object<'_>,
        requires: &'s PlanSelectionSet,
    ) -> Option<()> {
        let set = self.compiled(requires, object);
        if self.compiled[set].fields.is_empty() {
            return None;
        }
        self.write_compiled(out, object, set)
    }

    /// Writes `object` projected through the compiled selection `set`; `None` when a selected
    /// field is missing (its owner failed), so the entity is not sent with a partial key.
    fn write_compiled(&mut self, out: &mut Vec<u8>, object: &Object<'_>, set: usize) -> Option<()> {
        out.push(b'{');
        for i in 0..self.compiled[set].fields.len() {
            let field = &self.compiled[set].fields[i];
            let nested = field.selections;
            let value = object
                .get(field.name)
                .or_else(|| object.get(field.output_key))?;
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(&field.key_json);
            self.value(out, value, nested)?;
        }
        out.push(b'}');
        Some(())
    }

    fn value(
        &mut self,
        out: &mut Vec<u8>,
        value: &Value<'_>,
        selections: &'s PlanSelectionSet,
    ) -> Option<()> {
        match value.resolve() {
            Value::Object(object) if !selections.items.is_empty() => {
                let set = self.compiled(selections, object);
                self.write_compiled(out, object, set)
            }
            Value::Array(items) if !selections.items.is_empty() => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.value(out, item, selections)?;
                }
                out.push(b']');
                Some(())
            }
            other => {
                other.write_json(out);
                Some(())
            }
        }
    }

    /// The index of `selections` flattened for the type of `object`, compiled on first use.
    fn compiled(&mut self, selections: &'s PlanSelectionSet, object: &Object<'_>) -> usize {
        let typename = object.get("__typename").and_then(Value::as_str);
        if let Some(index) = self.compiled.iter().position(|c| {
            std::ptr::eq(c.selections, selections) && c.typename.as_deref() == typename
        }) {
            return index;
        }
        let mut fields = Vec::new();
        self.flatten(selections, typename, &mut fields);
        // One order whatever the selection's: representations of the same entity for
        // different fetches are then the same bytes (see `Executor::entity_fetch`).
        fields.sort_by_key(|f| (f.output_key != "__typename", f.output_key));
        self.compiled.push(CompiledSelection {
            selections,
            typename: typename.map(str::to_string),
            fields,
        });
        self.compiled.len() - 1
    }

    fn flatten(
        &self,
        selections: &'s PlanSelectionSet,
        typename: Option<&str>,
        out: &mut Vec<RepresentationField<'s>>,
    ) {
        for item in &selections.items {
            match item {
                SelectionItem::InlineFragment(fragment) => {
                    // Objects without a typename are assumed to match: their static type did.
                    let applies = typename
                        .is_none_or(|t| self.types.does_type_apply(&fragment.type_condition, t));
                    if applies {
                        self.flatten(&fragment.selections, typename, out);
                    }
                }
                SelectionItem::Field(field) => {
                    let output_key = field.alias.as_deref().unwrap_or(&field.name);
                    if out.iter().any(|f| f.output_key == output_key) {
                        continue;
                    }
                    // A GraphQL name: nothing in it needs escaping.
                    let mut key_json = Vec::with_capacity(output_key.len() + 3);
                    crate::json::write_json_raw_string(&mut key_json, output_key);
                    key_json.push(b':');
                    out.push(RepresentationField {
                        name: &field.name,
                        output_key,
                        key_json,
                        selections: &field.selections,
                    });
                }
                SelectionItem::FragmentSpread(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Value<'_> {
        serde_json::from_str(json).expect("test JSON")
    }

    #[test]
    fn an_entity_whose_type_matches_no_fragment_of_the_key_selection_is_not_sent() {
        let sdl = "interface Account { id: ID! } type Admin implements Account { id: ID! } \
                   type Regular implements Account { id: ID! } type Query { a: Account }";
        let schema = graphql_tools::parser::parse_schema::<String>(sdl).expect("schema");
        let types = SchemaIndex::build(&schema);
        let query =
            graphql_tools::parser::parse_query::<String>("{ ... on Admin { __typename id } }")
                .expect("query");
        let graphql_tools::parser::query::Definition::Operation(
            graphql_tools::parser::query::OperationDefinition::SelectionSet(set),
        ) = query.definitions.into_iter().next().expect("operation")
        else {
            panic!("a selection set")
        };
        let requires = PlanSelectionSet::from(set);
        let admin = parse(r#"{"__typename":"Admin","id":"u1","name":"Alice"}"#);
        let regular = parse(r#"{"__typename":"Regular","id":"u3"}"#);
        let mut writer = RepresentationWriter::new(&types);
        let mut out = Vec::new();
        let admin = admin.as_object().expect("object");
        assert!(writer.write_entity(&mut out, admin, &requires).is_some());
        assert_eq!(
            String::from_utf8_lossy(&out),
            r#"{"__typename":"Admin","id":"u1"}"#
        );
        out.clear();
        let regular = regular.as_object().expect("object");
        assert!(writer.write_entity(&mut out, regular, &requires).is_none());
    }
}
