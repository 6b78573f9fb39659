//! Answers merged into the response tree: entity answers at the positions their
//! representations came from (each shared subtree merged once), and deep merges of objects.

use rustc_hash::FxHashMap;

use hive_router_query_planner::planner::plan_nodes::{FetchRewrite, FlattenNodePathSegment};
use tracing::debug;

use super::entities::{EntityBatch, SharedWalks, SubtreeKey, below_list, subtree_key};
use super::{Arena, Executor, Tree};
use crate::error::GraphQLError;
use crate::json::{Object, Value};
use crate::plan::rewrites;
use crate::schema::SchemaIndex;

fn is_container(value: &Value<'_>) -> bool {
    matches!(value, Value::Array(_) | Value::Object(_))
}

impl<'a> Executor<'a> {
    /// A subgraph's data with the planner's output rewrites applied (a rewritten copy is kept
    /// in the arena; without rewrites the parsed tree itself is used).
    pub(super) fn rewritten(
        &self,
        data: &'a Value<'a>,
        rewrites: Option<&[FetchRewrite]>,
    ) -> &'a Value<'a> {
        let Some(rewrites) = rewrites.filter(|r| !r.is_empty()) else {
            return data;
        };
        let mut copy = data.clone();
        for rewrite in rewrites {
            rewrites::apply(&mut copy, rewrite, self.types());
        }
        self.arena.keep_tree(copy)
    }

    pub(super) fn merge_entities(
        &self,
        service: &str,
        field: &str,
        batch: &EntityBatch<'_>,
        entities: Option<&'a Value<'a>>,
        output_rewrites: Option<&[FetchRewrite]>,
        errors: &[serde_json::Value],
    ) {
        let types = self.types();
        let mapped: Vec<GraphQLError> = errors
            .iter()
            .map(|e| {
                let mut error = GraphQLError::from_subgraph(e, service);
                let path = e.get("path").and_then(serde_json::Value::as_array);
                error.path = path.and_then(|path| {
                    let (head, rest) = path.split_first()?;
                    let index = usize::try_from(rest.first()?.as_u64()?).ok()?;
                    if head.as_str() != Some(field) {
                        return None;
                    }
                    let mut client_path = self.entity_path(batch, index)?;
                    client_path.extend(rest[1..].iter().cloned());
                    Some(client_path)
                });
                error
            })
            .collect();
        self.push_errors(mapped);

        let Some(entities) = entities else {
            return;
        };
        let Value::Array(values) = self.rewritten(entities, output_rewrites).resolve() else {
            return;
        };
        let mut tree = self.data.lock().unwrap_or_else(|e| e.into_inner());
        let Tree { root, reshaped } = &mut *tree;
        let recheck = *reshaped != batch.reshaped_at;
        for (path, targets) in batch.paths.iter().zip(&batch.targets) {
            // Ordinals only depend on keys and lists, which merges never remove, only replace;
            // after a replacement the objects are counted again, and if they changed, nothing
            // is merged rather than misplaced.
            let mut reached = targets.len();
            if recheck {
                let mut shared = SharedWalks::new(types);
                shared.walk(root, path.as_slice(), true, &mut |_| {});
                reached = shared.ordinal;
            }
            if reached != targets.len() {
                debug!(
                    service,
                    "response tree changed under an entity fetch; skipping merge"
                );
                continue;
            }
            let mut merges = SharedMerges::new(targets, self.arena);
            merges.walk(root, path.as_slice(), &mut |n, target| {
                let Some(Some(index)) = targets.get(n) else {
                    return;
                };
                // Every target of an entity shares its fields; see `Value::make_mut`.
                if let Some(Value::Object(entity)) = values.get(*index).map(Value::resolve)
                    && let Value::Object(object) = target.make_mut_with_room(2 * entity.len())
                {
                    merge_object(object, entity, types, reshaped);
                }
            });
        }
    }
}

