//! Projection: a list of loaded objects answered in one synchronous walk over the selection,
//! written straight as JSON, instead of async-graphql resolving each field as its own boxed
//! future, each object through its container machinery (about a third of a microsecond a
//! field: a page of 50 products with their variants selects about 1,150), and the answer built
//! as a tree of `Value`s, serialized and freed (a sixth of a page's CPU). A storefront's
//! listings mostly select what the page already holds (ids, names, images, variants), so a
//! subgraph lends its list types a [`Project`] impl and returns them as a [`ProjectedList`].
//!
//! The walk gives up, and the whole list is resolved as usual, on anything it cannot answer
//! exactly as async-graphql would: a field its type does not project (one that needs a load),
//! a custom directive (`@skip` and `@include` are applied before execution), a fragment on any
//! type but the object's own, or a response key selected twice (which GraphQL merges). Every
//! list answered either way is counted in the `subgraph_projection_total` metric.
//!
//! The written list rides in the response as a [`Value::Binary`] holding JSON text (no
//! subgraph answers binary data otherwise): the HTTP layer writes it as it is ([`json_body`]),
//! and every other way out of the executor ([`materialize`]) parses it back into values.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::io;

use async_graphql::parser::types::{Field, FragmentDefinition, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::resolve_list;
use async_graphql::{ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value};
use axum::body::Bytes;
use serde::Serialize;
use serde_json::ser::Formatter;

use crate::telemetry::metrics;

/// An object type whose fields, or some of them, can be answered without a load.
pub trait Project {
    /// The GraphQL type name (`__typename`).
    const TYPE_NAME: &'static str;

    /// Writes `field`'s value (the selection below it through `selections`), or returns
    /// `None` when this type does not project it (what was written is then thrown away).
    fn project_field(
        &self,
        field: &Field,
        selections: Selections<'_>,
        out: &mut Json,
    ) -> Option<()>;
}

impl<T: Project> Project for &T {
    const TYPE_NAME: &'static str = T::TYPE_NAME;

    fn project_field(
        &self,
        field: &Field,
        selections: Selections<'_>,
        out: &mut Json,
    ) -> Option<()> {
        (**self).project_field(field, selections, out)
    }
}

/// The JSON a projection writes, as `serde_json` would write the same values.
#[derive(Default)]
pub struct Json(Vec<u8>);

impl Json {
    pub fn str(&mut self, text: &str) {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.0, text);
    }

    /// A [`GlobalId`](crate::id::GlobalId).
    pub fn id(&mut self, type_name: &str, key: i64) {
        self.0.push(b'"');
        crate::id::GlobalId::encode_into(type_name, key, &mut self.0);
        self.0.push(b'"');
    }

    pub fn int(&mut self, number: i64) {
        self.0
            .extend_from_slice(itoa::Buffer::new().format(number).as_bytes());
    }

    pub fn null(&mut self) {
        self.0.extend_from_slice(b"null");
    }

    /// Any value, such as a scalar's or an enum's `to_value()`.
    pub fn value(&mut self, value: &Value) {
        let _ = serde_json::to_writer(&mut self.0, value);
    }

    /// A list of strings.
    pub fn strs<'s>(&mut self, items: impl IntoIterator<Item = &'s str>) {
        let _ = self.list(items, |out, item| {
            out.str(item);
            Some(())
        });
    }

    /// A list of `items`, each written by `each`; `None` as soon as one is.
    fn list<I: IntoIterator>(
        &mut self,
        items: I,
        mut each: impl FnMut(&mut Self, I::Item) -> Option<()>,
    ) -> Option<()> {
        self.raw(b"[");
        for (index, item) in items.into_iter().enumerate() {
            if index > 0 {
                self.raw(b",");
            }
            each(self, item)?;
        }
        self.raw(b"]");
        Some(())
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

/// A request's fragments, to follow spreads while walking its selections.
#[derive(Clone, Copy)]
pub struct Selections<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
}

impl<'a> Selections<'a> {
    pub fn of(ctx: &ContextSelectionSet<'a>) -> Self {
        Self {
            fragments: &ctx.query_env.fragments,
        }
    }

    /// Writes `item` as an object with the fields `field` selects.
    pub fn object<T: Project>(self, item: T, field: &Field, out: &mut Json) -> Option<()> {
        let fields = self.plan::<T>(&field.selection_set.node)?;
        self.write(&item, &fields, out)
    }

    /// Writes `items` as a list of objects with the fields `field` selects.
    pub fn list<T: Project>(
        self,
        items: impl IntoIterator<Item = T>,
        field: &Field,
        out: &mut Json,
    ) -> Option<()> {
        self.list_of_set(items, &field.selection_set.node, out)
    }

    fn list_of_set<T: Project>(
        self,
        items: impl IntoIterator<Item = T>,
        set: &SelectionSet,
        out: &mut Json,
    ) -> Option<()> {
        let fields = self.plan::<T>(set)?;
        out.list(items, |out, item| self.write(&item, &fields, out))
    }

    fn write<T: Project>(self, item: &T, fields: &[&Field], out: &mut Json) -> Option<()> {
        out.raw(b"{");
        for (index, field) in fields.iter().enumerate() {
            if index > 0 {
                out.raw(b",");
            }
            out.str(field.response_key().node.as_str());
            out.raw(b":");
            if field.name.node == "__typename" {
                out.str(T::TYPE_NAME);
            } else {
                item.project_field(field, self, out)?;
            }
        }
        out.raw(b"}");
        Some(())
    }

