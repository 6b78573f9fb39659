//! Runs a subgraph's operations: the [`Limits`] checked first, each request's
//! [`RequestScopes`] added, async-graphql's limit errors given their codes, and each request
//! and subscription recorded in the process's [metrics](crate::telemetry::metrics). This is done
//! around the schema rather than in async-graphql extensions: with any extension installed,
//! async-graphql wraps every field's and list item's resolution in the extension chain (boxed
//! futures and formatted type names per field), which cost a 50-product page about a tenth of
//! its CPU.

use std::sync::Arc;
use std::time::Instant;

use async_graphql::futures_util::stream::{self, BoxStream, StreamExt};
use async_graphql::{
    Data, Executor, ObjectType, Request, Response, Schema, ServerError, SubscriptionType,
};

use super::limits::{Limits, with_code};
use crate::entities::RequestScopes;
use crate::telemetry::metrics::{self, LiveSubscription};

/// A subgraph's schema as the kernel serves it (HTTP, WebSocket and tests alike).
pub struct SubgraphExecutor<Q, M, S>(Schema<Q, M, S>);

impl<Q, M, S> Clone for SubgraphExecutor<Q, M, S> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<Q, M, S> SubgraphExecutor<Q, M, S>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    pub fn new(schema: Schema<Q, M, S>) -> Self {
        Self(schema)
    }

    pub fn schema(&self) -> &Schema<Q, M, S> {
        &self.0
    }

    /// Runs `request`; with its operation type (`query`, `mutation`, `subscription` or
    /// `unknown`).
    pub(crate) async fn run(&self, mut request: Request) -> (&'static str, Response) {
        let started = Instant::now();
        let operation = metrics::operation_type(&mut request);
        let response = match self.prepare(request) {
            Ok(request) => coded(self.0.execute(request).await),
            Err(refusal) => Response::from_errors(vec![refusal]),
        };
        metrics::metrics().request(operation, &response, started.elapsed());
        (operation, response)
    }

    /// The request with its scopes added, or the refusal of its document.
    fn prepare(&self, mut request: Request) -> Result<Request, ServerError> {
        if let Some(limits) = self.0.data::<Limits>() {
            // The parsed document stays in the request, so async-graphql does not parse it
            // again. A syntax error is left for async-graphql to report as it always has.
            if let Ok(document) = request.parsed_query() {
                limits.check(document)?;
            }
        }
        Ok(match self.0.data::<RequestScopes>() {
            Some(scopes) => scopes.apply(request),
            None => request,
        })
    }
}

fn coded(mut response: Response) -> Response {
    response.errors.iter_mut().for_each(with_code);
    response
}

impl<Q, M, S> Executor for SubgraphExecutor<Q, M, S>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    async fn execute(&self, request: Request) -> Response {
        self.run(request).await.1
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        match self.prepare(request) {
            Ok(request) => {
                let live = LiveSubscription::start();
                Executor::execute_stream(&self.0, request, session_data)
                    .map(move |response| {
                        // Held by the stream: uncounted when the subscription ends.
                        let _ = &live;
                        coded(response)
                    })
                    .boxed()
            }
            Err(refusal) => {
                stream::once(async move { Response::from_errors(vec![refusal]) }).boxed()
            }
        }
    }
}
