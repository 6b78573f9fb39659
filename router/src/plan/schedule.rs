//! When each step of a plan's Sequence may start. The planner orders a Sequence's steps
//! strictly, but a step often needs only some of the steps before it: in
//! `Sequence[products, Parallel[reviews…], Parallel[products…, accounts…], inventory…]` the
//! last fetch reads what the products fetch before it wrote, not what accounts wrote. A step
//! waits for an earlier one only when their footprints in the response tree overlap (one
//! writes where the other reads or writes), so a slow branch no longer holds back an
//! unrelated one. Anything this analysis cannot see through (mutations, rewrites, deferred
//! or nested non-fetch nodes) waits for everything before it, and everything after waits
//! for it.

use std::hash::{Hash, Hasher};

use rustc_hash::FxHashMap;

use hive_router_query_planner::ast::operation::SubgraphFetchOperation;
use hive_router_query_planner::ast::selection_item::SelectionItem;
use hive_router_query_planner::ast::selection_set::SelectionSet;
use hive_router_query_planner::planner::plan_nodes::{
    ConditionNode, FetchNode, FlattenNodePath, FlattenNodePathSegment, ParallelNode, PlanNode,
    QueryPlan, SequenceNode,
};
use hive_router_query_planner::state::supergraph_state::OperationKind;

/// For the Sequences of one plan whose steps need not run strictly one after another, the
/// units they run as and what each waits for; and the shape of each entity fetch, under
/// which an execution keeps the answers it got (see `Executor::entity_fetch`).
#[derive(Debug, Default)]
pub struct Schedule {
    /// Keyed by the Sequence node's address: plans are immutable once prepared.
    units: FxHashMap<usize, Vec<Unit>>,
    /// Keyed by the fetch node's address.
    entity_shapes: FxHashMap<usize, u64>,
}

/// A step of a Sequence, or one branch of a step that is a Parallel (branches are scheduled
/// apart, so a later step waits only for the branches it needs).
#[derive(Debug)]
pub struct Unit {
    step: usize,
    branch: Option<usize>,
    /// Indexes of earlier units that must be done before this one starts.
    pub waits: Vec<usize>,
}

impl Unit {
    /// The plan node this unit runs.
    pub fn node<'p>(&self, steps: &'p [PlanNode]) -> &'p PlanNode {
        let step = &steps[self.step];
        match (self.branch, step) {
            (Some(branch), PlanNode::Parallel(parallel)) => &parallel.nodes[branch],
            _ => step,
        }
    }
}

