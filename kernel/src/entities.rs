//! Whole `_entities` batches: per-request state, and the ids of every representation of a type,
//! so the first entity resolver of a type can load the whole batch in one query. Unlike a
//! DataLoader's time window, the cost then depends neither on the batch size nor on scheduling.
//!
//! ```ignore
//! #[derive(Default)]
//! struct Batches { products: tokio::sync::OnceCell<HashMap<String, Product>> }
//!
//! let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
//!     .data(RequestScopes::default().with::<Batches>());
//!
//! // In `#[graphql(entity)] async fn find_product_by_id(&self, ctx: &Context<'_>, id: ID)`:
//! let products = ctx.data::<Batches>()?.products
//!     .get_or_try_init(|| load_products(representation_ids(ctx, "Product")))
//!     .await?;
//! ```

use std::sync::Arc;

use async_graphql::{Any, Context, Request, Value};

type Create = Arc<dyn Fn(Request) -> Request + Send + Sync>;

/// Values every request gets fresh in its data (`ctx.data::<T>()`), made before it runs. Put it
/// in the schema's data; the kernel's executor ([`crate::subgraph::SubgraphExecutor`]) applies
/// it. Not an async-graphql extension: with any extension installed, async-graphql wraps every
/// field's resolution in the extension chain.
#[derive(Clone, Default)]
pub struct RequestScopes(Vec<Create>);

impl RequestScopes {
    /// Each request gets its own `T::default()`.
    pub fn with<T: Default + Send + Sync + 'static>(self) -> Self {
        self.with_fn(T::default)
    }

    /// Each request gets its own `T` from `create`.
    pub fn with_fn<T: Send + Sync + 'static>(
        mut self,
        create: impl Fn() -> T + Send + Sync + 'static,
    ) -> Self {
        self.0.push(Arc::new(move |request| request.data(create())));
        self
    }

    pub fn apply(&self, request: Request) -> Request {
        self.0.iter().fold(request, |request, add| add(request))
    }
}

/// The `id` of every representation of `type_name` in the `_entities` request `ctx` belongs to,
/// in request order (duplicates kept). Call it from an entity resolver, whose context is the
/// `_entities` field; elsewhere there are no representations and the list is empty.
/// Representations without a string or numeric `id` are skipped: their own resolver rejects
/// them, so one bad representation does not fail the batch.
pub fn representation_ids(ctx: &Context<'_>, type_name: &str) -> Vec<String> {
    let Ok((_, representations)) = ctx.param_value::<Vec<Any>>("representations", None) else {
        return Vec::new();
    };
    representations
        .into_iter()
        .filter_map(|Any(value)| match value {
            Value::Object(fields) => Some(fields),
            _ => None,
        })
        .filter(|fields| fields.get("__typename") == Some(&Value::from(type_name)))
        .filter_map(|fields| match fields.get("id")? {
            Value::String(id) => Some(id.clone()),
            Value::Number(id) => Some(id.to_string()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_graphql::{
        EmptyMutation, EmptySubscription, Executor, ID, Object, Schema, SimpleObject,
    };
    use serde_json::{Value as Json, json};

    use super::*;
    use crate::subgraph::SubgraphExecutor;

    /// What one request saw: the batch, read once, and how often it was read.
    #[derive(Default)]
    struct Batch {
        ids: OnceLock<Vec<String>>,
        reads: AtomicUsize,
    }

    #[derive(SimpleObject)]
    struct Product {
        id: ID,
        batch: Vec<String>,
        reads: usize,
    }

    #[derive(SimpleObject)]
    struct Review {
        id: ID,
    }

    struct Query;

    #[Object]
    impl Query {
        /// Outside `_entities`: no representations.
        async fn ids(&self, ctx: &Context<'_>) -> Vec<String> {
            representation_ids(ctx, "Product")
        }

        #[graphql(entity)]
        async fn find_product_by_id(
            &self,
            ctx: &Context<'_>,
            id: ID,
        ) -> async_graphql::Result<Product> {
            let state = ctx.data::<Batch>()?;
            let batch = state.ids.get_or_init(|| {
                state.reads.fetch_add(1, Ordering::SeqCst);
                representation_ids(ctx, "Product")
            });
            Ok(Product {
                id,
                batch: batch.clone(),
                reads: state.reads.load(Ordering::SeqCst),
            })
        }

        #[graphql(entity)]
        async fn find_review_by_id(&self, id: ID) -> Review {
            Review { id }
        }
    }

    type TestSchema = SubgraphExecutor<Query, EmptyMutation, EmptySubscription>;

    fn schema(scopes: RequestScopes) -> TestSchema {
        SubgraphExecutor::new(
            Schema::build(Query, EmptyMutation, EmptySubscription)
                .enable_federation()
                .data(scopes)
                .finish(),
        )
    }

    const ENTITIES: &str = r#"
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Product { id batch reads }
            ... on Review { id }
          }
        }"#;

    async fn entities(schema: &TestSchema, representations: Json) -> Json {
        let request = Request::new(ENTITIES).variables(async_graphql::Variables::from_json(
            json!({ "representations": representations }),
        ));
        let response = schema.execute(request).await;
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        response.data.into_json().expect("data is JSON")
    }

    #[tokio::test]
    async fn representation_ids_lists_every_representation_of_the_type_in_order() {
        let schema = schema(RequestScopes::default().with::<Batch>());
        let data = entities(
            &schema,
            json!([
                { "__typename": "Product", "id": "p2" },
                { "__typename": "Review", "id": "r1" },
                { "__typename": "Product", "id": 7 },
                { "__typename": "Product", "id": "p2" },
            ]),
        )
        .await;
        let batch = json!(["p2", "7", "p2"]);
        assert_eq!(
            data,
            json!({ "_entities": [
                { "id": "p2", "batch": batch, "reads": 1 },
                { "id": "r1" },
                { "id": "7", "batch": batch, "reads": 1 },
                { "id": "p2", "batch": batch, "reads": 1 },
            ]})
        );
    }

    #[tokio::test]
    async fn representation_ids_is_empty_outside_entities() {
        let schema = schema(RequestScopes::default().with::<Batch>());
        let response = schema.execute(Request::new("{ ids }")).await;
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        assert_eq!(
            response.data.into_json().expect("data is JSON"),
            json!({ "ids": [] })
        );
    }

    #[tokio::test]
    async fn every_request_gets_its_own_state_from_the_closure() {
        let created = Arc::new(AtomicUsize::new(0));
        let counter = created.clone();
        let schema = schema(RequestScopes::default().with_fn(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            Batch::default()
        }));
        for ids in [vec!["a", "b"], vec!["c"]] {
            let representations: Vec<Json> = ids
                .iter()
                .map(|id| json!({ "__typename": "Product", "id": id }))
                .collect();
            let data = entities(&schema, Json::from(representations)).await;
            for entity in data["_entities"].as_array().expect("a list") {
                assert_eq!(entity["batch"], json!(ids), "only this request's batch");
                assert_eq!(entity["reads"], 1, "read once per request");
            }
        }
        assert_eq!(created.load(Ordering::SeqCst), 2);
    }
}
