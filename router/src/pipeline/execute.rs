//! The execute stage: a request from its document to its response body. Persisted queries
//! resolved, the operation prepared and authorized for the caller, variables coerced, then
//! run (deduplicated with identical queries in flight when configured) under the execution
//! deadline, and projected to the requested shape.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt;
use serde_json::{Map, Value};
use tracing::Instrument;

use super::{PipelineError, PreparedOperation};
use crate::ast::OperationType;
use crate::config::UnauthorizedMode;
use crate::error::{ErrorCode, GraphQLError, errors_body};
use crate::executor::client::{Headers, ParsedResponse};
use crate::executor::{self, Executor};
use crate::response_cache::{CacheStatus, Captured};
use crate::supergraph::SchemaState;
use crate::{GraphQLRequest, Outcome, RouterState, introspection, json, value};

impl RouterState {
    /// Handles one request. `allow_mutations` is false for GET.
    pub async fn execute(
        self: &Arc<Self>,
        request: GraphQLRequest,
        allow_mutations: bool,
    ) -> Outcome {
        self.execute_cached(request, allow_mutations).await.0
    }

    /// Handles one request, through the response cache when it is on (then with whether the
    /// answer came from it).
    pub async fn execute_cached(
        self: &Arc<Self>,
        mut request: GraphQLRequest,
        allow_mutations: bool,
    ) -> (Outcome, Option<CacheStatus>) {
        let ready = match self.ready(&mut request, allow_mutations, false).await {
            Ok(ready) => ready,
            Err(outcome) => return (outcome, None),
        };
        let Some(store) = self.cache_store.clone() else {
            return (self.run_ready(ready, &request, false).await.0, None);
        };
        let status = |status| self.response_cache.is_some().then_some(status);
        if ready.prepared.kind != OperationType::Query {
            // A mutation's answer names the entities it changed: drop what was cached of them
            // (whole answers and entities alike).
            let (outcome, captured) = self.run_ready(ready, &request, true).await;
            if let Some(captured) = captured {
                let tags: Vec<String> = captured.entities.iter().cloned().collect();
                store.invalidate(&tags, "mutation").await;
            }
            return (outcome, status(CacheStatus::Bypass));
        }
        let Some(cache) = self.response_cache.clone() else {
            return (self.run_ready(ready, &request, false).await.0, None);
        };
        let key = cache.key(
            ready.schema.version,
            ready.prepared.denied_hash(),
            &request.query,
            request.operation_name.as_deref(),
            &ready.variables,
            &ready.headers,
        );
        let guarded = ready.prepared.guarded();
        if cache.bypass(key, guarded) {
            self.metrics.response_cache(CacheStatus::Bypass);
            return (
                self.run_ready(ready, &request, false).await.0,
                Some(CacheStatus::Bypass),
            );
        }
        if let Some(body) = cache.get(key).await {
            return (Outcome::Executed(body), Some(CacheStatus::Hit));
        }
        let generation = cache.generation();
        let (outcome, captured) = self.run_ready(ready, &request, true).await;
        if let (Outcome::Executed(body), Some(captured)) = (&outcome, captured)
            && let Some(ttl) = cache.ttl(key, &captured, guarded)
        {
            cache
                .store(key, body.clone(), &captured, ttl, generation)
                .await;
        }
        (outcome, Some(CacheStatus::Miss))
    }

    /// Runs a ready request, deduplicated with identical queries in flight when configured;
    /// with `capture`, also what the response cache needs to know of the answer (for the
    /// call that ran it, not for those that joined it).
    async fn run_ready(
        self: &Arc<Self>,
        ready: Ready,
        request: &GraphQLRequest,
        capture: bool,
    ) -> (Outcome, Option<Arc<Captured>>) {
        let Ready {
            schema,
            prepared,
            variables,
            headers,
            cost,
        } = ready;
        let span = commerce_otel::span!("execute");
        if self.config.dedupe.inbound && prepared.kind == OperationType::Query {
            return self
                .execute_deduplicated(schema, prepared, request, variables, headers, cost, capture)
                .instrument(span)
                .await;
        }
        run_captured(
            self.clone(),
            schema,
            prepared,
            variables,
            headers,
            None,
            cost,
            capture,
        )
        .instrument(span)
        .await
    }

