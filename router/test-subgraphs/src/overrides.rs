//! Two subgraphs that answer the same `Post` fields with different numbers, so a response
//! shows which one the router asked (`@override`, progressive labels).

use async_graphql::{EmptyMutation, EmptySubscription, ID, Object, Schema};

pub struct Post {
    id: ID,
    /// 1 for the old subgraph, 2 for the new one.
    origin: i32,
}

#[Object]
impl Post {
    async fn id(&self) -> &ID {
        &self.id
    }
    async fn title(&self) -> String {
        format!("title from {}", self.origin)
    }
    async fn views(&self) -> i32 {
        self.origin
    }
    async fn likes(&self) -> i32 {
        self.origin
    }
    async fn shares(&self) -> i32 {
        self.origin
    }
}

pub struct Query {
    origin: i32,
}

#[Object]
impl Query {
    async fn posts(&self) -> Vec<Post> {
        vec![Post {
            id: ID("p1".into()),
            origin: self.origin,
        }]
    }
    #[graphql(entity)]
    async fn find_post_by_id(&self, id: ID) -> Post {
        Post {
            id,
            origin: self.origin,
        }
    }
}

pub fn subgraph(origin: i32) -> Schema<Query, EmptyMutation, EmptySubscription> {
    Schema::build(Query { origin }, EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish()
}
