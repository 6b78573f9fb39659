//! The request pipeline before execution: parse → validate → select the operation →
//! normalize → plan, cached per (document hash, operation name, override bucket) inside
//! the schema it was planned for, with a planning timeout.

pub mod limits;
mod overlapping;
pub mod projection;

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use graphql_tools::parser::Pos;
use graphql_tools::parser::query::{self as q, Definition, OperationDefinition, Selection};
use graphql_tools::validation::validate::validate;
use hive_router_query_planner::ast::normalization::normalize_operation;
use hive_router_query_planner::graph::PlannerOverrideContext;
use hive_router_query_planner::planner::plan_nodes::QueryPlan;
use hive_router_query_planner::utils::cancellation::CancellationToken;
use serde_json::{Map, Value};

use crate::ast::{
    Document, Fragments, OperationType, fragments, operation_name, operation_parts, operation_type,
    selection_set_mut, typename_selection,
};
use crate::auth;
use crate::error::{GraphQLError, codes};
use crate::plan::nested_entities;
use crate::plan::schedule::Schedule;
use crate::supergraph::{SchemaState, panic_message};
use projection::Projection;

/// Why a request never reached execution; each maps to a status and stable code.
#[derive(Debug, Clone)]
pub enum PipelineError {
    Parse(Vec<GraphQLError>),
    Validation(Vec<GraphQLError>),
    /// Operation selection failed (unknown name, ambiguous anonymous operations).
    /// Boxed: the error's size depends on serde_json's features, which the workspace unifies.
    Operation(Box<GraphQLError>),
    Planning(Box<GraphQLError>),
}

impl PipelineError {
    pub fn errors(&self) -> Vec<GraphQLError> {
        match self {
            PipelineError::Parse(e) | PipelineError::Validation(e) => e.clone(),
            PipelineError::Operation(e) | PipelineError::Planning(e) => vec![(**e).clone()],
        }
    }

    /// Document errors are the client's fault (400 with graphql-response+json); planning
    /// failures are the router's.
    pub fn is_client_error(&self) -> bool {
        !matches!(self, PipelineError::Planning(_))
    }
}

#[derive(Debug)]
pub struct PreparedOperation {
    pub document: Document,
    op_index: usize,
    pub kind: OperationType,
    pub plan: Option<QueryPlan>,
    /// Whether the operation selects `__schema`/`__type`, answered by the router itself.
    pub introspection: bool,
    /// Variables that `@skip`/`@include` read; the response shape depends on their values.
    condition_variables: Vec<String>,
    projections: Mutex<HashMap<Vec<Option<bool>>, Arc<Projection>>>,
    /// Built on first use, once the plan has its final address (the schedule refers to its
    /// nodes by address).
    schedule: OnceLock<Schedule>,
    /// Field selections that the supergraph's authorization directives guard.
    guards: Vec<auth::Guard>,
    /// Field selections left out of the plan for this caller; they read as null.
    denied: HashSet<Pos>,
    denied_hash: u64,
    operation_name: Option<String>,
    /// The progressive-override draw the plan was made with, for variants of it.
    draw: u64,
    /// This operation planned without the selections a caller may not make, per denied set.
    variants: Mutex<HashMap<Vec<Pos>, Arc<PreparedOperation>>>,
}

