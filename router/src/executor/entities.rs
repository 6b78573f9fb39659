//! The entity positions a fetch targets: objects reached along its paths (each shared subtree
//! walked once), the representations they send, and their client paths for errors.

use rustc_hash::FxHashMap;

use hive_router_query_planner::ast::selection_set::SelectionSet as PlanSelectionSet;
use hive_router_query_planner::planner::plan_nodes::{
    FetchRewrite, FlattenNodePath, FlattenNodePathSegment,
};

use super::Executor;
use super::representations::RepresentationWriter;
use crate::json::{Object, Value};
use crate::plan::rewrites;
use crate::schema::SchemaIndex;

/// One step of a location in the response tree.
#[derive(Debug, Clone, Copy)]
enum Loc<'p> {
    Key(&'p str),
    Index(usize),
}

/// Entities to fetch for one `_entities` field: representations and where results go.
pub(super) struct EntityBatch<'p> {
    /// [`Tree::reshaped`](super::Tree::reshaped) when the objects were collected.
    pub(super) reshaped_at: u64,
    pub(super) paths: &'p [FlattenNodePath],
    /// Serialized representations, deduplicated by their bytes.
    pub(super) representations: Vec<Vec<u8>>,
    /// Per path, per object the path reaches (in walk order): the representation it sent.
    pub(super) targets: Vec<Vec<Option<usize>>>,
}

impl<'a> Executor<'a> {
    /// Finds the objects at `paths` and builds one representation per distinct entity.
    pub(super) fn collect_entities<'p>(
        &self,
        paths: &'p [FlattenNodePath],
        requires: &PlanSelectionSet,
        input_rewrites: Option<&[FetchRewrite]>,
    ) -> EntityBatch<'p> {
        let data = self.data.lock().unwrap_or_else(|e| e.into_inner());
        let types = self.types();
        let rewrites = input_rewrites.unwrap_or_default();
        let mut seen: FxHashMap<Vec<u8>, usize> = FxHashMap::default();
        let mut buffer = Vec::with_capacity(128);
        let mut writer = RepresentationWriter::new(types);
        let mut targets = Vec::with_capacity(paths.len());
        for path in paths {
            let mut path_targets: Vec<Option<usize>> = Vec::with_capacity(64);
            let mut shared = SharedWalks::new(types);
            shared.walk(&data.root, path.as_slice(), true, &mut |reached| {
                let (matched, object) = match reached {
                    Reached::Again { first, count } => {
                        path_targets.extend_from_within(first..first + count);
                        return;
                    }
                    Reached::Object(matched, object) => (matched, object),
                };
                path_targets.push(None);
                if !matched {
                    return;
                }
                buffer.clear();
                if writer.write_entity(&mut buffer, object, requires).is_none() {
                    return;
                }
                if !rewrites.is_empty() {
                    // Rewrites edit the representation as a tree; the rare slow path.
                    let Ok(written) = serde_json::from_slice(&buffer) else {
                        return;
                    };
                    let mut rep = Value::from_json(written);
                    for rewrite in rewrites {
                        rewrites::apply(&mut rep, rewrite, types);
                    }
                    buffer.clear();
                    rep.write_json(&mut buffer);
                }
                let next = seen.len();
                let index = match seen.get(buffer.as_slice()) {
                    Some(index) => *index,
                    None => {
                        seen.insert(buffer.clone(), next);
                        next
                    }
                };
                if let Some(slot) = path_targets.last_mut() {
                    *slot = Some(index);
                }
            });
            targets.push(path_targets);
        }
        let mut representations = vec![Vec::new(); seen.len()];
        for (bytes, index) in seen {
            representations[index] = bytes;
        }
        EntityBatch {
            reshaped_at: data.reshaped,
            paths,
            representations,
            targets,
        }
    }

    /// The client path of the first object that sent representation `index`.
    pub(super) fn entity_path(
        &self,
        batch: &EntityBatch<'_>,
        index: usize,
    ) -> Option<Vec<serde_json::Value>> {
        let (path_index, ordinal) = batch.targets.iter().enumerate().find_map(|(p, t)| {
            t.iter()
                .position(|slot| *slot == Some(index))
                .map(|ordinal| (p, ordinal))
        })?;
        let data = self.data.lock().unwrap_or_else(|e| e.into_inner());
        let path = batch.paths.get(path_index)?;
        let mut found = None;
        let mut counter = 0;
        walk_locations(
            &data.root,
            path.as_slice(),
            &mut Vec::new(),
            &mut counter,
            &mut |n, loc| {
                if n == ordinal {
                    found = Some(loc_to_path(loc));
                }
            },
        );
        found
    }
}