/// A Sequence's units, each waiting for the units of earlier steps its footprint overlaps;
/// `None` when every unit waits for the whole step before it (the strict order anyway).
fn units(sequence: &SequenceNode) -> Option<Vec<Unit>> {
    let mut units: Vec<(Unit, Footprint<'_>)> = Vec::new();
    let mut strict = true;
    for (step, node) in sequence.nodes.iter().enumerate() {
        let branches: Vec<(Option<usize>, &PlanNode)> = match node {
            PlanNode::Parallel(parallel) => parallel
                .nodes
                .iter()
                .enumerate()
                .map(|(i, n)| (Some(i), n))
                .collect(),
            other => vec![(None, other)],
        };
        for (branch, node) in branches {
            let mut footprint = Footprint::default();
            footprint.add(node);
            let waits: Vec<usize> = units
                .iter()
                .enumerate()
                .filter(|(_, (earlier, theirs))| {
                    earlier.step < step && theirs.conflicts(&footprint)
                })
                .map(|(index, _)| index)
                .collect();
            strict &= units
                .iter()
                .enumerate()
                .filter(|(_, (earlier, _))| earlier.step + 1 == step)
                .all(|(index, _)| waits.contains(&index));
            units.push((
                Unit {
                    step,
                    branch,
                    waits,
                },
                footprint,
            ));
        }
    }
    (!strict).then(|| units.into_iter().map(|(unit, _)| unit).collect())
}

impl Schedule {
    /// The schedule of a query's plan. Mutations keep their strict order (each mutation
    /// field runs after the previous one has finished, per the GraphQL spec) and reuse no
    /// answer (data changes between their fetches), so they get an empty schedule.
    pub fn new(plan: &QueryPlan, is_query: bool) -> Self {
        let mut schedule = Schedule::default();
        if is_query && let Some(node) = &plan.node {
            schedule.visit(node);
        }
        schedule
    }

    /// The shape of an entity fetch of this plan; `None` when its answers must not be reused.
    pub fn entity_shape(&self, fetch: &FetchNode) -> Option<u64> {
        self.entity_shapes
            .get(&(std::ptr::from_ref(fetch) as usize))
            .copied()
    }

    /// The units `sequence` runs as; `None` means its steps run one after another.
    pub fn units(&self, sequence: &SequenceNode) -> Option<&[Unit]> {
        self.units.get(&key(sequence)).map(Vec::as_slice)
    }

    fn visit(&mut self, node: &PlanNode) {
        match node {
            PlanNode::Sequence(sequence) => {
                if let Some(units) = units(sequence) {
                    self.units.insert(key(sequence), units);
                }
                sequence.nodes.iter().for_each(|step| self.visit(step));
            }
            PlanNode::Parallel(parallel) => parallel.nodes.iter().for_each(|n| self.visit(n)),
            PlanNode::Flatten(flatten) => match flatten.node.as_ref() {
                PlanNode::Fetch(fetch) => {
                    if let Some(shape) = entity_shape(fetch) {
                        self.entity_shapes
                            .insert(std::ptr::from_ref(fetch) as usize, shape);
                    }
                }
                other => self.visit(other),
            },
            PlanNode::Condition(condition) => {
                branches(condition).for_each(|branch| self.visit(branch));
            }
            PlanNode::Defer(defer) => {
                let deferred = defer.deferred.iter().filter_map(|d| d.node.as_deref());
                for node in defer.primary.node.as_deref().into_iter().chain(deferred) {
                    self.visit(node);
                }
            }
            PlanNode::Fetch(_) | PlanNode::BatchFetch(_) | PlanNode::Subscription(_) => {}
        }
    }
}

/// What makes two entity fetches ask the same question of the same entity: the subgraph and
/// the selection, its fields in any order. `None` when answers must not be reused: the
/// planner's rewrites.
fn entity_shape(fetch: &FetchNode) -> Option<u64> {
    if fetch.requires.is_none() || super::rewrites::any(fetch) {
        return None;
    }
    let document = &fetch.operation.document;
    let entities = document.operation.selection_set.entities_field()?;
    let mut printed: Vec<String> = Vec::new();
    for item in &entities.selections.items {
        let SelectionItem::InlineFragment(fragment) = item else {
            return None;
        };
        let mut fields: Vec<String> = fragment
            .selections
            .items
            .iter()
            .map(ToString::to_string)
            .collect();
        fields.sort_unstable();
        printed.push(format!(
            "{}{{{}}}",
            fragment.type_condition,
            fields.join(" ")
        ));
    }
    printed.sort_unstable();
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    fetch.service_name.hash(&mut hasher);
    printed.hash(&mut hasher);
    for fragment in &document.fragments {
        fragment.to_string().hash(&mut hasher);
    }
    Some(hasher.finish())
}

fn branches(condition: &ConditionNode) -> impl Iterator<Item = &PlanNode> {
    [&condition.if_clause, &condition.else_clause]
        .into_iter()
        .flatten()
        .map(|branch| &**branch)
}

fn key(sequence: &SequenceNode) -> usize {
    std::ptr::from_ref(sequence) as usize
}

/// Where a step reads or writes the response tree.
#[derive(Debug, Default)]
struct Footprint<'p> {
    accesses: Vec<Access<'p>>,
    /// Not analysed: ordered against every other step.
    barrier: bool,
}

/// The members `keys` of the objects that `path` reaches.
#[derive(Debug)]
struct Access<'p> {
    /// Response keys and `@` for lists. Type conditions are left out, which can only make
    /// two paths look like they meet where they do not.
    path: Vec<&'p str>,
    /// `None`: any member.
    keys: Option<Vec<&'p str>>,
    writes: bool,
}

impl<'p> Footprint<'p> {
    fn add(&mut self, node: &'p PlanNode) {
        match node {
            PlanNode::Sequence(SequenceNode { nodes })
            | PlanNode::Parallel(ParallelNode { nodes }) => {
                nodes.iter().for_each(|n| self.add(n));
            }
            PlanNode::Condition(condition) => {
                branches(condition).for_each(|branch| self.add(branch));
            }
            PlanNode::Fetch(fetch) => self.fetch(fetch, None),
            PlanNode::Flatten(flatten) => match flatten.node.as_ref() {
                PlanNode::Fetch(fetch) => self.fetch(fetch, Some(&flatten.path)),
                _ => self.barrier = true,
            },
            PlanNode::BatchFetch(batch) => {
                for alias in &batch.entity_batch.aliases {
                    if alias.input_rewrites.is_some() || alias.output_rewrites.is_some() {
                        self.barrier = true;
                        return;
                    }
                    let written = field_keys(&batch.operation, &alias.alias);
                    for path in &alias.merge_paths {
                        self.entity_access(path, &alias.requires, written.clone());
                    }
                }
            }
            PlanNode::Subscription(_) | PlanNode::Defer(_) => self.barrier = true,
        }
    }

