//! Executes a query plan: walks Sequence/Parallel/Flatten/Fetch/BatchFetch/Condition nodes,
//! builds deduplicated `_entities` representations, sends subgraph requests and merges each
//! result into one response tree at its path, placing subgraph errors on client paths.

pub mod client;

use rustc_hash::FxHashMap;
use std::sync::Mutex;

use bytes::Bytes;
use futures::StreamExt;
use futures::future::{BoxFuture, FutureExt, join_all};
use futures::stream::FuturesUnordered;
use hive_router_query_planner::ast::selection_item::SelectionItem;
use hive_router_query_planner::ast::selection_set::SelectionSet as PlanSelectionSet;
use hive_router_query_planner::planner::plan_nodes::{
    BatchFetchNode, FetchNode, FetchRewrite, FlattenNodePath, FlattenNodePathSegment, PlanNode,
    QueryPlan,
};
use hive_router_query_planner::state::supergraph_state::OperationKind;
use serde_json::Map;
use tracing::debug;

use crate::error::{GraphQLError, codes};
use crate::json::{Object, Value};
use crate::plan::rewrites;
use crate::plan::schedule::{self, Schedule};
use crate::schema::SchemaIndex;
use crate::supergraph::SchemaState;
use client::{ParsedResponse, SubgraphClient, SubgraphResponse};

/// One step of a location in the response tree.
#[derive(Debug, Clone, Copy)]
enum Loc<'p> {
    Key(&'p str),
    Index(usize),
}

/// The response tree being assembled.
struct Tree<'a> {
    root: Value<'a>,
    /// How many times merges added, removed or replaced a list or object: the changes that
    /// can change which objects a path reaches, and so the ordinals of collected entities.
    reshaped: u64,
}

fn is_container(value: &Value<'_>) -> bool {
    matches!(value, Value::Array(_) | Value::Object(_))
}

/// Entities to fetch for one `_entities` field: representations and where results go.
struct EntityBatch<'p> {
    /// [`Tree::reshaped`] when the objects were collected.
    reshaped_at: u64,
    paths: &'p [FlattenNodePath],
    /// Serialized representations, deduplicated by their bytes.
    representations: Vec<Vec<u8>>,
    /// Per path, per object the path reaches (in walk order): the representation it sent.
    targets: Vec<Vec<Option<usize>>>,
}

/// What a request's response tree borrows from, kept until the response is written: the
/// parsed subgraph responses and the trees the planner's output rewrites produced.
#[derive(Default)]
pub struct Arena<'a> {
    responses: elsa::sync::FrozenVec<std::sync::Arc<ParsedResponse>>,
    rewritten: elsa::sync::FrozenVec<Box<Value<'a>>>,
}

impl<'a> Arena<'a> {
    fn keep(&'a self, response: std::sync::Arc<ParsedResponse>) -> &'a SubgraphResponse<'a> {
        self.responses.push_get(response).get()
    }

    fn keep_tree(&'a self, value: Value<'a>) -> &'a Value<'a> {
        self.rewritten.push_get(Box::new(value))
    }
}

pub struct Executor<'a> {
    schema: &'a SchemaState,
    client: &'a SubgraphClient,
    headers: client::Headers,
    variables: &'a Map<String, serde_json::Value>,
    arena: &'a Arena<'a>,
    schedule: &'a Schedule,
    data: Mutex<Tree<'a>>,
    errors: Mutex<Vec<GraphQLError>>,
    /// Entities this execution already fetched, by the fetch's shape and the representation
    /// sent (see [`Executor::entity_fetch`]).
    fetched: Mutex<FxHashMap<u64, FxHashMap<Vec<u8>, &'a Value<'a>>>>,
}

impl<'a> Executor<'a> {
    pub fn new(
        schema: &'a SchemaState,
        client: &'a SubgraphClient,
        variables: &'a Map<String, serde_json::Value>,
        initial_data: Object<'a>,
        headers: client::Headers,
        arena: &'a Arena<'a>,
        schedule: &'a Schedule,
    ) -> Self {
        Self {
            schema,
            client,
            headers,
            variables,
            arena,
            schedule,
            data: Mutex::new(Tree {
                root: Value::Object(initial_data),
                reshaped: 0,
            }),
            errors: Mutex::new(Vec::new()),
            fetched: Mutex::new(FxHashMap::default()),
        }
    }

    pub async fn run(self, plan: Option<&QueryPlan>) -> (Value<'a>, Vec<GraphQLError>) {
        if let Some(node) = plan.and_then(|p| p.node.as_ref()) {
            self.node(node).await;
        }
        let data = self
            .data
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .root;
        let errors = self.errors.into_inner().unwrap_or_else(|e| e.into_inner());
        (data, errors)
    }

