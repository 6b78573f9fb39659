//! Runs a subgraph's operations: the [`Limits`] checked first, each request's
//! [`RequestScopes`] added, async-graphql's limit errors given their codes, and each request
//! and subscription recorded in the process's [metrics](crate::telemetry::metrics). This is done
//! around the schema rather than in async-graphql extensions: with any extension installed,
//! async-graphql wraps every field's and list item's resolution in the extension chain (boxed
//! futures and formatted type names per field), which cost a 50-product page about a tenth of
//! its CPU.

use std::sync::Arc;
use std::time::Instant;

use async_graphql::futures_util::future;
use async_graphql::futures_util::stream::{self, BoxStream, StreamExt};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{
    BatchRequest, BatchResponse, Data, Executor, ObjectType, Request, Response, Schema,
    ServerError, SubscriptionType,
};

use moka::sync::Cache;

use super::limits::{Limits, with_code};
use crate::entities::RequestScopes;
use crate::projection::materialize;
use crate::telemetry::metrics::{self, LiveSubscription};

/// Parsed documents kept, by their text. A storefront sends a handful of operations over and
/// over; parsing one (async-graphql's pest parser) cost a 50-product page about 6% of its CPU,
/// cloning the parsed tree a fraction of that.
const DOCUMENTS: u64 = 1_000;
/// Longer documents are parsed every time, so that a few large ones cannot crowd out the rest.
const MAX_CACHED_DOCUMENT: usize = 16 * 1024;

/// A subgraph's schema as the kernel serves it (HTTP, WebSocket and tests alike).
pub struct SubgraphExecutor<Q, M, S> {
    schema: Schema<Q, M, S>,
    /// Documents that parsed and passed the [`Limits`] (which depend on nothing else).
    documents: Cache<String, Arc<ExecutableDocument>>,
}

impl<Q, M, S> Clone for SubgraphExecutor<Q, M, S> {
    fn clone(&self) -> Self {
        Self {
            schema: self.schema.clone(),
            documents: self.documents.clone(),
        }
    }
}

impl<Q, M, S> SubgraphExecutor<Q, M, S>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    pub fn new(schema: Schema<Q, M, S>) -> Self {
        Self {
            schema,
            documents: Cache::new(DOCUMENTS),
        }
    }

    pub fn schema(&self) -> &Schema<Q, M, S> {
        &self.schema
    }

    /// Runs `request`; with its operation type (`query`, `mutation`, `subscription` or
    /// `unknown`).
    pub(crate) async fn run(&self, mut request: Request) -> (&'static str, Response) {
        let started = Instant::now();
        // Parsed (or found parsed) first: the operation type is read from the document.
        let parsed = self.parse(&mut request);
        let operation = metrics::operation_type(&mut request);
        let response = match parsed {
            Ok(()) => coded(self.schema.execute(self.scoped(request)).await),
            Err(refusal) => Response::from_errors(vec![refusal]),
        };
        metrics::metrics().request(operation, &response, started.elapsed());
        (operation, response)
    }

    /// Runs `request` for an HTTP answer: the lists that projection wrote stay JSON text, for
    /// [`json_body`](crate::projection::json_body) to write as they are.
    pub async fn execute_for_http(&self, request: BatchRequest) -> BatchResponse {
        match request {
            BatchRequest::Single(request) => BatchResponse::Single(self.run(request).await.1),
            BatchRequest::Batch(requests) => {
                let runs = requests.into_iter().map(|request| self.run(request));
                let answers = future::join_all(runs).await;
                BatchResponse::Batch(answers.into_iter().map(|(_, answer)| answer).collect())
            }
        }
    }

    /// The request with its scopes added, or the refusal of its document.
    fn prepare(&self, mut request: Request) -> Result<Request, ServerError> {
        self.parse(&mut request)?;
        Ok(self.scoped(request))
    }

    /// Puts the request's parsed document in it, or refuses the document.
    fn parse(&self, request: &mut Request) -> Result<(), ServerError> {
        if let Some(document) = self.documents.get(&request.query) {
            request.set_parsed_query(ExecutableDocument::clone(&document));
        } else if let Some(limits) = self.schema.data::<Limits>() {
            // The parsed document stays in the request, so async-graphql does not parse it
            // again. A syntax error is left for async-graphql to report as it always has.
            let text = (request.query.len() <= MAX_CACHED_DOCUMENT).then(|| request.query.clone());
            if let Ok(document) = request.parsed_query() {
                limits.check(document)?;
                if let Some(text) = text {
                    self.documents.insert(text, Arc::new(document.clone()));
                }
            }
        }
        Ok(())
    }

    fn scoped(&self, request: Request) -> Request {
        match self.schema.data::<RequestScopes>() {
            Some(scopes) => scopes.apply(request),
            None => request,
        }
    }
}

fn coded(mut response: Response) -> Response {
    response.errors.iter_mut().for_each(with_code);
    response
}

/// `response` for a caller that reads its values (see [`materialize`]).
fn materialized(mut response: Response) -> Response {
    materialize(&mut response.data);
    response
}

impl<Q, M, S> Executor for SubgraphExecutor<Q, M, S>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    async fn execute(&self, request: Request) -> Response {
        materialized(self.run(request).await.1)
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        match self.prepare(request) {
            Ok(request) => {
                let live = LiveSubscription::start();
                Executor::execute_stream(&self.schema, request, session_data)
                    .map(move |response| {
                        // Held by the stream: uncounted when the subscription ends.
                        let _ = &live;
                        materialized(coded(response))
                    })
                    .boxed()
            }
            Err(refusal) => {
                stream::once(async move { Response::from_errors(vec![refusal]) }).boxed()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, Object};

    use super::*;
    use crate::subgraph::limits::fragment_bomb;
    use crate::subgraph::{codes, schema_builder};

    struct Node;

    #[Object]
    impl Node {
        async fn id(&self) -> i32 {
            1
        }

        async fn child(&self) -> Node {
            Node
        }
    }

    struct Query;

    #[Object]
    impl Query {
        async fn node(&self) -> Node {
            Node
        }
    }

    fn code(response: &Response) -> Option<String> {
        let extensions = response.errors.first()?.extensions.as_ref()?;
        Some(extensions.get("code")?.to_string())
    }

    /// A document is parsed once and then reused by its text; one the limits refuse is never
    /// kept, so it is checked, and refused, every time.
    #[tokio::test]
    async fn keeps_the_parsed_documents_that_passed_the_limits_and_only_those() {
        let executor = SubgraphExecutor::new(schema_builder(Query, EmptyMutation).finish());
        let query = "{ node { id child { id } } }";
        let bomb = fragment_bomb(40);
        for _ in 0..2 {
            let answer = executor.execute(Request::new(query)).await;
            assert!(answer.is_ok(), "{:?}", answer.errors);
            assert_eq!(
                answer.data.into_json().expect("JSON"),
                serde_json::json!({ "node": { "id": 1, "child": { "id": 1 } } })
            );
            let refused = executor.execute(Request::new(bomb.as_str())).await;
            let expected = format!("\"{}\"", codes::MAX_EXPANDED_FIELDS_EXCEEDED);
            assert_eq!(code(&refused), Some(expected));
        }
        executor.documents.run_pending_tasks();
        assert_eq!(executor.documents.entry_count(), 1);
        assert!(executor.documents.contains_key(query));
    }
}