    /// A fetch as the executor runs it: with `requires` at its Flatten path, otherwise its
    /// data merges at the root.
    fn fetch(&mut self, fetch: &'p FetchNode, path: Option<&'p FlattenNodePath>) {
        if matches!(fetch.operation_kind, Some(OperationKind::Mutation))
            || fetch.input_rewrites.is_some()
            || fetch.output_rewrites.is_some()
        {
            self.barrier = true;
            return;
        }
        match (path, &fetch.requires) {
            (Some(path), Some(requires)) => {
                let written = field_keys(&fetch.operation, "_entities");
                self.entity_access(path, requires, written);
            }
            _ => self.accesses.push(Access {
                path: Vec::new(),
                keys: keys(
                    &fetch.operation.document.operation.selection_set,
                    &fetch.operation,
                ),
                writes: true,
            }),
        }
    }

    /// An `_entities` fetch reads its `requires` from the objects at `path` and merges
    /// `written` into them.
    fn entity_access(
        &mut self,
        path: &'p FlattenNodePath,
        requires: &'p SelectionSet,
        written: Option<Vec<&'p str>>,
    ) {
        let path: Vec<&str> = path
            .as_slice()
            .iter()
            .filter_map(|segment| match segment {
                FlattenNodePathSegment::Field(name) => Some(name.as_str()),
                FlattenNodePathSegment::List => Some("@"),
                FlattenNodePathSegment::TypeCondition(_) => None,
            })
            .collect();
        self.accesses.push(Access {
            path: path.clone(),
            keys: selection_keys(requires, &[]),
            writes: false,
        });
        self.accesses.push(Access {
            path,
            keys: written,
            writes: true,
        });
    }

    /// Whether one of the two steps writes where the other reads or writes.
    fn conflicts(&self, other: &Footprint<'_>) -> bool {
        self.barrier
            || other.barrier
            || self.accesses.iter().any(|a| {
                other
                    .accesses
                    .iter()
                    .any(|b| (a.writes || b.writes) && a.overlaps(b))
            })
    }
}

impl Access<'_> {
    /// Whether the two can touch the same member of the same object: the same objects and a
    /// common key, or one path passing through a member the other accesses.
    fn overlaps(&self, other: &Access<'_>) -> bool {
        let (short, long) = if self.path.len() <= other.path.len() {
            (self, other)
        } else {
            (other, self)
        };
        if short.path[..] != long.path[..short.path.len()] {
            return false;
        }
        let Some(short_keys) = &short.keys else {
            return true;
        };
        match long.path.get(short.path.len()) {
            // Below `short`'s objects: does `long`'s path go through one of its members?
            Some(&next) => next == "@" || short_keys.contains(&next),
            None => match &long.keys {
                Some(long_keys) => short_keys.iter().any(|k| long_keys.contains(k)),
                None => true,
            },
        }
    }
}

/// The response keys selected by the field with response key `name` at the top of a fetch
/// operation (`_entities`, or a batch alias); `None` (any key) if it is not found.
fn field_keys<'p>(operation: &'p SubgraphFetchOperation, name: &str) -> Option<Vec<&'p str>> {
    operation
        .document
        .operation
        .selection_set
        .items
        .iter()
        .find_map(|item| match item {
            SelectionItem::Field(field)
                if field.alias.as_deref().unwrap_or(&field.name) == name =>
            {
                Some(keys(&field.selections, operation))
            }
            _ => None,
        })
        .flatten()
}

fn keys<'p>(
    selections: &'p SelectionSet,
    operation: &'p SubgraphFetchOperation,
) -> Option<Vec<&'p str>> {
    selection_keys(selections, &operation.document.fragments)
}