impl PreparedOperation {
    pub fn operation(
        &self,
    ) -> (
        &q::SelectionSet<'static, String>,
        &[q::VariableDefinition<'static, String>],
    ) {
        match &self.document.definitions[self.op_index] {
            Definition::Operation(op) => operation_parts(op),
            // The index always points at an operation: it was found by `select_operation`.
            Definition::Fragment(f) => (&f.selection_set, &[]),
        }
    }

    /// When each step of the plan's Sequences may start.
    pub fn schedule(&self) -> &Schedule {
        self.schedule.get_or_init(|| match &self.plan {
            Some(plan) => Schedule::new(plan, self.kind == OperationType::Query),
            None => Schedule::default(),
        })
    }

    /// This operation as `context` may run it: itself when every guarded selection is allowed,
    /// else a variant planned without the denied ones (built once per denied set). The denied
    /// selections come back too, for `reject` mode.
    pub async fn authorized(
        self: &Arc<Self>,
        state: &Arc<SchemaState>,
        context: &auth::AuthContext,
        options: &PlanningOptions,
    ) -> Result<(Arc<PreparedOperation>, Vec<&auth::Guard>), PipelineError> {
        let denied: Vec<&auth::Guard> = self
            .guards
            .iter()
            .filter(|g| !g.requirement.allows(context))
            .collect();
        if denied.is_empty() {
            return Ok((self.clone(), denied));
        }
        let key: Vec<Pos> = denied.iter().map(|g| g.position).collect();
        let cached = self
            .variants
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        if let Some(variant) = cached {
            return Ok((variant, denied));
        }
        let denied_set: HashSet<Pos> = key.iter().copied().collect();
        let plan = plan_document(
            state,
            &self.document,
            &denied_set,
            self.operation_name.as_deref(),
            options,
            self.draw,
        )
        .await?;
        let variant = Arc::new(PreparedOperation {
            document: self.document.clone(),
            op_index: self.op_index,
            kind: self.kind,
            plan,
            introspection: self.introspection,
            condition_variables: self.condition_variables.clone(),
            projections: Mutex::new(HashMap::new()),
            schedule: OnceLock::new(),
            guards: Vec::new(),
            denied: denied_set,
            denied_hash: xxhash_rust::xxh3::xxh3_64(format!("{key:?}").as_bytes()),
            operation_name: self.operation_name.clone(),
            draw: self.draw,
            variants: Mutex::new(HashMap::new()),
        });
        let mut variants = self.variants.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded: each entry is one combination of denied selections.
        if variants.len() < 16 {
            variants.insert(key, variant.clone());
        }
        Ok((variant, denied))
    }

    /// A hash of the selections this variant leaves out (0 for none): requests that share an
    /// execution must be allowed the same selections.
    pub fn denied_hash(&self) -> u64 {
        self.denied_hash
    }

    /// The response shape for these variable values (compiled once per distinct set).
    pub fn projection(
        &self,
        state: &SchemaState,
        variables: &Map<String, Value>,
    ) -> Arc<Projection> {
        let key: Vec<Option<bool>> = self
            .condition_variables
            .iter()
            .map(|v| variables.get(v).and_then(Value::as_bool))
            .collect();
        let mut cache = self.projections.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = cache.get(&key) {
            return p.clone();
        }
        let (selection_set, _) = self.operation();
        let root = state
            .api
            .root_type(self.kind)
            .unwrap_or(&state.api.query_type);
        let projection = Arc::new(Projection::compile(
            state,
            &self.document,
            root,
            selection_set,
            variables,
            &self.denied,
        ));
        // Bounded: each entry is one combination of boolean variables a client sent.
        if cache.len() < 64 {
            cache.insert(key, projection.clone());
        }
        projection
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    document: u128,
    operation_name: Option<Box<str>>,
    override_bucket: usize,
}

type CachedResult = Result<Arc<PreparedOperation>, PipelineError>;

/// Prepared operations of one schema version; dropped with the schema on reload.
pub struct OperationCache {
    entries: moka::sync::Cache<CacheKey, CachedResult>,
}

impl Default for OperationCache {
    fn default() -> Self {
        Self::new()
    }
}

impl OperationCache {
    pub fn new() -> Self {
        Self {
            entries: moka::sync::Cache::new(4096),
        }
    }
}

/// Options that shape planning.
#[derive(Debug, Clone)]
pub struct PlanningOptions {
    pub timeout: Duration,
    pub override_flags: HashSet<String>,
    /// Operations over these limits are refused before planning.
    pub limits: limits::OperationLimits,
    /// Whether fans-out under repeated entities are fetched once per entity
    /// ([`nested_entities`]).
    pub fetch_nested_entities_by_key: bool,
}

pub fn document_hash(query: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(query.as_bytes())
}

/// Parses, validates and plans `query`, or returns the cached result.
pub async fn prepare(
    state: &Arc<SchemaState>,
    query: &str,
    operation_name: Option<&str>,
    options: &PlanningOptions,
) -> Result<Arc<PreparedOperation>, PipelineError> {
    // Progressive overrides: a random draw per request, bucketed by the supergraph's
    // percentage thresholds so that plans stay cacheable.
    let draw: u64 = if state.override_percentages.is_empty() {
        0
    } else {
        random_percentage()
    };
    let bucket = state
        .override_percentages
        .iter()
        .filter(|p| draw < **p)
        .count();
    let key = CacheKey {
        document: document_hash(query),
        operation_name: operation_name.map(Into::into),
        override_bucket: bucket,
    };
    if let Some(hit) = state.operations.entries.get(&key) {
        return hit;
    }
    let result = prepare_uncached(state, query, operation_name, options, draw).await;
    state.operations.entries.insert(key, result.clone());
    result
}

fn random_percentage() -> u64 {
    use std::collections::hash_map::RandomState;
    use std::hash::BuildHasher;
    // A fresh RandomState is seeded per thread and counter; good enough for traffic splits.
    let x = RandomState::new().hash_one(std::time::Instant::now());
    x % (100 * hive_router_query_planner::graph::PERCENTAGE_SCALE_FACTOR)
}

async fn prepare_uncached(
    state: &Arc<SchemaState>,
    query: &str,
    operation_name: Option<&str>,
    options: &PlanningOptions,
    draw: u64,
) -> Result<Arc<PreparedOperation>, PipelineError> {
    let document = parse(query, &options.limits)?;
    // Before any work that grows with the expanded document: validation included.
    let over_limits = options.limits.check_document(&document);
    if !over_limits.is_empty() {
        return Err(PipelineError::Validation(over_limits));
    }
    let mut errors = validate(&state.api_document, &document, &state.validation_plan)
        .into_iter()
        .map(|e| {
            let mut error = GraphQLError::with_code(e.message, codes::VALIDATION_FAILED);
            for pos in e.locations {
                error = error.at(pos.line, pos.column);
            }
            error
        })
        .collect::<Vec<_>>();
    errors.extend(overlapping::check(&state.api, &document));
    errors.extend(check_root_types(&document, state));
    if !errors.is_empty() {
        return Err(PipelineError::Validation(errors));
    }
    let op_index = select_operation(&document, operation_name)?;
    let (kind, selection_set) = match &document.definitions[op_index] {
        Definition::Operation(op) => (operation_type(op), operation_parts(op).0),
        Definition::Fragment(_) => {
            return Err(PipelineError::Operation(Box::new(GraphQLError::with_code(
                "Operation not found",
                codes::OPERATION_NOT_FOUND,
            ))));
        }
    };
    let fragments = fragments(&document);
    let introspection = selects_introspection(selection_set, &fragments, &mut HashSet::new());
    let needs_plan = selects_subgraph_fields(selection_set, &fragments, &mut HashSet::new());
    let mut condition_variables = Vec::new();
    collect_condition_variables(&document, &mut condition_variables);

    let plan = if needs_plan {
        plan_document(
            state,
            &document,
            &HashSet::new(),
            operation_name,
            options,
            draw,
        )
        .await?
    } else {
        None
    };
    let root = state.api.root_type(kind).unwrap_or(&state.api.query_type);
    let guards = auth::guards(&state.auth, &state.api, &document, selection_set, root);
    Ok(Arc::new(PreparedOperation {
        document,
        op_index,
        kind,
        plan,
        introspection,
        condition_variables,
        projections: Mutex::new(HashMap::new()),
        schedule: OnceLock::new(),
        guards,
        denied: HashSet::new(),
        denied_hash: 0,
        operation_name: operation_name.map(str::to_string),
        draw,
        variants: Mutex::new(HashMap::new()),
    }))
}

/// Plans `document` without its introspection fields, its fields that can never hold a value
/// and the `denied` selections; `None` when nothing is left for a subgraph to answer.
async fn plan_document(
    state: &Arc<SchemaState>,
    document: &Document,
    denied: &HashSet<Pos>,
    operation_name: Option<&str>,
    options: &PlanningOptions,
    draw: u64,
) -> Result<Option<QueryPlan>, PipelineError> {
    let mut planning_document = strip_introspection(document);
    prune_unimplemented(&mut planning_document, state);
    if !denied.is_empty() {
        auth::prune_denied(&mut planning_document, denied);
        let op_index = select_operation(&planning_document, operation_name)?;
        let fragments = fragments(&planning_document);
        if let Definition::Operation(op) = &planning_document.definitions[op_index]
            && !selects_subgraph_fields(operation_parts(op).0, &fragments, &mut HashSet::new())
        {
            return Ok(None);
        }
    }
    plan(
        state.clone(),
        planning_document,
        operation_name.map(str::to_string),
        options,
        draw,
    )
    .await
    .map(Some)
}

/// Parses `query` once its raw text is within the token and nesting limits.
fn parse(query: &str, limits: &limits::OperationLimits) -> Result<Document, PipelineError> {
    limits
        .check_text(query)
        .map_err(|error| PipelineError::Parse(vec![*error]))?;
    match q::parse_query::<String>(query) {
        Ok(doc) => Ok(doc.into_static()),
        Err(e) => {
            let pos = e.0.position;
            let message = e.to_string();
            let message = message
                .lines()
                .skip_while(|l| l.starts_with("query parse error"))
                .collect::<Vec<_>>()
                .join(" ");
            let message = if message.trim().is_empty() {
                "Syntax Error".to_string()
            } else {
                format!("Syntax Error: {}", message.trim())
            };
            Err(PipelineError::Parse(vec![
                GraphQLError::with_code(message, codes::PARSE_FAILED).at(pos.line, pos.column),
            ]))
        }
    }
}

/// The spec's "known operation types" rule, which graphql-tools does not carry.
fn check_root_types(document: &Document, state: &SchemaState) -> Vec<GraphQLError> {
    document
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::Operation(op) => {
                let kind = operation_type(op);
                if state.api.root_type(kind).is_some() {
                    return None;
                }
                let pos = match op {
                    OperationDefinition::Mutation(m) => m.position,
                    OperationDefinition::Subscription(s) => s.position,
                    OperationDefinition::Query(q) => q.position,
                    OperationDefinition::SelectionSet(s) => s.span.0,
                };
                Some(
                    GraphQLError::with_code(
                        format!(
                            "The {} operation is not supported by the schema.",
                            kind.as_str()
                        ),
                        codes::VALIDATION_FAILED,
                    )
                    .at(pos.line, pos.column),
                )
            }
            Definition::Fragment(_) => None,
        })
        .collect()
}

