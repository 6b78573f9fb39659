//! Projection: a list of loaded objects answered in one synchronous walk over the selection,
//! instead of async-graphql resolving each field as its own boxed future and each object
//! through its container machinery (about a third of a microsecond a field: a page of 50
//! products with their variants selects about 1,150). A storefront's listings mostly select
//! what the page already holds (ids, names, images, variants), so a subgraph lends its list
//! types a [`Project`] impl and returns them as a [`ProjectedList`].
//!
//! The walk gives up, and the whole list is resolved as usual, on anything it cannot answer
//! exactly as async-graphql would: a field its type does not project (one that needs a load),
//! a custom directive (`@skip` and `@include` are applied before execution), a fragment on any
//! type but the object's own, or a response key selected twice (which GraphQL merges). Every
//! list answered either way is counted in the `subgraph_projection_total` metric.

use std::borrow::Cow;
use std::collections::HashMap;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, FragmentDefinition, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::resolve_list;
use async_graphql::{ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value};

use crate::telemetry::metrics;

/// An object type whose fields, or some of them, can be answered without a load.
pub trait Project {
    /// The GraphQL type name (`__typename`).
    const TYPE_NAME: &'static str;

    /// `field`'s value (the selection below it through `selections`), or `None` when this
    /// type does not project it.
    fn project_field(&self, field: &Field, selections: Selections<'_>) -> Option<Value>;
}

impl<T: Project> Project for &T {
    const TYPE_NAME: &'static str = T::TYPE_NAME;

    fn project_field(&self, field: &Field, selections: Selections<'_>) -> Option<Value> {
        (**self).project_field(field, selections)
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

    /// `item` as an object with the fields `field` selects.
    pub fn object<T: Project>(self, item: T, field: &Field) -> Option<Value> {
        self.object_of_set(&item, &field.selection_set.node)
    }

    /// `items` as a list of objects with the fields `field` selects.
    pub fn list<T: Project>(
        self,
        items: impl IntoIterator<Item = T>,
        field: &Field,
    ) -> Option<Value> {
        self.list_of_set(items, &field.selection_set.node)
    }

    fn list_of_set<T: Project>(
        self,
        items: impl IntoIterator<Item = T>,
        set: &SelectionSet,
    ) -> Option<Value> {
        let fields = self.plan::<T>(set)?;
        let items = items.into_iter();
        let mut values = Vec::with_capacity(items.size_hint().0);
        for item in items {
            values.push(self.project(&item, &fields)?);
        }
        Some(Value::List(values))
    }

    fn object_of_set<T: Project>(self, item: &T, set: &SelectionSet) -> Option<Value> {
        self.project(item, &self.plan::<T>(set)?)
    }

    fn project<T: Project>(self, item: &T, fields: &[&Field]) -> Option<Value> {
        let mut object = IndexMap::with_capacity(fields.len());
        for field in fields {
            let value = if field.name.node == "__typename" {
                Value::String(T::TYPE_NAME.to_owned())
            } else {
                item.project_field(field, self)?
            };
            // A key selected twice is merged by GraphQL: left to async-graphql. Found here,
            // where the key is hashed anyway, rather than by sorting each plan's keys.
            if object
                .insert(field.response_key().node.clone(), value)
                .is_some()
            {
                return None;
            }
        }
        Some(Value::Object(object))
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
        Some(fields)
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
        let projected = if skip {
            None
        } else {
            Selections::of(ctx).list_of_set(self.0.iter().copied(), &ctx.item.node)
        };
        metrics::metrics().projection(projected.is_some());
        match projected {
            Some(value) => Ok(value),
            None => resolve_list(ctx, field, self.0.iter().copied(), Some(self.0.len())).await,
        }
    }
}

/// Request data that turns projection off: every field goes through its resolver. For
/// comparing the two ways on the same request (tests).
pub struct ResolveEveryField;
