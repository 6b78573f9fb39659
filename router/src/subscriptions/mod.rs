//! Subscriptions end to end: a client's subscription (WebSocket or SSE, in `http/`) becomes
//! a subscription to the subgraph that owns its root field ([`upstream`]), and each event the
//! subgraph sends runs the rest of the operation's plan (the entity fetches after the
//! Subscription node) exactly like a query's response, then goes to the client.
//!
//! - Limits: `subscriptions.max_total` per router ([`Subscriptions::open`]), and per
//!   connection in the WebSocket transport. Everything a query goes through (limits,
//!   authentication, authorization directives, variables) runs first ([`RouterState::start_stream`]).
//! - A subscription ends with `complete` when the subgraph completes it, the client leaves or
//!   the router shuts down, and with an error otherwise: the subgraph's errors,
//!   `SUBGRAPH_SUBSCRIPTION_CLOSED` when its connection dropped, `SUBSCRIPTION_CLIENT_TOO_SLOW`
//!   when its events piled up, `UNAUTHENTICATED` when the token that opened it expired. Never
//!   silently.
//! - The token is checked once, when the subscription opens (the WebSocket's at
//!   `connection_init`), so its expiry is what bounds the subscription's life.

pub mod upstream;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use hive_router_query_planner::planner::plan_nodes::{FetchNode, PlanNode, QueryPlan};
use serde_json::{Map, Value};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::ast::OperationType;
use crate::config::SubscriptionsConfig;
use crate::error::{ErrorCode, GraphQLError};
use crate::pipeline::execute::{Ready, run_within_deadline};
use crate::{GraphQLRequest, Outcome, RouterState};
use upstream::{UpstreamEvent, UpstreamSubscription, Upstreams};

/// The read and write buffers of every WebSocket, to subgraphs and from clients:
/// tungstenite allocates (and touches) its whole read buffer per connection, 128 KiB by
/// default, while GraphQL messages are mostly a few KiB. Larger ones still arrive: the
/// buffer grows to fit them.
pub const WEBSOCKET_BUFFER_BYTES: usize = 8 * 1024;

/// What a streaming transport sends a client for one operation.
#[derive(Debug, Clone)]
pub enum Message {
    /// An execution result (`{"data":...,"errors":...}`).
    Next(Bytes),
    /// The operation failed as a whole: a JSON array of GraphQL errors. Nothing follows.
    Error(Bytes),
}

/// A JSON array of errors.
pub fn errors_json(errors: &[GraphQLError]) -> Bytes {
    Bytes::from(serde_json::to_vec(errors).unwrap_or_default())
}

impl Message {
    pub fn error(errors: &[GraphQLError]) -> Self {
        Message::Error(errors_json(errors))
    }

    /// The errors of an outcome that failed as a whole.
    pub fn from_outcome(outcome: Outcome) -> Self {
        #[derive(serde::Deserialize)]
        struct Body<'a> {
            #[serde(borrow)]
            errors: &'a serde_json::value::RawValue,
        }
        let body = outcome.into_body();
        match serde_json::from_slice::<Body<'_>>(&body) {
            Ok(parsed) => Message::Error(Bytes::copy_from_slice(parsed.errors.get().as_bytes())),
            Err(_) => Message::error(&[GraphQLError::with_code(
                "Internal server error",
                ErrorCode::InternalServerError,
            )]),
        }
    }
}

/// The router's open subscriptions and WebSocket connections, and the shutdown that ends them.
pub struct Subscriptions {
    config: SubscriptionsConfig,
    open: AtomicUsize,
    connections: AtomicUsize,
    idle: Notify,
    shutdown: CancellationToken,
    upstreams: Arc<Upstreams>,
}

