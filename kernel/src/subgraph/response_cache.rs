//! Whole answers to anonymous queries, kept as the bytes sent (the rung above the entity caches,
//! as Apollo Server's response cache is for its subgraphs): a storefront's listing asked again
//! is answered without parsing, validating or executing it.
//!
//! A subgraph opts in with the generation its caches move on every change it applies (its own
//! writes and, through its cache consumer, every instance's events). An answer is kept under
//! the generation current when its request arrived, so an answer read before a change is never
//! served after it; every instance sees another's write within its event delay, as its entity
//! caches do. Only anonymous requests are cached (nothing depends on who asks), only queries
//! (a mutation's answer is never replayed) and only answers without errors. A subgraph whose
//! answers change without a write (a promotion's window opening) must not opt in.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_graphql::Request;
use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use axum::response::Response;

/// Answers to keep at most, by their bodies' size.
const MAX_BYTES: u64 = 64 * 1024 * 1024;

pub struct ResponseCache {
    generation: Arc<AtomicU64>,
    answers: moka::sync::Cache<Key, Answer>,
}

/// Everything an answer depends on besides the data: the generation and the request's text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Key(Arc<str>);

#[derive(Clone)]
struct Answer {
    headers: HeaderMap,
    body: Bytes,
}

impl ResponseCache {
    /// Answers kept for `ttl` at most (bounding staleness while events do not flow), and until
    /// `generation` moves.
    pub fn new(generation: Arc<AtomicU64>, ttl: Duration) -> Self {
        let answers = moka::sync::Cache::builder()
            .max_capacity(MAX_BYTES)
            .weigher(|key: &Key, answer: &Answer| {
                u32::try_from(key.0.len() + answer.body.len()).unwrap_or(u32::MAX)
            })
            .time_to_live(ttl)
            .build();
        Self {
            generation,
            answers,
        }
    }

    /// The key of `request` under the current generation; none for requests with uploads.
    pub fn key(&self, request: &Request) -> Option<Key> {
        if !request.uploads.is_empty() {
            return None;
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let variables = serde_json::to_string(&request.variables).ok()?;
        let extensions = serde_json::to_string(&request.extensions).ok()?;
        let operation = request.operation_name.as_deref().unwrap_or("");
        let query = &request.query;
        Some(Key(format!(
            "{generation}\0{operation}\0{query}\0{variables}\0{extensions}"
        )
        .into()))
    }

    pub fn get(&self, key: &Key) -> Option<Response> {
        self.answers.get(key).map(|answer| {
            let mut response = Response::new(Body::from(answer.body));
            *response.headers_mut() = answer.headers;
            response
        })
    }

    /// Keeps `response` (complete, as sent) under `key`, and gives it back to be sent.
    pub async fn insert(&self, key: Key, response: Response) -> Response {
        let (parts, body) = response.into_parts();
        // The body is one buffer already (a serialized GraphQL response): collecting it
        // neither waits nor copies.
        let body = match axum::body::to_bytes(body, usize::MAX).await {
            Ok(body) => body,
            Err(_) => return Response::from_parts(parts, Body::empty()),
        };
        self.answers.insert(
            key,
            Answer {
                headers: parts.headers.clone(),
                body: body.clone(),
            },
        );
        Response::from_parts(parts, Body::from(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn answer(text: &'static str) -> Response {
        let mut response = Response::new(Body::from(text));
        response
            .headers_mut()
            .insert("content-type", HeaderValue::from_static("application/json"));
        response
    }

    async fn body(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await;
        String::from_utf8(bytes.unwrap().to_vec()).unwrap()
    }

    #[tokio::test]
    async fn an_answer_is_served_until_the_generation_moves() {
        let generation = Arc::new(AtomicU64::new(0));
        let cache = ResponseCache::new(generation.clone(), Duration::from_secs(60));
        let request = Request::new("{ a }");
        let key = cache.key(&request).unwrap();
        assert!(cache.get(&key).is_none());
        let sent = cache.insert(key.clone(), answer("first")).await;
        assert_eq!(body(sent).await, "first");

        let hit = cache.get(&cache.key(&request).unwrap()).unwrap();
        assert_eq!(hit.headers()["content-type"], "application/json");
        assert_eq!(body(hit).await, "first");

        generation.fetch_add(1, Ordering::SeqCst);
        assert!(cache.get(&cache.key(&request).unwrap()).is_none());
    }

    #[tokio::test]
    async fn variables_operation_names_and_extensions_are_part_of_the_key() {
        let cache = ResponseCache::new(Arc::new(AtomicU64::new(0)), Duration::from_secs(60));
        let query = "query A($n: Int) { a(n: $n) } query B { b }";
        let base = Request::new(query).operation_name("A");
        let variables = async_graphql::Variables::from_json(serde_json::json!({ "n": 1 }));
        let others = [
            Request::new(query).operation_name("B"),
            Request::new(query).operation_name("A").variables(variables),
            Request::new("query A($n: Int) { a(n: $n) }").operation_name("A"),
        ];
        let key = cache.key(&base).unwrap();
        cache.insert(key.clone(), answer("A")).await;
        for other in &others {
            assert!(cache.key(other).unwrap() != key);
            assert!(cache.get(&cache.key(other).unwrap()).is_none());
        }
        let mut with_extension = Request::new(query).operation_name("A");
        with_extension
            .extensions
            .insert("x".to_owned(), async_graphql::Value::from(1));
        assert!(cache.key(&with_extension).unwrap() != key);
    }
}