    /// The fields `set` selects on a `T`, fragments followed, in response order: worked out
    /// once for a whole list rather than for each of its items. `None` when the walk cannot
    /// answer the set (see the module's description).
    fn plan<'s, T: Project>(self, set: &'s SelectionSet) -> Option<Vec<&'s Field>>
    where
        'a: 's,
    {
        let mut fields = Vec::with_capacity(set.items.len());
        self.collect::<T>(set, &mut fields)?;
        // A key selected twice is merged by GraphQL: left to async-graphql. This runs for every
        // object of a list, whose selections are mostly small: those are compared pairwise,
        // and only large ones (a hostile query's) hashed.
        fn key<'f>(field: &&'f Field) -> &'f str {
            field.response_key().node.as_str()
        }
        let unique = if fields.len() <= 16 {
            let seen_before = |index: usize| {
                fields[..index]
                    .iter()
                    .any(|seen| key(seen) == key(&fields[index]))
            };
            !(0..fields.len()).any(seen_before)
        } else {
            let mut keys = HashSet::with_capacity(fields.len());
            fields.iter().all(|field| keys.insert(key(field)))
        };
        unique.then_some(fields)
    }

    fn collect<'s, T: Project>(
        self,
        set: &'s SelectionSet,
        fields: &mut Vec<&'s Field>,
    ) -> Option<()>
    where
        'a: 's,
    {
        for selection in &set.items {
            if !selection.node.directives().is_empty() {
                return None;
            }
            match &selection.node {
                Selection::Field(field) => fields.push(&field.node),
                Selection::FragmentSpread(spread) => {
                    let fragment = &self.fragments.get(&spread.node.fragment_name.node)?.node;
                    let own_type = fragment.type_condition.node.on.node == T::TYPE_NAME;
                    if !own_type || !fragment.directives.is_empty() {
                        return None;
                    }
                    self.collect::<T>(&fragment.selection_set.node, fields)?;
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    let condition = fragment.type_condition.as_ref();
                    if condition.is_some_and(|c| c.node.on.node != T::TYPE_NAME) {
                        return None;
                    }
                    self.collect::<T>(&fragment.selection_set.node, fields)?;
                }
            }
        }
        Some(())
    }
}

/// A list field's items, projected when the selection allows, else resolved by async-graphql.
/// Its GraphQL type is `[T!]!`, the same as a `Vec<T>`'s.
pub struct ProjectedList<'a, T>(pub Vec<&'a T>);

impl<T: OutputType + Project> OutputType for ProjectedList<'_, T> {
    fn type_name() -> Cow<'static, str> {
        Vec::<T>::type_name()
    }

    fn qualified_type_name() -> String {
        Vec::<T>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Vec::<T>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let skip = ctx.data_opt::<ResolveEveryField>().is_some();
        // About what a product with its variants takes, so the buffer seldom grows.
        let mut out = Json(Vec::with_capacity(self.0.len() * 512));
        let projected = !skip
            && Selections::of(ctx)
                .list_of_set(self.0.iter().copied(), &ctx.item.node, &mut out)
                .is_some();
        metrics::metrics().projection(projected);
        if projected {
            Ok(Value::Binary(Bytes::from(out.0)))
        } else {
            resolve_list(ctx, field, self.0.iter().copied(), Some(self.0.len())).await
        }
    }
}

/// Request data that turns projection off: every field goes through its resolver. For
/// comparing the two ways on the same request (tests).
pub struct ResolveEveryField;

/// `value` serialized, the JSON text that projection put in it written as it is: the body of an
/// HTTP answer.
pub fn json_body(value: &impl Serialize) -> Vec<u8> {
    let mut body = Vec::with_capacity(1024);
    let mut serializer = serde_json::Serializer::with_formatter(&mut body, RawJsonFormatter);
    // Values serialize without error (their keys are strings) and a Vec takes every byte.
    let _ = value.serialize(&mut serializer);
    body
}

/// Writes a byte array, which in a subgraph's answer only projection makes, as the JSON text
/// it holds.
struct RawJsonFormatter;

impl Formatter for RawJsonFormatter {
    fn write_byte_array<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        value: &[u8],
    ) -> io::Result<()> {
        writer.write_all(value)
    }
}

/// `value` with the JSON text that projection put in it parsed into values: for every way out
/// of the executor but the HTTP answer (in-process callers, subscriptions).
pub fn materialize(value: &mut Value) {
    match value {
        Value::Binary(json) => {
            // Projection wrote it from values, so it parses back into them; were it ever not to,
            // the list is null and the fault logged rather than the process brought down.
            *value = serde_json::from_slice(json).unwrap_or_else(|error| {
                tracing::error!(%error, "a projected list is not JSON");
                Value::Null
            });
        }
        Value::List(items) => items.iter_mut().for_each(materialize),
        Value::Object(fields) => fields.values_mut().for_each(materialize),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::indexmap::IndexMap;

    use super::*;

    fn answer() -> Value {
        let written = Value::Binary(Bytes::from_static(br#"[{"id":"a\"b","n":1},null]"#));
        let mut fields = IndexMap::new();
        fields.insert(Name::new("edges"), written);
        fields.insert(Name::new("bytes"), Value::List(vec![Value::from(1)]));
        Value::Object(fields)
    }

    #[test]
    fn written_lists_go_into_the_body_as_they_are() {
        assert_eq!(
            String::from_utf8(json_body(&answer())).expect("UTF-8"),
            r#"{"edges":[{"id":"a\"b","n":1},null],"bytes":[1]}"#
        );
    }

    #[test]
    fn written_lists_materialize_into_the_values_they_hold() {
        let mut value = answer();
        materialize(&mut value);
        assert_eq!(
            value.into_json().expect("JSON"),
            serde_json::json!({ "edges": [{ "id": "a\"b", "n": 1 }, null], "bytes": [1] })
        );
    }
}
