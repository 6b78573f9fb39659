//! The GraphiQL page served to browsers on `GET /graphql`; its files come from this binary
//! (`commerce-graphiql`), not from a CDN.

use axum::response::Response;

pub fn page() -> Response {
    commerce_graphiql::page("GraphiQL · commerce-router")
}
