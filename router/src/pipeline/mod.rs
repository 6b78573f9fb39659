//! The request path, a file per stage: [`parse`] → [`validate`] → select the operation →
//! [`plan`] → [`authorize`] → [`execute`] → [`project`]. [`Pipeline::prepare`] runs the stages
//! up to planning, cached per (schema version, document hash, operation name, override
//! bucket); [`limits`] bound every stage's work before it starts.

mod authorize;
pub mod cost;
pub mod execute;
pub mod limits;
mod operation;
mod overlapping;
mod parse;
mod plan;
pub mod project;
mod validate;

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use graphql_tools::parser::query::Definition;
use serde_json::{Map, Value};
use tracing::Instrument;

pub use operation::PreparedOperation;

use crate::ast::{self, fragments, operation_parts, operation_type};
use crate::auth;
use crate::error::{ErrorCode, GraphQLError};
use crate::supergraph::SchemaState;
use operation::{
    collect_condition_variables, select_operation, selects_introspection, selects_subgraph_fields,
};

/// Why a request never reached execution; each maps to a status and stable code.
#[derive(Debug, Clone)]
pub enum PipelineError {
    Parse(Vec<GraphQLError>),
    Validation(Vec<GraphQLError>),
    /// Operation selection failed (unknown name, ambiguous anonymous operations).
    /// Boxed: the error's size depends on serde_json's features, which the workspace unifies.
    Operation(Box<GraphQLError>),
    Planning(Box<GraphQLError>),
    /// Selections that no subgraph can answer (see `plan::prune_unimplemented`): the
    /// operation answers `data: null` with these errors.
    Unanswerable(Vec<GraphQLError>),
}

impl PipelineError {
    pub fn errors(&self) -> Vec<GraphQLError> {
        match self {
            PipelineError::Parse(e)
            | PipelineError::Validation(e)
            | PipelineError::Unanswerable(e) => e.clone(),
            PipelineError::Operation(e) | PipelineError::Planning(e) => vec![(**e).clone()],
        }
    }

    /// Document errors are the client's fault (400 with graphql-response+json); planning
    /// failures are the router's.
    pub fn is_client_error(&self) -> bool {
        !matches!(
            self,
            PipelineError::Planning(_) | PipelineError::Unanswerable(_)
        )
    }
}

/// Options that shape planning.
#[derive(Debug, Clone)]
pub struct PlanningOptions {
    pub timeout: Duration,
    pub override_flags: HashSet<String>,
    /// Operations over these limits are refused before planning.
    pub limits: crate::config::OperationLimits,
    /// Whether fans-out under repeated entities are fetched once per entity
    /// ([`nested_entities`]).
    pub fetch_nested_entities_by_key: bool,
}

/// The stages up to planning, with the cache of what they prepared.
pub struct Pipeline {
    pub options: PlanningOptions,
    cache: moka::sync::Cache<CacheKey, Cached>,
    /// Where plan-cache hits and misses are counted.
    metrics: Option<Arc<crate::telemetry::Metrics>>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    schema_version: u64,
    document: u128,
    operation_name: Option<Box<str>>,
    override_bucket: usize,
}

type CachedResult = Result<Arc<PreparedOperation>, PipelineError>;

/// A prepared operation with how often it was asked for, and its document, so that a
/// reload can prepare the most used ones again before the new schema serves.
#[derive(Clone)]
struct Cached {
    result: CachedResult,
    usage: Arc<Usage>,
}

struct Usage {
    query: Arc<str>,
    hits: std::sync::atomic::AtomicU64,
}

impl Pipeline {
    pub fn new(options: PlanningOptions) -> Self {
        Self {
            options,
            cache: moka::sync::Cache::new(4096),
            metrics: None,
        }
    }

    /// Counts plan-cache hits and misses in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<crate::telemetry::Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Forgets every prepared operation (the schema they were prepared for was replaced; its
    /// version is in their keys, so this only frees them sooner).
    pub fn clear(&self) {
        self.cache.invalidate_all();
    }

    /// Parses, validates and plans `query`, or returns the cached result.
    pub async fn prepare(
        &self,
        state: &Arc<SchemaState>,
        query: &str,
        operation_name: Option<&str>,
    ) -> Result<Arc<PreparedOperation>, PipelineError> {
        self.prepare_checked(state, query, operation_name, &mut |_, _| Ok(()))
            .await
    }