fn select_operation(document: &Document, name: Option<&str>) -> Result<usize, PipelineError> {
    let operations: Vec<usize> = document
        .definitions
        .iter()
        .enumerate()
        .filter(|(_, d)| matches!(d, Definition::Operation(_)))
        .map(|(i, _)| i)
        .collect();
    let fail = |message: String| {
        Err(PipelineError::Operation(Box::new(GraphQLError::with_code(
            message,
            codes::OPERATION_NOT_FOUND,
        ))))
    };
    match name {
        Some(name) => operations
            .into_iter()
            .find(|i| match &document.definitions[*i] {
                Definition::Operation(op) => operation_name(op) == Some(name),
                Definition::Fragment(_) => false,
            })
            .map_or_else(|| fail(format!("Unknown operation named \"{name}\".")), Ok),
        None => match operations.as_slice() {
            [single] => Ok(*single),
            [] => fail("Must provide an operation.".to_string()),
            _ => fail(
                "Must provide operation name if query contains multiple operations.".to_string(),
            ),
        },
    }
}

fn any_root_field<'d>(
    set: &'d q::SelectionSet<'static, String>,
    fragments: &Fragments<'d>,
    visited: &mut HashSet<&'d str>,
    pred: &dyn Fn(&str) -> bool,
) -> bool {
    set.items.iter().any(|selection| match selection {
        Selection::Field(f) => pred(&f.name),
        Selection::InlineFragment(i) => any_root_field(&i.selection_set, fragments, visited, pred),
        Selection::FragmentSpread(s) => {
            visited.insert(s.fragment_name.as_str())
                && fragments
                    .get(s.fragment_name.as_str())
                    .is_some_and(|f| any_root_field(&f.selection_set, fragments, visited, pred))
        }
    })
}