/// A place among the router's open subscriptions, given back when dropped.
pub struct Slot(Arc<Subscriptions>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An open WebSocket connection, counted until dropped (shutdown waits for them).
pub struct ConnectionGuard(Arc<Subscriptions>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        if self.0.connections.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Subscriptions {
    pub fn new(config: SubscriptionsConfig) -> Arc<Self> {
        Arc::new(Self {
            upstreams: Upstreams::new(&config),
            config,
            open: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
            idle: Notify::new(),
            shutdown: CancellationToken::new(),
        })
    }

    pub fn config(&self) -> &SubscriptionsConfig {
        &self.config
    }

    /// Subscriptions open now.
    pub fn open_count(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    /// A slot for one more subscription, or `None` at `max_total`.
    fn open(self: &Arc<Self>) -> Option<Slot> {
        let max = self.config.max_total;
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (max == 0 || open < max).then_some(open + 1)
            })
            .ok()
            .map(|_| Slot(self.clone()))
    }

    pub fn connection(self: &Arc<Self>) -> ConnectionGuard {
        self.connections.fetch_add(1, Ordering::AcqRel);
        ConnectionGuard(self.clone())
    }

    /// Cancelled when the router shuts down.
    pub fn shutdown_token(&self) -> &CancellationToken {
        &self.shutdown
    }

    /// Ends every subscription (each completes) and waits, at most `grace`, for the
    /// WebSocket connections to close.
    pub async fn shut_down(&self, grace: Duration) {
        self.shutdown.cancel();
        let closed = async {
            loop {
                let idle = self.idle.notified();
                if self.connections.load(Ordering::Acquire) == 0 {
                    return;
                }
                idle.await;
            }
        };
        let _ = tokio::time::timeout(grace, closed).await;
    }
}

/// A streaming request once it passed every check.
pub enum Started {
    /// A query or mutation: its one result.
    Single(Outcome),
    /// A subscription, subscribed to at its subgraph.
    Subscription(Box<Subscription>),
}

/// A subscription open at its subgraph, to run with [`Subscription::run`].
pub struct Subscription {
    state: Arc<RouterState>,
    ready: Ready,
    upstream: UpstreamSubscription,
    /// When the token that opened it stops being accepted.
    expires_at: Option<SystemTime>,
    _slot: Slot,
}

impl RouterState {
    /// Runs every check a query goes through, then executes a query or mutation, or opens a
    /// subscription at the subgraph that owns its root field. An `Err` is the outcome of a
    /// request that failed as a whole.
    pub async fn start_stream(
        self: &Arc<Self>,
        mut request: GraphQLRequest,
        allow_mutations: bool,
    ) -> Result<Started, Outcome> {
        let expires_at = request.auth.expires_at;
        if expires_at.is_some_and(|at| at <= SystemTime::now()) {
            return Err(Outcome::Unauthenticated(Bytes::from(
                crate::error::errors_body(&[token_expired()]),
            )));
        }
        let ready = self.ready(&mut request, allow_mutations, true).await?;
        if ready.prepared.kind != OperationType::Subscription {
            let Ready {
                schema,
                prepared,
                variables,
                headers,
                ..
            } = ready;
            let outcome =
                run_within_deadline(self.clone(), schema, prepared, variables, headers, None).await;
            return Ok(Started::Single(outcome));
        }
        let Some(slot) = self.subscriptions.open() else {
            return Err(failed(
                format!(
                    "The router holds its limit of {} subscriptions: retry later",
                    self.subscriptions.config.max_total
                ),
                ErrorCode::SubscriptionLimitExceeded,
            ));
        };
        let Some(primary) = ready.prepared.plan.as_ref().and_then(primary_fetch) else {
            let (message, code) = if ready.prepared.denied_hash() != 0 {
                (
                    "Unauthorized field or type: the subscription's root field",
                    ErrorCode::UnauthorizedField,
                )
            } else {
                (
                    "A subscription must select a subgraph's subscription field",
                    ErrorCode::ValidationFailed,
                )
            };
            return Err(failed(message.into(), code));
        };
        let service = primary.service_name.as_str();
        let Some(url) = ready.schema.subgraph_urls.get(service) else {
            return Err(failed(
                format!("Unknown subgraph '{service}'"),
                ErrorCode::SubgraphRequestFailed,
            ));
        };
        let variables = used_variables(&ready.variables, primary);
        let upstream = self
            .subscriptions
            .upstreams
            .subscribe(
                url,
                service,
                &ready.headers,
                &primary.operation.document_str,
                &variables,
            )
            .await
            .map_err(|message| {
                let mut error = GraphQLError::with_code(message, ErrorCode::SubgraphRequestFailed);
                error
                    .extensions
                    .insert("serviceName".into(), Value::from(service));
                Outcome::Executed(Bytes::from(crate::error::errors_body(&[error])))
            })?;
        Ok(Started::Subscription(Box::new(Subscription {
            state: self.clone(),
            ready,
            upstream,
            expires_at,
            _slot: slot,
        })))
    }
}

impl Subscription {
    /// Sends each event's result through `emit` until the subscription ends: returns the
    /// error to send last, or `None` to complete. It stops without a word when `emit`
    /// answers false (the client is gone or too slow) or `cancelled` resolves (the client
    /// unsubscribed), and completes when the router shuts down.
    pub async fn run(
        self,
        mut emit: impl FnMut(Message) -> bool + Send,
        cancelled: impl Future<Output = ()> + Send,
    ) -> Option<Message> {
        let Subscription {
            state,
            ready,
            mut upstream,
            expires_at,
            _slot,
        } = self;
        let shutdown = state.subscriptions.shutdown.clone();
        let mut cancelled = std::pin::pin!(cancelled);
        let expired = async {
            match expires_at {
                Some(at) => {
                    let left = at.duration_since(SystemTime::now()).unwrap_or_default();
                    tokio::time::sleep(left).await;
                }
                None => std::future::pending().await,
            }
        };
        let mut expired = std::pin::pin!(expired);
        // Returning drops `upstream`, which completes the subscription at the subgraph.
        loop {
            let event = tokio::select! {
                event = upstream.next() => event,
                () = &mut cancelled => return None,
                () = shutdown.cancelled() => return None,
                () = &mut expired => return Some(Message::error(&[token_expired()])),
            };
            let service = upstream.service();
            let closed = |reason: String| {
                let mut error = GraphQLError::with_code(
                    format!("The subscription's connection to '{service}' closed: {reason}"),
                    ErrorCode::SubgraphSubscriptionClosed,
                );
                error
                    .extensions
                    .insert("serviceName".into(), Value::from(service));
                Some(Message::error(&[error]))
            };
            match event {
                UpstreamEvent::Next(response) => {
                    let outcome = run_within_deadline(
                        state.clone(),
                        ready.schema.clone(),
                        ready.prepared.clone(),
                        ready.variables.clone(),
                        ready.headers.clone(),
                        Some(response),
                    )
                    .await;
                    // An event past the execution deadline is sent with its error; the
                    // subscription goes on.
                    if !emit(Message::Next(outcome.into_body())) {
                        return None;
                    }
                }
                UpstreamEvent::Errors(errors) => {
                    let errors: Vec<GraphQLError> = errors
                        .iter()
                        .map(|error| GraphQLError::from_subgraph(error, service))
                        .collect();
                    return Some(Message::error(&errors));
                }
                UpstreamEvent::Complete => return None,
                UpstreamEvent::Closed(reason) => return closed(reason),
                UpstreamEvent::TooSlow => {
                    let buffer = state.subscriptions.config.buffer;
                    return Some(Message::error(&[GraphQLError::with_code(
                        format!("More than {buffer} of the subscription's events waited: dropped"),
                        ErrorCode::SubscriptionClientTooSlow,
                    )]));
                }
            }
        }
    }
}

/// The error that ends a subscription whose token expired.
fn token_expired() -> GraphQLError {
    GraphQLError::with_code(
        "Unauthenticated: the token that opened this subscription expired",
        ErrorCode::Unauthenticated,
    )
}

fn failed(message: String, code: ErrorCode) -> Outcome {
    let body = crate::error::errors_body(&[GraphQLError::with_code(message, code)]);
    Outcome::RequestError(Bytes::from(body))
}

/// The fetch a subscription's plan starts with: its Subscription node, first in the plan or
/// in its top Sequence.
fn primary_fetch(plan: &QueryPlan) -> Option<&FetchNode> {
    match plan.node.as_ref()? {
        PlanNode::Subscription(node) => Some(&node.primary),
        PlanNode::Sequence(sequence) => match sequence.nodes.first()? {
            PlanNode::Subscription(node) => Some(&node.primary),
            _ => None,
        },
        _ => None,
    }
}

/// The variables the subgraph's subscription document declares.
fn used_variables(variables: &Map<String, Value>, fetch: &FetchNode) -> Map<String, Value> {
    fetch
        .variable_usages
        .iter()
        .flatten()
        .filter_map(|name| Some((name.clone(), variables.get(name)?.clone())))
        .collect()
}