    /// [`Pipeline::prepare`], with `check` run on the validated document and the index of its
    /// selected operation before planning (a request's own checks, such as its estimated
    /// cost: what it refuses is never planned). A refusal is the request's, not the
    /// document's, so it is not cached.
    pub async fn prepare_checked(
        &self,
        state: &Arc<SchemaState>,
        query: &str,
        operation_name: Option<&str>,
        check: &mut Check<'_>,
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
            schema_version: state.version,
            document: document_hash(query),
            operation_name: operation_name.map(Into::into),
            override_bucket: bucket,
        };
        let hit = self.cache.get(&key);
        if let Some(metrics) = &self.metrics {
            metrics.plan_cache(hit.is_some());
        }
        if let Some(hit) = hit {
            hit.usage
                .hits
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let prepared = hit.result?;
            check(&prepared.document, prepared.op_index)?;
            return Ok(prepared);
        }
        let result = match prepare_uncached(
            state,
            query,
            operation_name,
            &self.options,
            draw,
            check,
        )
        .await
        {
            Err(Refusal::Checked(error)) => return Err(error),
            Err(Refusal::Document(error)) => Err(error),
            Ok(prepared) => Ok(prepared),
        };
        let usage = Arc::new(Usage {
            query: query.into(),
            hits: 1.into(),
        });
        self.cache.insert(
            key,
            Cached {
                result: result.clone(),
                usage,
            },
        );
        result
    }

    /// Prepares the `limit` most used operations again for `state` (a schema about to
    /// replace the one they were prepared for), so that the swap costs their callers no
    /// planning; returns how many were prepared.
    pub async fn warm(&self, state: &Arc<SchemaState>, limit: usize) -> usize {
        let mut used: Vec<(CacheKey, Arc<Usage>)> = self
            .cache
            .iter()
            .filter(|(key, cached)| key.schema_version != state.version && cached.result.is_ok())
            .map(|(key, cached)| ((*key).clone(), cached.usage))
            .collect();
        used.sort_by_key(|(_, usage)| {
            std::cmp::Reverse(usage.hits.load(std::sync::atomic::Ordering::Relaxed))
        });
        let mut seen = HashSet::new();
        let mut warmed = 0;
        for (key, usage) in used {
            if warmed == limit {
                break;
            }
            let operation_name = key.operation_name.as_deref();
            if !seen.insert((key.document, key.operation_name.clone())) {
                continue;
            }
            // The draw of the bucket with every progressive override off.
            let draw = 100 * hive_router_query_planner::graph::PERCENTAGE_SCALE_FACTOR - 1;
            let bucket = state
                .override_percentages
                .iter()
                .filter(|p| draw < **p)
                .count();
            let result = prepare_uncached(
                state,
                &usage.query,
                operation_name,
                &self.options,
                draw,
                &mut |_, _| Ok(()),
            )
            .await
            .map_err(Refusal::into_error);
            let new_key = CacheKey {
                schema_version: state.version,
                override_bucket: bucket,
                ..key
            };
            self.cache.insert(new_key, Cached { result, usage });
            warmed += 1;
        }
        warmed
    }

    /// Forgets what was prepared for other schemas than `version`.
    pub fn retain_version(&self, version: u64) {
        for (key, _) in self.cache.iter() {
            if key.schema_version != version {
                self.cache.invalidate(&*key);
            }
        }
    }
}

pub fn document_hash(query: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(query.as_bytes())
}

fn random_percentage() -> u64 {
    use std::collections::hash_map::RandomState;
    use std::hash::BuildHasher;
    // A fresh RandomState is seeded per thread and counter; good enough for traffic splits.
    let x = RandomState::new().hash_one(std::time::Instant::now());
    x % (100 * hive_router_query_planner::graph::PERCENTAGE_SCALE_FACTOR)
}

/// A request's own check of a validated document and the index of its selected operation.
pub type Check<'c> = dyn FnMut(&ast::Document, usize) -> Result<(), PipelineError> + Send + 'c;

/// Why preparing stopped: the document's fault (cached), or the request's check (not).
enum Refusal {
    Document(PipelineError),
    Checked(PipelineError),
}

impl Refusal {
    fn into_error(self) -> PipelineError {
        match self {
            Refusal::Document(error) | Refusal::Checked(error) => error,
        }
    }
}

impl From<PipelineError> for Refusal {
    fn from(error: PipelineError) -> Self {
        Refusal::Document(error)
    }
}

async fn prepare_uncached(
    state: &Arc<SchemaState>,
    query: &str,
    operation_name: Option<&str>,
    options: &PlanningOptions,
    draw: u64,
    check: &mut Check<'_>,
) -> Result<Arc<PreparedOperation>, Refusal> {
    // Spans of the stages a plan-cache miss runs (a hit runs none of them).
    let document =
        commerce_otel::span!("parse").in_scope(|| parse::parse(query, &options.limits))?;
    // Before any work that grows with the expanded document: validation included.
    let over_limits = options.limits.check_document(&document);
    if !over_limits.is_empty() {
        return Err(PipelineError::Validation(over_limits).into());
    }
    let errors = commerce_otel::span!("validate").in_scope(|| validate::validate(&document, state));
    if !errors.is_empty() {
        return Err(PipelineError::Validation(errors).into());
    }
    let op_index = select_operation(&document, operation_name)?;
    let (kind, selection_set) = match &document.definitions[op_index] {
        Definition::Operation(op) => (operation_type(op), operation_parts(op).0),
        Definition::Fragment(_) => {
            return Err(Refusal::Document(PipelineError::Operation(Box::new(
                GraphQLError::with_code("Operation not found", ErrorCode::OperationNotFound),
            ))));
        }
    };
    check(&document, op_index).map_err(Refusal::Checked)?;
    let fragments = fragments(&document);
    let introspection = selects_introspection(selection_set, &fragments, &mut HashSet::new());
    let needs_plan = selects_subgraph_fields(selection_set, &fragments, &mut HashSet::new());
    let mut condition_variables = Vec::new();
    collect_condition_variables(&document, &mut condition_variables);

    let plan = if needs_plan {
        plan::plan_document(
            state,
            &document,
            &HashSet::new(),
            operation_name,
            options,
            draw,
        )
        .instrument(commerce_otel::span!("plan"))
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

impl crate::RouterState {
    /// A client document parsed within the operation limits (for the stages before the
    /// pipeline that read the document: `@defer`).
    pub(crate) fn parse_document(&self, query: &str) -> Result<ast::Document, PipelineError> {
        parse::parse(query, &self.config().limits)
    }
}