    fn types(&self) -> &SchemaIndex {
        &self.schema.supergraph_types
    }

    /// A subgraph's data with the planner's output rewrites applied (a rewritten copy is kept
    /// in the arena; without rewrites the parsed tree itself is used).
    fn rewritten(&self, data: &'a Value<'a>, rewrites: Option<&[FetchRewrite]>) -> &'a Value<'a> {
        let Some(rewrites) = rewrites.filter(|r| !r.is_empty()) else {
            return data;
        };
        let mut copy = data.clone();
        for rewrite in rewrites {
            rewrites::apply(&mut copy, rewrite, self.types());
        }
        self.arena.keep_tree(copy)
    }

    fn node<'b>(&'b self, node: &'b PlanNode) -> BoxFuture<'b, ()> {
        Box::pin(async move {
            match node {
                PlanNode::Sequence(seq) => match self.schedule.units(seq) {
                    Some(units) => self.units(&seq.nodes, units).await,
                    None => {
                        for child in &seq.nodes {
                            self.node(child).await;
                        }
                    }
                },
                PlanNode::Parallel(par) => {
                    join_all(par.nodes.iter().map(|child| self.node(child))).await;
                }
                PlanNode::Fetch(fetch) => self.root_fetch(fetch).await,
                PlanNode::Flatten(flatten) => match flatten.node.as_ref() {
                    PlanNode::Fetch(fetch) => self.entity_fetch(fetch, &flatten.path).await,
                    other => self.node(other).await,
                },
                PlanNode::BatchFetch(batch) => self.batch_fetch(batch).await,
                PlanNode::Condition(condition) => {
                    let on = self
                        .variables
                        .get(&condition.condition)
                        .and_then(serde_json::Value::as_bool)
                        .unwrap_or(false);
                    let branch = if on {
                        condition.if_clause.as_deref()
                    } else {
                        condition.else_clause.as_deref()
                    };
                    if let Some(branch) = branch {
                        self.node(branch).await;
                    }
                }
                PlanNode::Subscription(sub) => self.root_fetch(&sub.primary).await,
                PlanNode::Defer(defer) => {
                    // No incremental delivery: deferred parts are executed inline, in order.
                    if let Some(primary) = defer.primary.node.as_deref() {
                        self.node(primary).await;
                    }
                    for deferred in &defer.deferred {
                        if let Some(node) = deferred.node.as_deref() {
                            self.node(node).await;
                        }
                    }
                }
            }
        })
    }

    /// Runs a Sequence's units, each once the units it waits for are done (see [`Schedule`]).
    async fn units(&self, steps: &[PlanNode], units: &[schedule::Unit]) {
        let mut done = vec![false; units.len()];
        let mut started = vec![false; units.len()];
        let mut running = FuturesUnordered::new();
        loop {
            for (index, unit) in units.iter().enumerate() {
                if !started[index] && unit.waits.iter().all(|&earlier| done[earlier]) {
                    started[index] = true;
                    running.push(self.node(unit.node(steps)).map(move |()| index));
                }
            }
            match running.next().await {
                Some(index) => done[index] = true,
                None => break,
            }
        }
    }

    fn push_errors(&self, errors: impl IntoIterator<Item = GraphQLError>) {
        self.errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(errors);
    }

    fn fetch_failed(&self, service: &str, message: &str) {
        let mut error = GraphQLError::with_code(message, codes::SUBGRAPH_REQUEST_FAILED);
        error.extensions.insert(
            "serviceName".into(),
            serde_json::Value::String(service.to_string()),
        );
        self.push_errors([error]);
    }

    fn used_variables(
        &self,
        usages: Option<&std::collections::BTreeSet<String>>,
    ) -> Map<String, serde_json::Value> {
        let mut vars = Map::new();
        for name in usages.into_iter().flatten() {
            if let Some(value) = self.variables.get(name) {
                vars.insert(name.clone(), value.clone());
            }
        }
        vars
    }

    /// Sends one subgraph request and decodes its GraphQL response. `representations` are
    /// already-serialized lists written into `variables` under their names.
    async fn send(
        &self,
        service: &str,
        query: &str,
        variables: &Map<String, serde_json::Value>,
        representations: &[(&str, &[Vec<u8>])],
        kind: Option<&OperationKind>,
    ) -> Option<&'a SubgraphResponse<'a>> {
        let Some(url) = self.schema.subgraph_urls.get(service) else {
            self.fetch_failed(service, &format!("Unknown subgraph '{service}'"));
            return None;
        };
        let body = Bytes::from(request_body(query, variables, representations));
        let is_query = !matches!(kind, Some(OperationKind::Mutation));
        debug!(service, "subgraph fetch");
        match self
            .client
            .post(service, url, body, &self.headers, is_query)
            .await
        {
            Ok(response) => Some(self.arena.keep(response)),
            Err(message) => {
                self.fetch_failed(service, &message);
                None
            }
        }
    }