/// Merges entity results along one path: `f(ordinal, object)` for the objects [`SharedWalks`]
/// reached, in the same order, made writable on the way down (the objects themselves are
/// handed over as they are: `f` makes them writable with room for what it adds). Repeated
/// content (see [`Value::is_repeated`]) is merged once: the merged copy goes into the arena as
/// repeated content itself, and every other position that shared the subtree, and sent the
/// same representations from below it, shares the copy.
struct SharedMerges<'m, 'a> {
    targets: &'m [Option<usize>],
    arena: &'a Arena<'a>,
    ordinal: usize,
    /// subtree -> (first ordinal, object count, merged copy).
    merged: FxHashMap<SubtreeKey, (usize, usize, &'a Value<'a>)>,
}

impl<'m, 'a> SharedMerges<'m, 'a> {
    fn new(targets: &'m [Option<usize>], arena: &'a Arena<'a>) -> Self {
        Self {
            targets,
            arena,
            ordinal: 0,
            merged: FxHashMap::default(),
        }
    }

    fn walk(
        &mut self,
        value: &mut Value<'a>,
        path: &[FlattenNodePathSegment],
        f: &mut dyn FnMut(usize, &mut Value<'a>),
    ) {
        if !value.is_repeated() {
            return self.walk_value(value, path, f);
        }
        let key = subtree_key(value, path);
        let start = self.ordinal;
        if let Some(&(first, count, merged)) = self.merged.get(&key) {
            let same = self.targets.get(first..first + count);
            if same.is_some() && same == self.targets.get(start..start + count) {
                *value = Value::Ref(merged);
                self.ordinal += count;
                return;
            }
            return self.walk_value(value, path, f);
        }
        self.walk_value(value, path, f);
        // Stored as shared content: positions below a later fetch see it repeat.
        let merged = Value::Shared(std::sync::Arc::new(std::mem::take(value)));
        let merged = self.arena.keep_tree(merged);
        *value = Value::Ref(merged);
        self.merged
            .insert(key, (start, self.ordinal - start, merged));
    }

    fn walk_value(
        &mut self,
        value: &mut Value<'a>,
        path: &[FlattenNodePathSegment],
        f: &mut dyn FnMut(usize, &mut Value<'a>),
    ) {
        if path.is_empty() {
            if value.is_object() {
                f(self.ordinal, value);
                self.ordinal += 1;
            } else if let Value::Array(items) = value.make_mut() {
                for item in items {
                    self.walk(item, path, f);
                }
            }
            return;
        }
        match (path.split_first(), value.make_mut()) {
            (_, Value::Array(items)) => {
                let rest = below_list(path);
                for item in items {
                    self.walk(item, rest, f);
                }
            }
            (Some((FlattenNodePathSegment::Field(key), rest)), Value::Object(object)) => {
                if let Some(child) = object.get_mut(key) {
                    self.walk(child, rest, f);
                }
            }
            (Some((_, rest)), value @ Value::Object(_)) => self.walk_value(value, rest, f),
            _ => {}
        }
    }
}

/// Deep-merges a subgraph's object into one in the response tree. A concrete `__typename`
/// already there wins over an interface name (an `@interfaceObject` subgraph only knows the
/// interface).
fn merge_object<'a>(
    into: &mut Object<'a>,
    from: &'a Object<'a>,
    types: &SchemaIndex,
    reshaped: &mut u64,
) {
    into.reserve(from.len());
    for (key, value) in from.entries() {
        if key == "__typename" {
            let keep = into
                .get("__typename")
                .and_then(Value::as_str)
                .is_some_and(|t| {
                    value.as_str() == Some(t) || types.get(t).is_some_and(|d| !d.is_abstract())
                });
            if keep {
                continue;
            }
        }
        match into.get_mut(key) {
            Some(existing) => merge(existing, value, types, reshaped),
            None => {
                if is_container(value.resolve()) {
                    *reshaped += 1;
                }
                into.push(key.clone(), Value::shared(value));
            }
        }
    }
}

/// Deep-merges a subgraph's result into the response tree, sharing what it does not change.
/// Counts in `reshaped` each list or object it replaces instead of merging into.
pub(super) fn merge<'a>(
    target: &mut Value<'a>,
    source: &'a Value<'a>,
    types: &SchemaIndex,
    reshaped: &mut u64,
) {
    let source = source.resolve();
    match (target.resolve(), source) {
        (Value::Object(_), Value::Object(from)) => {
            if let Value::Object(into) = target.make_mut() {
                merge_object(into, from, types, reshaped);
            }
        }
        (Value::Array(into), Value::Array(from)) if into.len() == from.len() => {
            if let Value::Array(into) = target.make_mut() {
                for (existing, value) in into.iter_mut().zip(from) {
                    merge(existing, value, types, reshaped);
                }
            }
        }
        (existing, _) => {
            if is_container(existing) || is_container(source) {
                *reshaped += 1;
            }
            *target = Value::shared(source);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::entities::Reached;

    fn parse(json: &str) -> Value<'_> {
        serde_json::from_str(json).expect("test JSON")
    }

    fn json(value: &Value<'_>) -> String {
        let mut out = Vec::new();
        value.write_json(&mut out);
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn merging_into_one_position_leaves_other_sharers_and_the_source_alone() {
        let source = parse(r#"{"a":{"x":1,"inner":{"z":0}}}"#);
        let entity = parse(r#"{"y":2,"inner":{"w":3}}"#);
        let shared = source.get("a").expect("a");
        let types = SchemaIndex::default();
        let mut reshaped = 0;
        let mut tree = Value::Array(vec![Value::shared(shared), Value::shared(shared)]);
        let arena = Arena::default();
        let mut merges = SharedMerges::new(&[], &arena);
        merges.walk(&mut tree, &[], &mut |n, object| {
            if n == 0 {
                merge_object(
                    object.as_object_mut().expect("object"),
                    entity.as_object().expect("object"),
                    &types,
                    &mut reshaped,
                );
            }
        });
        assert_eq!(
            json(&tree),
            r#"[{"x":1,"inner":{"z":0,"w":3},"y":2},{"x":1,"inner":{"z":0}}]"#
        );
        assert_eq!(json(&source), r#"{"a":{"x":1,"inner":{"z":0}}}"#);
    }

    #[test]
    fn walks_through_shared_subtrees_and_copies_only_the_path_it_writes() {
        let source = parse(r#"{"items":[{"p":{"id":1}},{"p":{"id":2}}],"other":{"big":[1,2,3]}}"#);
        let entity = parse(r#"{"name":"n"}"#);
        let types = SchemaIndex::default();
        let mut reshaped = 0;
        let mut tree = Value::shared(&source);
        let path = [
            FlattenNodePathSegment::Field("items".into()),
            FlattenNodePathSegment::List,
            FlattenNodePathSegment::Field("p".into()),
        ];
        let mut reached = Vec::new();
        let arena = Arena::default();
        let mut merges = SharedMerges::new(&[], &arena);
        merges.walk(&mut tree, &path, &mut |n, object| {
            reached.push(n);
            merge_object(
                object.as_object_mut().expect("object"),
                entity.as_object().expect("object"),
                &types,
                &mut reshaped,
            );
        });
        assert_eq!(reached, [0, 1]);
        assert_eq!(
            json(&tree),
            r#"{"items":[{"p":{"id":1,"name":"n"}},{"p":{"id":2,"name":"n"}}],"other":{"big":[1,2,3]}}"#
        );
        // The untouched member is still the parsed one, not a copy.
        let other = tree
            .as_object()
            .and_then(|o| o.get("other"))
            .expect("other");
        assert!(
            matches!(other, Value::Ref(r) if std::ptr::eq(*r, source.get("other").expect("other")))
        );
    }

    /// Collects and merges along `path` as an entity fetch does; an object's `id` is the
    /// index of its entity. Returns each ordinal's target and how many times a shared subtree
    /// was reached again instead of walked.
    fn collect_and_merge<'a>(
        tree: &mut Value<'a>,
        path: &[FlattenNodePathSegment],
        arena: &'a Arena<'a>,
        entities: &'a [Value<'a>],
    ) -> (Vec<Option<usize>>, usize) {
        let types = SchemaIndex::default();
        let mut targets = Vec::new();
        let mut again = 0;
        let mut shared = SharedWalks::new(&types);
        shared.walk(tree, path, true, &mut |reached| match reached {
            Reached::Again { first, count } => {
                again += 1;
                targets.extend_from_within(first..first + count);
            }
            Reached::Object(_, object) => {
                let id = object.get("id").and_then(Value::as_str).expect("id");
                targets.push(Some(id.parse().expect("index")));
            }
        });
        let mut merges = SharedMerges::new(&targets, arena);
        let mut reshaped = 0;
        merges.walk(tree, path, &mut |n, target| {
            if let Some(Some(index)) = targets.get(n) {
                let entity = entities[*index].as_object().expect("object");
                let object = target.as_object_mut().expect("object");
                merge_object(object, entity, &types, &mut reshaped);
            }
        });
        (targets, again)
    }

    fn user_reviews_path() -> [FlattenNodePathSegment; 4] {
        [
            FlattenNodePathSegment::List,
            FlattenNodePathSegment::Field("reviews".into()),
            FlattenNodePathSegment::List,
            FlattenNodePathSegment::Field("product".into()),
        ]
    }

    #[test]
    fn a_shared_subtree_is_walked_and_merged_once_for_all_its_positions() {
        // Content a response stores once for several positions.
        let user = Value::Shared(std::sync::Arc::new(parse(
            r#"{"reviews":[{"product":{"id":"0"}},{"product":{"id":"1"}}]}"#,
        )));
        let entities = [parse(r#"{"name":"zero"}"#), parse(r#"{"name":"one"}"#)];
        let arena = Arena::default();
        let mut tree = Value::Array(vec![Value::shared(&user); 3]);
        let (targets, again) =
            collect_and_merge(&mut tree, &user_reviews_path(), &arena, &entities);
        assert_eq!(targets, [0, 1, 0, 1, 0, 1].map(Some));
        assert_eq!(
            again, 2,
            "the user subtree, walked once for three positions"
        );
        let merged = r#"{"reviews":[{"product":{"id":"0","name":"zero"}},{"product":{"id":"1","name":"one"}}]}"#;
        assert_eq!(json(&tree), format!("[{merged},{merged},{merged}]"));
        let Value::Array(items) = &tree else {
            panic!("a list")
        };
        let copies: Vec<_> = items
            .iter()
            .map(|item| match item {
                Value::Ref(copy) => std::ptr::from_ref(*copy),
                other => panic!("a position holds its own copy: {other:?}"),
            })
            .collect();
        assert!(copies.iter().all(|c| *c == copies[0]), "one merged copy");
        assert_eq!(
            json(&user),
            r#"{"reviews":[{"product":{"id":"0"}},{"product":{"id":"1"}}]}"#
        );
    }

    #[test]
    fn repeated_subtrees_of_a_response_are_merged_once() {
        // Two users with the same reviews, as a response stores them: one shared subtree.
        let mut response =
            parse(r#"[{"reviews":[{"product":{"id":"0"}}]},{"reviews":[{"product":{"id":"0"}}]}]"#);
        crate::json::share_repeated_subtrees(&mut response);
        let entities = [parse(r#"{"name":"zero"}"#)];
        let arena = Arena::default();
        let mut tree = Value::shared(&response);
        let (targets, again) =
            collect_and_merge(&mut tree, &user_reviews_path(), &arena, &entities);
        assert_eq!(targets, [Some(0), Some(0)]);
        assert_eq!(again, 1, "the second user is the first one, stored once");
        let merged = r#"{"reviews":[{"product":{"id":"0","name":"zero"}}]}"#;
        assert_eq!(json(&tree), format!("[{merged},{merged}]"));
    }

    proptest::proptest! {
        /// Users with reviews of products, many of them repeated: merging into the response as
        /// `share_repeated_subtrees` leaves it gives the same tree as merging into every
        /// position of an unshared copy.
        #[test]
        fn merging_into_shared_subtrees_matches_merging_into_copies(
            users in proptest::collection::vec(
                proptest::collection::vec(0usize..3, 0..4), 1..6,
            ),
        ) {
            let text = serde_json::to_string(&serde_json::json!(users
                .iter()
                .map(|reviews| serde_json::json!({
                    "reviews": reviews
                        .iter()
                        .map(|id| serde_json::json!({ "product": { "id": id.to_string() } }))
                        .collect::<Vec<_>>(),
                }))
                .collect::<Vec<_>>()))
            .expect("json");
            let entities = [
                parse(r#"{"name":"zero","tags":["a"]}"#),
                parse(r#"{"name":"one"}"#),
                parse(r#"{"name":"two","tags":[]}"#),
            ];
            let mut repeated = parse(&text);
            crate::json::share_repeated_subtrees(&mut repeated);
            let copies = parse(&text);
            let arena = Arena::default();
            let mut shared_tree = Value::shared(&repeated);
            let mut copied_tree = Value::shared(&copies);
            let path = user_reviews_path();
            let (shared_targets, _) =
                collect_and_merge(&mut shared_tree, &path, &arena, &entities);
            let (copied_targets, again) =
                collect_and_merge(&mut copied_tree, &path, &arena, &entities);
            proptest::prop_assert_eq!(again, 0, "nothing repeats in the unshared copy");
            proptest::prop_assert_eq!(shared_targets, copied_targets);
            proptest::prop_assert_eq!(json(&shared_tree), json(&copied_tree));
        }
    }

    #[test]
    fn positions_sharing_a_subtree_but_not_its_results_are_merged_apart() {
        let user = Value::Shared(std::sync::Arc::new(parse(r#"{"product":{"id":"0"}}"#)));
        let entities = [parse(r#"{"name":"zero"}"#)];
        let arena = Arena::default();
        let mut tree = Value::Array(vec![Value::shared(&user), Value::shared(&user)]);
        let types = SchemaIndex::default();
        let path = [
            FlattenNodePathSegment::List,
            FlattenNodePathSegment::Field("product".into()),
        ];
        let mut shared = SharedWalks::new(&types);
        shared.walk(&tree, &path, true, &mut |_| {});
        // As when the second position's representation could not be built.
        let targets = [Some(0), None];
        let mut merges = SharedMerges::new(&targets, &arena);
        let mut reshaped = 0;
        merges.walk(&mut tree, &path, &mut |n, target| {
            if let Some(Some(index)) = targets.get(n) {
                let entity = entities[*index].as_object().expect("object");
                let object = target.as_object_mut().expect("object");
                merge_object(object, entity, &types, &mut reshaped);
            }
        });
        assert_eq!(
            json(&tree),
            r#"[{"product":{"id":"0","name":"zero"}},{"product":{"id":"0"}}]"#
        );
    }

    #[test]
    fn counts_the_merges_that_can_move_collected_objects() {
        let same_shape = parse(r#"{"list":[{"extra":true}],"s":"x"}"#);
        let longer_list = parse(r#"{"list":[{"id":1},{"id":2}]}"#);
        let object_for_null = parse(r#"{"n":{"id":3}}"#);
        let new_object = parse(r#"{"o":{"id":4}}"#);
        let types = SchemaIndex::default();
        let mut reshaped = 0;
        let mut tree = parse(r#"{"list":[{"id":1}],"n":null}"#);
        merge(&mut tree, &same_shape, &types, &mut reshaped);
        assert_eq!(
            reshaped, 0,
            "a list of the same length and a scalar move nothing"
        );
        merge(&mut tree, &longer_list, &types, &mut reshaped);
        assert_eq!(reshaped, 1);
        merge(&mut tree, &object_for_null, &types, &mut reshaped);
        assert_eq!(reshaped, 2);
        merge(&mut tree, &new_object, &types, &mut reshaped);
        assert_eq!(reshaped, 3);
        assert_eq!(
            json(&tree),
            r#"{"list":[{"id":1},{"id":2}],"n":{"id":3},"s":"x","o":{"id":4}}"#
        );
    }
}
