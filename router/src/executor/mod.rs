//! Executes a query plan: walks Sequence/Parallel/Flatten/Fetch/BatchFetch/Condition nodes,
//! builds deduplicated `_entities` representations, sends subgraph requests and merges each
//! result into one response tree at its path, placing subgraph errors on client paths.
//!
//! - `mod.rs`: the [`Executor`] (its state, the plan walk, schedule units, error collection)
//!   and the [`Arena`] the response tree borrows from;
//! - `fetch.rs`: subgraph requests (root, entity and batch fetches, request bodies, used
//!   variables, entity answers reused within an execution or from the entity cache);
//! - `entities.rs`: the entity positions a fetch targets, walked once per shared subtree, and
//!   their client paths for errors;
//! - `representations.rs`: `_entities` representations written straight to JSON;
//! - `merge.rs`: answers merged into the response tree, once per shared subtree;
//! - `client.rs`: the pooled subgraph client with in-flight dedupe.

pub mod client;
mod entities;
mod fetch;
mod merge;
mod representations;
mod traffic;

use rustc_hash::FxHashMap;
use std::sync::Mutex;

use futures::StreamExt;
use futures::future::{BoxFuture, FutureExt, join_all};
use futures::stream::FuturesUnordered;
use hive_router_query_planner::planner::plan_nodes::{PlanNode, QueryPlan};
use serde_json::Map;

use crate::entity_cache::{self, EntityCache};
use crate::error::{ErrorCode, GraphQLError};
use crate::json::{Object, Value};
use crate::plan::schedule::{self, Schedule};
use crate::schema::SchemaIndex;
use crate::supergraph::SchemaState;
use client::{ParsedResponse, SubgraphClient, SubgraphResponse};

/// The response tree being assembled.
struct Tree<'a> {
    root: Value<'a>,
    /// How many times merges added, removed or replaced a list or object: the changes that
    /// can change which objects a path reaches, and so the ordinals of collected entities.
    reshaped: u64,
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

    /// What the `Cache-Control` of each subgraph response kept so far allows.
    pub fn cache_hints(&self) -> impl Iterator<Item = crate::response_cache::CacheHint> + '_ {
        self.responses.iter().map(|response| response.get().cache)
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
    /// A subscription's event: the answer of the plan's Subscription node (see
    /// [`Executor::with_event`]).
    event: Option<&'a SubgraphResponse<'a>>,
    /// Where `_entities` answers are looked up first and kept (see
    /// [`Executor::with_entity_cache`]).
    entity_cache: Option<(&'a EntityCache, entity_cache::Scope)>,
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
            event: None,
            entity_cache: None,
        }
    }

    /// Looks `_entities` fetches up in the entity cache first and keeps what they fetch (a
    /// query's execution: a mutation's may read what it is changing).
    pub fn with_entity_cache(mut self, cache: &'a EntityCache, scope: entity_cache::Scope) -> Self {
        self.entity_cache = Some((cache, scope));
        self
    }

    /// Executes a subscription's plan for one event of its subgraph subscription: the event
    /// stands for the Subscription node's fetch, and the rest of the plan runs as in a query.
    pub fn with_event(mut self, event: std::sync::Arc<ParsedResponse>) -> Self {
        self.event = Some(self.arena.keep(event));
        self
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
                PlanNode::Subscription(sub) => match self.event {
                    Some(event) => self.merge_root(&sub.primary, event),
                    None => self.root_fetch(&sub.primary).await,
                },
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

    fn fetch_failed(&self, service: &str, message: &str, code: ErrorCode) {
        let mut error = GraphQLError::with_code(message, code);
        error.extensions.insert(
            "serviceName".into(),
            serde_json::Value::String(service.to_string()),
        );
        self.push_errors([error]);
    }
}