    /// Every stage before execution: persisted queries, prepare, the transport's rules,
    /// authorization and variables. `streaming` is true for subscription transports (WebSocket,
    /// SSE), the only ones subscriptions run on.
    pub(crate) async fn ready(
        self: &Arc<Self>,
        request: &mut GraphQLRequest,
        allow_mutations: bool,
        streaming: bool,
    ) -> Result<Ready, Outcome> {
        if let Some(persisted) = &request.persisted_query {
            let sent = Some(std::mem::take(&mut request.query)).filter(|q| !q.is_empty());
            // Boxed: the Redis lookup's state is large, and every request's future would
            // otherwise carry (and copy) it.
            match self.persisted.resolve(persisted, sent).boxed().await {
                Ok(query) => request.query = query,
                Err(error) => {
                    return Err(Outcome::RequestError(Bytes::from(errors_body(&[*error]))));
                }
            }
        } else if let Err(error) = self.persisted.admits(&request.query) {
            return Err(Outcome::RequestError(Bytes::from(errors_body(&[*error]))));
        }
        let schema = self.schema();
        // Variables are coerced, and the cost estimated with them, before planning: an
        // operation refused for its cost is never planned.
        let mut checked = None;
        let demand_control = self.config.demand_control;
        let prepared = {
            let schema = &schema;
            let sent = &request.variables;
            let mut check = |document: &crate::ast::Document, op_index: usize| {
                checked = Some(check_request(
                    schema,
                    demand_control,
                    document,
                    op_index,
                    sent,
                )?);
                Ok(())
            };
            match self
                .pipeline
                .prepare_checked(
                    schema,
                    &request.query,
                    request.operation_name.as_deref(),
                    &mut check,
                )
                .await
            {
                Ok(prepared) => prepared,
                Err(e) => return Err(pipeline_outcome(&e)),
            }
        };
        let Some((variables, cost)) = checked else {
            // Unreachable: a prepared operation has been checked.
            return Err(Outcome::ServerError(Bytes::from(errors_body(&[
                GraphQLError::with_code("Operation not checked", ErrorCode::InternalServerError),
            ]))));
        };
        match prepared.kind {
            OperationType::Mutation if !allow_mutations => {
                return Err(Outcome::MethodNotAllowed(Bytes::from(errors_body(&[
                    GraphQLError::with_code(
                        "Mutations can only be sent over HTTP POST",
                        ErrorCode::MethodNotAllowed,
                    ),
                ]))));
            }
            OperationType::Subscription if !streaming || !self.config.subscriptions.enabled => {
                let message = if self.config.subscriptions.enabled {
                    "Subscriptions are not supported over this transport: use a WebSocket \
                     (graphql-transport-ws) or Server-Sent Events (Accept: text/event-stream)"
                } else {
                    "Subscriptions are not enabled on this router"
                };
                return Err(Outcome::RequestError(Bytes::from(errors_body(&[
                    GraphQLError::with_code(message, ErrorCode::BadRequest),
                ]))));
            }
            _ => {}
        }
        if prepared.introspection && !self.config.introspection {
            return Err(Outcome::RequestError(Bytes::from(errors_body(&[
                GraphQLError::with_code("Introspection is disabled", ErrorCode::ValidationFailed),
            ]))));
        }
        let prepared = if self.config.authorization.directives {
            let (authorized, denied) = match prepared
                .authorized(&schema, &request.auth, &self.pipeline.options)
                .await
            {
                Ok(result) => result,
                Err(e) => return Err(pipeline_outcome(&e)),
            };
            if !denied.is_empty()
                && self.config.authorization.unauthorized == UnauthorizedMode::Reject
            {
                let errors: Vec<GraphQLError> = denied
                    .iter()
                    .map(|guard| {
                        GraphQLError::with_code(
                            format!("Unauthorized field or type: {}", guard.name),
                            ErrorCode::UnauthorizedField,
                        )
                        .at(guard.position.line, guard.position.column)
                    })
                    .collect();
                return Err(Outcome::RequestError(Bytes::from(errors_body(&errors))));
            }
            authorized
        } else {
            prepared
        };
        let headers: Headers = request.forward_headers.clone().into();
        Ok(Ready {
            schema,
            prepared,
            variables,
            headers,
            cost,
        })
    }

