//! The committed supergraph must be exactly the composition of the committed subgraph SDLs.

use xtask::compose::{committed_subgraphs, compose, supergraph_path};

#[test]
fn committed_supergraph_is_the_composition_of_the_committed_subgraphs() {
    let composed = compose(&committed_subgraphs().expect("subgraph SDLs are committed"))
        .expect("the committed subgraphs compose");
    let committed = std::fs::read_to_string(supergraph_path()).expect("supergraph is committed");
    assert!(
        composed == committed,
        "schema/supergraph.graphql is stale: run `cargo xtask compose` and commit the result"
    );
}

#[test]
fn root_types_name_every_subgraph_that_owns_a_root_field() {
    let supergraph = std::fs::read_to_string(supergraph_path()).expect("supergraph is committed");
    let query = supergraph.split("type Query").nth(1).expect("a Query type");
    let head = query.split('{').next().expect("a Query body");
    assert!(head.contains("@join__type(graph: CATALOG)"), "{head}");
}