fn selects_introspection<'d>(
    set: &'d q::SelectionSet<'static, String>,
    fragments: &Fragments<'d>,
    visited: &mut HashSet<&'d str>,
) -> bool {
    any_root_field(set, fragments, visited, &|name| {
        name == "__schema" || name == "__type"
    })
}

fn selects_subgraph_fields<'d>(
    set: &'d q::SelectionSet<'static, String>,
    fragments: &Fragments<'d>,
    visited: &mut HashSet<&'d str>,
) -> bool {
    any_root_field(set, fragments, visited, &|name| !name.starts_with("__"))
}

fn collect_condition_variables(document: &Document, out: &mut Vec<String>) {
    fn directives(list: &[q::Directive<'static, String>], out: &mut Vec<String>) {
        for d in list
            .iter()
            .filter(|d| d.name == "skip" || d.name == "include")
        {
            for (_, value) in &d.arguments {
                if let q::Value::Variable(name) = value
                    && !out.contains(name)
                {
                    out.push(name.clone());
                }
            }
        }
    }
    fn walk(set: &q::SelectionSet<'static, String>, out: &mut Vec<String>) {
        for selection in &set.items {
            match selection {
                Selection::Field(f) => {
                    directives(&f.directives, out);
                    walk(&f.selection_set, out);
                }
                Selection::InlineFragment(i) => {
                    directives(&i.directives, out);
                    walk(&i.selection_set, out);
                }
                Selection::FragmentSpread(s) => directives(&s.directives, out),
            }
        }
    }
    for definition in &document.definitions {
        match definition {
            Definition::Operation(op) => walk(operation_parts(op).0, out),
            Definition::Fragment(f) => walk(&f.selection_set, out),
        }
    }
}

/// Below a field that can never hold a value (see `SchemaState::unimplemented_fields`), only
/// what its own subgraphs resolve is planned; if that is nothing, the field is not planned at
/// all. The response shows such fields as null.
fn prune_unimplemented(document: &mut Document, state: &SchemaState) {
    /// Whether `field` of `type_name` resolves in one of `graphs`.
    fn resolves_in(
        state: &SchemaState,
        type_name: &str,
        field: &str,
        graphs: &HashSet<String>,
    ) -> bool {
        let supergraph = &state.planner.supergraph;
        field == "__typename"
            || supergraph.definitions.get(type_name).is_some_and(|def| {
                def.fields().get(field).is_some_and(|f| {
                    f.resolvable_in_graphs(def)
                        .iter()
                        .any(|g| graphs.contains(g))
                })
            })
    }
    fn prune(set: &mut q::SelectionSet<'static, String>, parent: &str, state: &SchemaState) {
        let before = set.items.len();
        set.items.retain_mut(|selection| match selection {
            Selection::Field(field) if !field.selection_set.items.is_empty() => {
                let Some(def) = state.api.field(parent, &field.name) else {
                    return true;
                };
                let ty = def.ty.named();
                let key = (parent.to_string(), field.name.clone());
                let Some(graphs) = state.unimplemented_fields.get(&key) else {
                    prune(&mut field.selection_set, ty, state);
                    return true;
                };
                field.selection_set.items.retain(|s| match s {
                    Selection::Field(f) => resolves_in(state, ty, &f.name, graphs),
                    Selection::InlineFragment(_) | Selection::FragmentSpread(_) => true,
                });
                // A field left with nothing to select is not asked for at all.
                !field.selection_set.items.is_empty()
            }
            Selection::InlineFragment(inline) => {
                let parent = match &inline.type_condition {
                    Some(q::TypeCondition::On(condition)) => condition.as_str(),
                    None => parent,
                };
                prune(&mut inline.selection_set, parent, state);
                true
            }
            Selection::Field(_) | Selection::FragmentSpread(_) => true,
        });
        if set.items.is_empty() && before > 0 {
            set.items.push(typename_selection(set.span));
        }
    }
    // Most supergraphs have no such field: nothing to walk.
    if state.unimplemented_fields.is_empty() {
        return;
    }
    for definition in &mut document.definitions {
        match definition {
            Definition::Operation(op) => {
                let Some(root) = state.api.root_type(operation_type(op)) else {
                    continue;
                };
                prune(selection_set_mut(op), root, state);
            }
            Definition::Fragment(f) => {
                let q::TypeCondition::On(condition) = &f.type_condition;
                prune(&mut f.selection_set, condition, state);
            }
        }
    }
}

/// The planner only knows subgraph fields: drop `__schema`/`__type`, keeping selection sets
/// non-empty with `__typename`.
fn strip_introspection(document: &Document) -> Document {
    fn strip(set: &mut q::SelectionSet<'static, String>) {
        let before = set.items.len();
        set.items.retain(
            |s| !matches!(s, Selection::Field(f) if f.name == "__schema" || f.name == "__type"),
        );
        for selection in &mut set.items {
            match selection {
                Selection::InlineFragment(i) => strip(&mut i.selection_set),
                Selection::Field(_) | Selection::FragmentSpread(_) => {}
            }
        }
        if set.items.is_empty() && before > 0 {
            set.items.push(typename_selection(set.span));
        }
    }
    let mut document = document.clone();
    for definition in &mut document.definitions {
        match definition {
            Definition::Operation(op) => strip(selection_set_mut(op)),
            Definition::Fragment(f) => strip(&mut f.selection_set),
        }
    }
    document
}

async fn plan(
    state: Arc<SchemaState>,
    document: Document,
    operation_name: Option<String>,
    options: &PlanningOptions,
    draw: u64,
) -> Result<QueryPlan, PipelineError> {
    let timeout = options.timeout;
    let flags = options.override_flags.clone();
    let by_key = options.fetch_nested_entities_by_key;
    // Planning is CPU-bound and may be slow on pathological documents: run it off the async
    // workers, bounded by a deadline the planner checks cooperatively. A caller that stops
    // waiting (a client gone, a request deadline) cancels it too, so no thread keeps planning
    // for nobody.
    let token = Arc::new(CancellationToken::with_timeout(timeout));
    let _cancel_when_dropped = CancelOnDrop(token.clone());
    let task = tokio::task::spawn_blocking(move || {
        let normalized = normalize_operation(
            &state.planner.supergraph,
            &document,
            operation_name.as_deref(),
        )
        .map_err(|e| planning_error(&format!("Failed to normalize the operation: {e}")))?;
        let context = PlannerOverrideContext::new(flags, draw);
        state
            .planner
            .plan_from_normalized_operation(&normalized.operation, context, &token)
            .map_err(|e| match e {
                hive_router_query_planner::planner::PlannerError::CancellationError(_) => {
                    PipelineError::Planning(Box::new(GraphQLError::with_code(
                        "Query planning timed out",
                        codes::QUERY_PLANNING_TIMEOUT,
                    )))
                }
                other => planning_error(&format!("Query planning failed: {other}")),
            })
            .map(|mut plan| {
                if by_key {
                    nested_entities::fetch_by_key(
                        &mut plan,
                        &state.planner.supergraph,
                        &state.supergraph_types,
                    );
                }
                plan
            })
    });
    match task.await {
        Ok(result) => result,
        Err(join_error) => {
            let reason = match join_error.try_into_panic() {
                Ok(panic) => panic_message(&panic),
                Err(e) => e.to_string(),
            };
            tracing::error!(%reason, "query planner panicked");
            Err(planning_error("Query planning failed"))
        }
    }
}

/// Cancels the planning of a caller that is dropped before the plan is done.
struct CancelOnDrop(Arc<CancellationToken>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

fn planning_error(message: &str) -> PipelineError {
    PipelineError::Planning(Box::new(GraphQLError::with_code(
        message,
        codes::QUERY_PLANNING_FAILED,
    )))
}

/// A stable hash of a request used by inbound deduplication.
pub fn request_hash(
    query: &str,
    operation_name: Option<&str>,
    variables: &Map<String, Value>,
    headers: &[(http::HeaderName, http::HeaderValue)],
) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    query.hash(&mut hasher);
    operation_name.hash(&mut hasher);
    serde_json::to_string(variables)
        .unwrap_or_default()
        .hash(&mut hasher);
    for (name, value) in headers {
        name.as_str().hash(&mut hasher);
        value.as_bytes().hash(&mut hasher);
    }
    hasher.finish()
}