fn loc_to_path(loc: &[Loc<'_>]) -> Vec<serde_json::Value> {
    loc.iter()
        .map(|l| match l {
            Loc::Key(k) => serde_json::Value::String((*k).to_string()),
            Loc::Index(i) => serde_json::Value::from(*i),
        })
        .collect()
}

/// Whether an object's `__typename` satisfies one of the type conditions (objects without a
/// typename are assumed to, as their static type already matched when they were fetched).
fn matches_condition(
    object: &Object<'_>,
    conditions: &std::collections::BTreeSet<String>,
    types: &SchemaIndex,
) -> bool {
    match object.get("__typename").and_then(Value::as_str) {
        Some(typename) => conditions
            .iter()
            .any(|c| types.does_type_apply(c, typename)),
        None => true,
    }
}

/// A shared subtree reached during a walk: its address (shared subtrees are immutable, and
/// a response stores each repeated subtree once, so one address is one content) and how
/// much of the path is left below it.
pub(super) type SubtreeKey = (usize, usize);

pub(super) fn subtree_key(value: &Value<'_>, path: &[FlattenNodePathSegment]) -> SubtreeKey {
    (std::ptr::from_ref(value.resolve()) as usize, path.len())
}

/// The path below a list: lists are walked whether or not the path marks them with `@`.
pub(super) fn below_list(path: &[FlattenNodePathSegment]) -> &[FlattenNodePathSegment] {
    match path.split_first() {
        Some((FlattenNodePathSegment::List, rest)) => rest,
        _ => path,
    }
}

/// What [`SharedWalks`] reports for each object it reaches.
pub(super) enum Reached<'v, 'a> {
    /// An object, and whether the path's type conditions matched on the way to it.
    Object(bool, &'v Object<'a>),
    /// `count` objects of a shared subtree walked before: the same objects as those from
    /// ordinal `first` on, so they get the same representations.
    Again { first: usize, count: usize },
}

/// Walks a path from the root and reports every object it reaches, in document order. Type
/// conditions never stop the walk, they only clear `matched`: which objects are reached then
/// depends on keys and lists alone, so a later walk reaches the same ones.
///
/// A walk remembers the shared subtrees it went through. An entity result merged into many
/// positions, or a subtree a response repeats, is shared by all its positions, and a path below
/// it reaches the same objects from each: they are walked once and reported as
/// [`Reached::Again`] after that.
pub(super) struct SharedWalks<'t> {
    types: &'t SchemaIndex,
    /// Objects reached so far.
    pub(super) ordinal: usize,
    /// (subtree, whether type conditions matched above it) -> (first ordinal, object count).
    walked: FxHashMap<(SubtreeKey, bool), (usize, usize)>,
}

impl<'t> SharedWalks<'t> {
    pub(super) fn new(types: &'t SchemaIndex) -> Self {
        Self {
            types,
            ordinal: 0,
            walked: FxHashMap::default(),
        }
    }

    pub(super) fn walk<'v, 'a>(
        &mut self,
        value: &'v Value<'a>,
        path: &[FlattenNodePathSegment],
        matched: bool,
        f: &mut dyn FnMut(Reached<'v, 'a>),
    ) {
        if !value.is_repeated() {
            return self.walk_value(value, path, matched, f);
        }
        let key = (subtree_key(value, path), matched);
        if let Some(&(first, count)) = self.walked.get(&key) {
            self.ordinal += count;
            return f(Reached::Again { first, count });
        }
        let first = self.ordinal;
        self.walk_value(value.resolve(), path, matched, f);
        self.walked.insert(key, (first, self.ordinal - first));
    }

    fn walk_value<'v, 'a>(
        &mut self,
        value: &'v Value<'a>,
        path: &[FlattenNodePathSegment],
        matched: bool,
        f: &mut dyn FnMut(Reached<'v, 'a>),
    ) {
        match (path.split_first(), value.resolve()) {
            (_, Value::Array(items)) => {
                let rest = below_list(path);
                for item in items {
                    self.walk(item, rest, matched, f);
                }
            }
            (None, Value::Object(object)) => {
                self.ordinal += 1;
                f(Reached::Object(matched, object));
            }
            (Some((FlattenNodePathSegment::Field(key), rest)), Value::Object(object)) => {
                if let Some(child) = object.get(key) {
                    self.walk(child, rest, matched, f);
                }
            }
            (
                Some((FlattenNodePathSegment::TypeCondition(conditions), rest)),
                Value::Object(object),
            ) => {
                let matched = matched && matches_condition(object, conditions, self.types);
                self.walk_value(value, rest, matched, f);
            }
            (Some((FlattenNodePathSegment::List, rest)), Value::Object(_)) => {
                self.walk_value(value, rest, matched, f);
            }
            _ => {}
        }
    }
}

/// `walk` that tracks each object's location, for error paths (only when errors come back).
fn walk_locations<'p>(
    value: &Value<'_>,
    path: &'p [FlattenNodePathSegment],
    loc: &mut Vec<Loc<'p>>,
    ordinal: &mut usize,
    f: &mut dyn FnMut(usize, &[Loc<'p>]),
) {
    match (path.split_first(), value.resolve()) {
        (_, Value::Array(items)) => {
            let rest = below_list(path);
            for (i, item) in items.iter().enumerate() {
                loc.push(Loc::Index(i));
                walk_locations(item, rest, loc, ordinal, f);
                loc.pop();
            }
        }
        (None, Value::Object(_)) => {
            f(*ordinal, loc);
            *ordinal += 1;
        }
        (Some((FlattenNodePathSegment::Field(key), rest)), Value::Object(object)) => {
            if let Some(child) = object.get(key) {
                loc.push(Loc::Key(key));
                walk_locations(child, rest, loc, ordinal, f);
                loc.pop();
            }
        }
        (Some((_, rest)), object @ Value::Object(_)) => {
            walk_locations(object, rest, loc, ordinal, f)
        }
        _ => {}
    }
}