    async fn root_fetch(&self, fetch: &FetchNode) {
        let variables = self.used_variables(fetch.variable_usages.as_ref());
        let Some(response) = self
            .send(
                &fetch.service_name,
                &fetch.operation.document_str,
                &variables,
                &[],
                fetch.operation_kind.as_ref(),
            )
            .await
        else {
            return;
        };
        let service = fetch.service_name.as_str();
        let errors: Vec<GraphQLError> = response
            .errors
            .iter()
            .flatten()
            .map(|e| {
                let mut error = GraphQLError::from_subgraph(e, service);
                error.path = e.get("path").and_then(serde_json::Value::as_array).cloned();
                error
            })
            .collect();
        self.push_errors(errors);
        if let Some(data) = response.data.as_ref().filter(|d| d.is_object()) {
            let data = self.rewritten(data, fetch.output_rewrites.as_deref());
            let mut tree = self.data.lock().unwrap_or_else(|e| e.into_inner());
            let Tree { root, reshaped } = &mut *tree;
            merge(root, data, self.types(), reshaped);
        }
    }

    /// An `_entities` fetch. A query's execution never asks a subgraph the same entity
    /// question twice: plans reach the same entities by several paths, and when every
    /// representation of a fetch was already answered, without errors, by a fetch of the same
    /// shape (subgraph and selection), those answers are merged instead.
    async fn entity_fetch(&self, fetch: &FetchNode, path: &FlattenNodePath) {
        let Some(requires) = &fetch.requires else {
            return self.root_fetch(fetch).await;
        };
        let batch = self.collect_entities(
            std::slice::from_ref(path),
            requires,
            fetch.input_rewrites.as_deref(),
        );
        if batch.representations.is_empty() {
            return;
        }
        let shape = self.schedule.entity_shape(fetch);
        if let Some(shape) = shape
            && let Some(known) = self.already_fetched(shape, &batch.representations)
        {
            let entities = self.arena.keep_tree(Value::Array(known));
            return self.merge_entities(
                &fetch.service_name,
                "_entities",
                &batch,
                Some(entities),
                None,
                &[],
            );
        }
        let variables = self.used_variables(fetch.variable_usages.as_ref());
        let Some(response) = self
            .send(
                &fetch.service_name,
                &fetch.operation.document_str,
                &variables,
                &[("representations", &batch.representations)],
                None,
            )
            .await
        else {
            return;
        };
        let entities = response.data.as_ref().and_then(|d| d.get("_entities"));
        if let Some(shape) = shape
            && response.errors.as_ref().is_none_or(Vec::is_empty)
            && let Some(Value::Array(values)) = entities.map(Value::resolve)
            && values.len() == batch.representations.len()
        {
            let mut fetched = self.fetched.lock().unwrap_or_else(|e| e.into_inner());
            let answers = fetched.entry(shape).or_default();
            for (representation, value) in batch.representations.iter().zip(values) {
                if matches!(value.resolve(), Value::Object(_)) {
                    answers.insert(representation.clone(), value);
                }
            }
        }
        self.merge_entities(
            &fetch.service_name,
            "_entities",
            &batch,
            entities,
            fetch.output_rewrites.as_deref(),
            response.errors.as_deref().unwrap_or_default(),
        );
    }