    async fn execute_deduplicated(
        self: &Arc<Self>,
        schema: Arc<SchemaState>,
        prepared: Arc<PreparedOperation>,
        request: &GraphQLRequest,
        variables: Map<String, Value>,
        headers: Headers,
        cost: Option<CostReport>,
        capture: bool,
    ) -> (Outcome, Option<Arc<Captured>>) {
        let key = super::request_hash(
            &request.query,
            request.operation_name.as_deref(),
            &variables,
            &headers,
        ) ^ schema.version
            ^ prepared.denied_hash().rotate_left(17);
        let ((outcome, captured), joined) = self
            .inbound
            .run(key, || {
                let state = self.clone();
                run_captured(
                    state, schema, prepared, variables, headers, None, cost, capture,
                )
            })
            .await;
        self.metrics.inbound_dedupe(joined);
        (outcome, captured.filter(|_| !joined))
    }
}

/// A request ready to run: its schema, its operation as the caller may run it, coerced
/// variables, the headers subgraphs get and the cost clients are shown.
pub(crate) struct Ready {
    pub schema: Arc<SchemaState>,
    pub prepared: Arc<PreparedOperation>,
    pub variables: Map<String, Value>,
    pub headers: Headers,
    pub cost: Option<CostReport>,
}

/// The estimate shown in `extensions.cost`: `{"estimated":…,"max":…}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CostReport {
    pub estimated: u64,
    /// The limit, when one is set.
    pub max: Option<u64>,
}