/// The response keys a selection set selects on an object, through fragments; `None` when a
/// fragment spread names no known fragment.
fn selection_keys<'p>(
    selections: &'p SelectionSet,
    fragments: &'p [hive_router_query_planner::ast::fragment::FragmentDefinition],
) -> Option<Vec<&'p str>> {
    let mut keys = Vec::new();
    let mut pending = vec![selections];
    let mut spread: Vec<&str> = Vec::new();
    while let Some(set) = pending.pop() {
        for item in &set.items {
            match item {
                SelectionItem::Field(field) => {
                    keys.push(field.alias.as_deref().unwrap_or(&field.name));
                }
                SelectionItem::InlineFragment(fragment) => pending.push(&fragment.selections),
                SelectionItem::FragmentSpread(name) if !spread.contains(&name.as_str()) => {
                    spread.push(name);
                    let fragment = fragments.iter().find(|f| &f.name == name)?;
                    pending.push(&fragment.selection_set);
                }
                SelectionItem::FragmentSpread(_) => {}
            }
        }
    }
    Some(keys)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::pipeline::{Pipeline, PlanningOptions, PreparedOperation};
    use crate::supergraph::SchemaState;

    async fn prepared(fixture: &str, query: &str) -> Arc<PreparedOperation> {
        let path = format!("{}/tests/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"));
        let sdl = std::fs::read_to_string(path).expect("fixture");
        let state = Arc::new(SchemaState::from_sdl(&sdl, &Default::default()).expect("schema"));
        let options = PlanningOptions {
            timeout: Duration::from_secs(10),
            override_flags: Default::default(),
            limits: Default::default(),
            // The planner's own plans: these tests are about scheduling them.
            fetch_nested_entities_by_key: false,
        };
        Pipeline::new(options)
            .prepare(&state, query, None)
            .await
            .expect("plans")
    }

    fn service(node: &PlanNode) -> &str {
        match node {
            PlanNode::Flatten(flatten) => service(&flatten.node),
            PlanNode::Fetch(fetch) => &fetch.service_name,
            other => panic!("not a fetch: {other}"),
        }
    }

    #[tokio::test]
    async fn a_fetch_waits_only_for_the_branches_it_reads() {
        let prepared = prepared(
            "products.graphql",
            "{ topProducts { shippingEstimate reviews { author { name reviews { product { shippingEstimate } } } } } }",
        )
        .await;
        let Some(PlanNode::Sequence(sequence)) = &prepared.plan.as_ref().unwrap().node else {
            panic!("a sequence");
        };
        let units = prepared.schedule().units(sequence).expect("not strict");
        let named: Vec<(&str, Vec<&str>)> = units
            .iter()
            .map(|unit| {
                let waits = unit
                    .waits
                    .iter()
                    .map(|&w| service(units[w].node(&sequence.nodes)));
                (service(unit.node(&sequence.nodes)), waits.collect())
            })
            .collect();
        // products → [inventory, reviews] → [products, accounts] → inventory: the last
        // fetch reads price and weight below the review authors, which accounts never writes,
        // so it waits for the products branch and not for accounts.
        assert_eq!(
            named,
            [
                ("products", vec![]),
                ("inventory", vec!["products"]),
                ("reviews", vec!["products"]),
                ("products", vec!["products", "reviews"]),
                ("accounts", vec!["products", "reviews"]),
                ("inventory", vec!["products", "reviews", "products"]),
            ]
        );
    }

    #[tokio::test]
    async fn mutations_run_strictly_in_order() {
        let prepared = prepared(
            "values.graphql",
            r#"mutation { first: rename(id: "1", name: "A") { id name shippingCost } second: rename(id: "2", name: "B") { name } }"#,
        )
        .await;
        let plan = prepared.plan.as_ref().unwrap();
        assert!(prepared.schedule().units.is_empty());
        // Even read as a query, its mutation fetches would be ordered against everything.
        let schedule = Schedule::new(plan, true);
        let Some(PlanNode::Sequence(sequence)) = &plan.node else {
            panic!("a sequence: {plan}");
        };
        assert!(schedule.units(sequence).is_none(), "{plan}");
    }

    fn access(path: &[&'static str], keys: Option<&[&'static str]>) -> Access<'static> {
        Access {
            path: path.to_vec(),
            keys: keys.map(<[_]>::to_vec),
            writes: true,
        }
    }

    #[test]
    fn accesses_overlap_where_a_path_meets_the_other_ones_keys() {
        let authors = access(&["top", "@", "author"], Some(&["name"]));
        let cases = [
            (
                access(&["top", "@", "author", "reviews"], Some(&["x"])),
                false,
            ),
            (access(&["top", "@", "author", "name"], Some(&["x"])), true),
            (access(&["top", "@", "author"], Some(&["id", "name"])), true),
            (access(&["top", "@", "author"], Some(&["id"])), false),
            (access(&["top", "@", "author"], None), true),
            (access(&["top", "@"], Some(&["author"])), true),
            (access(&["top", "@"], Some(&["upc"])), false),
            (access(&["other"], None), false),
            (access(&[], Some(&["top"])), true),
            (access(&[], Some(&["other"])), false),
            (access(&["top", "@", "author", "@"], Some(&["x"])), true),
        ];
        for (other, overlaps) in cases {
            assert_eq!(authors.overlaps(&other), overlaps, "{other:?}");
            assert_eq!(other.overlaps(&authors), overlaps, "{other:?} (reversed)");
        }
    }
}
