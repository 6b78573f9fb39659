//! Subgraphs for abstract types: media owns the `Node` entity interface and the
//! `SearchResult` union, meta extends `Node` as an @interfaceObject, reviews adds `rating`
//! to `Book` and shares `title`.

use async_graphql::{
    EmptyMutation, EmptySubscription, ID, Interface, Object, Schema, SimpleObject, Union,
};

#[derive(SimpleObject, Clone)]
pub struct Book {
    id: ID,
    title: String,
    pages: i32,
}

#[derive(SimpleObject, Clone)]
pub struct Movie {
    id: ID,
    title: String,
    minutes: i32,
}

#[derive(Interface, Clone)]
#[graphql(field(name = "id", ty = "&ID"))]
pub enum Node {
    Book(Book),
    Movie(Movie),
}

#[derive(SimpleObject, Clone)]
pub struct Draft {
    id: ID,
}

#[derive(Union, Clone)]
pub enum Featured {
    Book(Book),
    Draft(Draft),
}

#[derive(Union, Clone)]
pub enum SearchResult {
    Book(Book),
    Movie(Movie),
}

fn catalog() -> Vec<Node> {
    vec![
        Node::Book(Book {
            id: ID("b1".into()),
            title: "Dune".into(),
            pages: 412,
        }),
        Node::Movie(Movie {
            id: ID("m1".into()),
            title: "Arrival".into(),
            minutes: 116,
        }),
    ]
}

fn find(id: &str) -> Option<Node> {
    catalog().into_iter().find(|n| match n {
        Node::Book(b) => b.id.0 == id,
        Node::Movie(m) => m.id.0 == id,
    })
}

pub struct MediaQuery;

#[Object]
impl MediaQuery {
    async fn node(&self, id: ID) -> Option<Node> {
        find(&id)
    }
    async fn search(&self, term: Option<String>) -> Vec<SearchResult> {
        let _ = term;
        catalog()
            .into_iter()
            .map(|n| match n {
                Node::Book(b) => SearchResult::Book(b),
                Node::Movie(m) => SearchResult::Movie(m),
            })
            .collect()
    }
    async fn featured(&self) -> Vec<Option<Featured>> {
        let draft = Featured::Draft(Draft {
            id: ID("d1".into()),
        });
        match find("b1") {
            Some(Node::Book(book)) => vec![Some(Featured::Book(book)), Some(draft)],
            _ => vec![Some(draft)],
        }
    }
    /// The supergraph types this `Orphan`, which no object implements: the router must never
    /// show what this returns.
    async fn orphan(&self) -> Option<Book> {
        match find("b1") {
            Some(Node::Book(book)) => Some(book),
            _ => None,
        }
    }
    #[graphql(entity)]
    async fn find_node_by_id(&self, id: ID) -> Option<Node> {
        find(&id)
    }
    #[graphql(entity)]
    async fn find_book_by_id(&self, id: ID) -> Option<Book> {
        match find(&id) {
            Some(Node::Book(b)) => Some(b),
            _ => None,
        }
    }
    #[graphql(entity)]
    async fn find_movie_by_id(&self, id: ID) -> Option<Movie> {
        match find(&id) {
            Some(Node::Movie(m)) => Some(m),
            _ => None,
        }
    }
}

pub fn media() -> Schema<MediaQuery, EmptyMutation, EmptySubscription> {
    Schema::build(MediaQuery, EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish()
}

/// `Node` as the meta subgraph sees it: an object standing for every implementation.
#[derive(SimpleObject)]
#[graphql(name = "Node")]
pub struct MetaNode {
    id: ID,
    tags: Vec<String>,
}

fn tags(id: ID) -> MetaNode {
    let tags = vec![format!("tag-{}", id.0), "featured".to_string()];
    MetaNode { id, tags }
}

pub struct MetaQuery;

#[Object]
impl MetaQuery {
    async fn trending(&self) -> Vec<MetaNode> {
        vec![tags(ID("m1".into())), tags(ID("b1".into()))]
    }
    #[graphql(entity)]
    async fn find_node_by_id(&self, id: ID) -> MetaNode {
        tags(id)
    }
}

pub fn meta() -> Schema<MetaQuery, EmptyMutation, EmptySubscription> {
    Schema::build(MetaQuery, EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish()
}

#[derive(SimpleObject)]
#[graphql(name = "Book")]
pub struct ReviewedBook {
    id: ID,
    title: String,
    rating: i32,
}

pub struct ReviewsQuery;

#[Object]
impl ReviewsQuery {
    #[graphql(entity)]
    async fn find_book_by_id(&self, id: ID) -> ReviewedBook {
        ReviewedBook {
            id,
            title: "Dune".into(),
            rating: 5,
        }
    }
}

pub fn reviews() -> Schema<ReviewsQuery, EmptyMutation, EmptySubscription> {
    Schema::build(ReviewsQuery, EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish()
}