    /// The answers to every representation, when this execution already has them all.
    fn already_fetched(&self, shape: u64, representations: &[Vec<u8>]) -> Option<Vec<Value<'a>>> {
        let fetched = self.fetched.lock().unwrap_or_else(|e| e.into_inner());
        let answers = fetched.get(&shape)?;
        representations
            .iter()
            .map(|representation| {
                answers
                    .get(representation.as_slice())
                    .map(|v| Value::Ref(v))
            })
            .collect()
    }

    async fn batch_fetch(&self, batch: &BatchFetchNode) {
        let variables = self.used_variables(batch.variable_usages.as_ref());
        let mut collected = Vec::with_capacity(batch.entity_batch.aliases.len());
        for alias in &batch.entity_batch.aliases {
            collected.push(self.collect_entities(
                &alias.merge_paths,
                &alias.requires,
                alias.input_rewrites.as_deref(),
            ));
        }
        if collected.iter().all(|c| c.representations.is_empty()) {
            return;
        }
        // Aliases may share one representations variable; it is written once.
        let mut lists: Vec<(&str, &[Vec<u8>])> = Vec::new();
        for (alias, entities) in batch.entity_batch.aliases.iter().zip(&collected) {
            let name = alias.representations_variable_name.as_str();
            if !lists.iter().any(|(n, _)| *n == name) {
                lists.push((name, &entities.representations));
            }
        }
        let Some(response) = self
            .send(
                &batch.service_name,
                &batch.operation.document_str,
                &variables,
                &lists,
                None,
            )
            .await
        else {
            return;
        };
        let data = response.data.as_ref();
        let errors = response.errors.as_deref().unwrap_or_default();
        for (i, (alias, entities)) in batch
            .entity_batch
            .aliases
            .iter()
            .zip(&collected)
            .enumerate()
        {
            let values = data.and_then(|d| d.get(&alias.alias));
            // Errors without a path are reported once, with the first alias.
            let alias_errors: Vec<serde_json::Value> = errors
                .iter()
                .filter(|e| {
                    match e
                        .get("path")
                        .and_then(|p| p.get(0))
                        .and_then(serde_json::Value::as_str)
                    {
                        Some(first) => first == alias.alias,
                        None => i == 0,
                    }
                })
                .cloned()
                .collect();
            self.merge_entities(
                &batch.service_name,
                &alias.alias,
                entities,
                values,
                alias.output_rewrites.as_deref(),
                &alias_errors,
            );
        }
    }

    /// Finds the objects at `paths` and builds one representation per distinct entity.
    fn collect_entities<'p>(
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
    fn entity_path(&self, batch: &EntityBatch<'_>, index: usize) -> Option<Vec<serde_json::Value>> {
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

    fn merge_entities(
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
type SubtreeKey = (usize, usize);

fn subtree_key(value: &Value<'_>, path: &[FlattenNodePathSegment]) -> SubtreeKey {
    (std::ptr::from_ref(value.resolve()) as usize, path.len())
}

/// The path below a list: lists are walked whether or not the path marks them with `@`.
fn below_list(path: &[FlattenNodePathSegment]) -> &[FlattenNodePathSegment] {
    match path.split_first() {
        Some((FlattenNodePathSegment::List, rest)) => rest,
        _ => path,
    }
}

/// What [`SharedWalks`] reports for each object it reaches.
enum Reached<'v, 'a> {
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
struct SharedWalks<'t> {
    types: &'t SchemaIndex,
    /// Objects reached so far.
    ordinal: usize,
    /// (subtree, whether type conditions matched above it) -> (first ordinal, object count).
    walked: FxHashMap<(SubtreeKey, bool), (usize, usize)>,
}

impl<'t> SharedWalks<'t> {
    fn new(types: &'t SchemaIndex) -> Self {
        Self {
            types,
            ordinal: 0,
            walked: FxHashMap::default(),
        }
    }

    fn walk<'v, 'a>(
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

/// Writes the body `{"query":…,"variables":{…}}` with pre-serialized representation lists.
fn request_body(
    query: &str,
    variables: &Map<String, serde_json::Value>,
    representations: &[(&str, &[Vec<u8>])],
) -> Vec<u8> {
    let size: usize = representations
        .iter()
        .flat_map(|(_, reps)| reps.iter().map(|r| r.len() + 1))
        .sum();
    let mut out = Vec::with_capacity(query.len() + size + 64);
    out.extend_from_slice(b"{\"query\":");
    let _ = serde_json::to_writer(&mut out, query);
    out.extend_from_slice(b",\"variables\":{");
    let mut first = true;
    for (name, reps) in representations {
        if !first {
            out.push(b',');
        }
        first = false;
        let _ = serde_json::to_writer(&mut out, name);
        out.push(b':');
        crate::json::write_raw_array(&mut out, reps);
    }
    for (name, value) in variables {
        if !first {
            out.push(b',');
        }
        first = false;
        let _ = serde_json::to_writer(&mut out, name);
        out.push(b':');
        let _ = serde_json::to_writer(&mut out, value);
    }
    out.extend_from_slice(b"}}");
    out
}

/// Serializes representations straight to JSON (the hot path: no tree is built). Per selection
/// set and `__typename`, the fields that apply are flattened once (fragments resolved,
/// repeated keys dropped, `"key":` bytes prepared), so each object costs only its lookups.
struct RepresentationWriter<'s> {
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
    fn new(types: &'s SchemaIndex) -> Self {
        Self {
            types,
            compiled: Vec::new(),
        }
    }

    /// Writes an entity's representation; `None` when it has none: the selection applies
    /// to none of its fields (its type matches none of the selection's type conditions).
    fn write_entity(
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
fn merge<'a>(
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