impl CostReport {
    /// The response's `extensions` member, as JSON.
    fn extensions(self) -> String {
        match self.max {
            Some(max) => format!(
                r#"{{"cost":{{"estimated":{},"max":{max}}}}}"#,
                self.estimated
            ),
            None => format!(r#"{{"cost":{{"estimated":{}}}}}"#, self.estimated),
        }
    }
}

/// The request's variables coerced for the selected operation, and its cost estimated with
/// them; refuses an operation over `demand_control.max_cost`.
fn check_request(
    schema: &SchemaState,
    config: crate::config::DemandControlConfig,
    document: &crate::ast::Document,
    op_index: usize,
    sent: &Map<String, Value>,
) -> Result<(Map<String, Value>, Option<CostReport>), PipelineError> {
    let graphql_tools::parser::query::Definition::Operation(operation) =
        &document.definitions[op_index]
    else {
        return Ok((Map::new(), None));
    };
    let (selection_set, definitions) = crate::ast::operation_parts(operation);
    let variables = value::coerce_variables(definitions, sent, &schema.api)
        .map_err(PipelineError::Validation)?;
    if !config.estimates() {
        return Ok((variables, None));
    }
    let estimate = super::cost::estimate(
        &schema.cost,
        &schema.api,
        document,
        crate::ast::operation_type(operation),
        selection_set,
        &variables,
        config.list_size,
    )
    .map_err(|e| PipelineError::Validation(vec![*e]))?;
    let max = (config.max_cost > 0).then_some(config.max_cost);
    if let Some(max) = max
        && estimate.cost > max
    {
        let mut error = GraphQLError::with_code(
            format!(
                "The operation's estimated cost, {}, is over the limit of {max}",
                estimate.cost
            ),
            ErrorCode::CostEstimatedTooExpensive,
        );
        error.extensions.insert(
            "cost".to_string(),
            serde_json::json!({ "estimated": estimate.cost, "max": max }),
        );
        return Err(PipelineError::Validation(vec![error]));
    }
    let report = config.expose_estimate.then_some(CostReport {
        estimated: estimate.cost,
        max,
    });
    Ok((variables, report))
}

fn pipeline_outcome(error: &PipelineError) -> Outcome {
    if let PipelineError::Unanswerable(errors) = error {
        let (body, _) =
            super::project::write_response(None, &json::Value::Null, errors.clone(), None);
        return Outcome::Executed(Bytes::from(body));
    }
    let body = Bytes::from(errors_body(&error.errors()));
    if error.is_client_error() {
        Outcome::RequestError(body)
    } else {
        Outcome::ServerError(body)
    }
}

/// Runs the operation (for a subscription, on one `event`), stopped at the execution
/// deadline: dropping its future cancels the subgraph fetches in flight and everything after
/// them, so nothing keeps working on it.
pub(crate) async fn run_within_deadline(
    state: Arc<RouterState>,
    schema: Arc<SchemaState>,
    prepared: Arc<PreparedOperation>,
    variables: Map<String, Value>,
    headers: Headers,
    event: Option<Arc<ParsedResponse>>,
) -> Outcome {
    run_captured(
        state, schema, prepared, variables, headers, event, None, false,
    )
    .await
    .0
}

/// [`run_within_deadline`], and with `capture` what the response cache needs to know of the
/// answer.
async fn run_captured(
    state: Arc<RouterState>,
    schema: Arc<SchemaState>,
    prepared: Arc<PreparedOperation>,
    variables: Map<String, Value>,
    headers: Headers,
    event: Option<Arc<ParsedResponse>>,
    cost: Option<CostReport>,
    capture: bool,
) -> (Outcome, Option<Arc<Captured>>) {
    let deadline = state.config.execution_timeout_ms;
    let run = run_operation(
        state, schema, prepared, variables, headers, event, cost, capture,
    );
    if deadline == 0 {
        let (body, captured) = run.await;
        return (Outcome::Executed(body), captured);
    }
    match tokio::time::timeout(Duration::from_millis(deadline), run).await {
        Ok((body, captured)) => (Outcome::Executed(body), captured),
        Err(_) => (
            Outcome::Timeout(Bytes::from(errors_body(&[GraphQLError::with_code(
                format!("The operation did not finish within its {deadline} ms deadline"),
                ErrorCode::ExecutionTimeout,
            )]))),
            None,
        ),
    }
}

async fn run_operation(
    state: Arc<RouterState>,
    schema: Arc<SchemaState>,
    prepared: Arc<PreparedOperation>,
    variables: Map<String, Value>,
    headers: Headers,
    event: Option<Arc<ParsedResponse>>,
    cost: Option<CostReport>,
    capture: bool,
) -> (Bytes, Option<Arc<Captured>>) {
    let (selection_set, _) = prepared.operation();
    let initial = if prepared.introspection {
        json::Object::from_json(introspection::resolve_root(
            &schema.api,
            &prepared.document,
            selection_set,
            &variables,
        ))
    } else {
        json::Object::default()
    };
    // Queries only: a mutation's entity fetches may read what it is changing.
    let entity_cache = state
        .entity_cache
        .as_deref()
        .filter(|_| prepared.kind == OperationType::Query)
        .and_then(|cache| Some((cache, cache.scope(&headers, prepared.guarded())?)));
    let arena = executor::Arena::default();
    let executor = Executor::new(
        &schema,
        &state.client,
        &variables,
        initial,
        headers,
        &arena,
        prepared.schedule(),
    );
    let executor = match (event, entity_cache) {
        (Some(event), _) => executor.with_event(event),
        (None, Some((cache, scope))) => executor.with_entity_cache(cache, scope),
        (None, None) => executor,
    };
    let (data, errors) = executor.run(prepared.plan.as_ref()).await;
    let projection = prepared.projection(&schema, &variables);
    let mut captured = capture.then(|| {
        let mut captured = Captured::default();
        for hint in arena.cache_hints() {
            captured.hint(hint);
        }
        projection.capture(&data, &schema.entity_keys, &mut captured);
        captured
    });
    let extensions = cost.map(CostReport::extensions);
    let (body, had_errors) =
        super::project::write_response(Some(&projection), &data, errors, extensions.as_deref());
    if let Some(captured) = &mut captured {
        captured.errors = had_errors;
    }
    (Bytes::from(body), captured.map(Arc::new))
}
