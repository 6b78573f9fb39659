//! The repository's own composed supergraph loads and every argument-free root field plans.

use std::sync::Arc;
use std::time::Duration;

use commerce_router::pipeline::{Pipeline, PlanningOptions};
use commerce_router::schema::TypeKind;
use commerce_router::supergraph::SchemaState;

#[tokio::test]
async fn plans_every_argument_free_root_field_of_the_committed_supergraph() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/supergraph.graphql");
    let Ok(sdl) = std::fs::read_to_string(path) else {
        return; // Not composed yet in this checkout.
    };
    let state = Arc::new(SchemaState::from_sdl(&sdl, &Default::default()).expect("loads"));
    let pipeline = Pipeline::new(PlanningOptions {
        timeout: Duration::from_secs(10),
        override_flags: Default::default(),
        limits: Default::default(),
        fetch_nested_entities_by_key: true,
    });
    let query_type = state.api.get(&state.api.query_type).expect("query type");
    let mut planned = 0;
    for field in query_type.fields.values() {
        if field.name.starts_with("__") || field.args.iter().any(|a| a.ty.is_non_null()) {
            continue;
        }
        let composite = state
            .api
            .get(field.ty.named())
            .is_some_and(|t| t.kind != TypeKind::Scalar && t.kind != TypeKind::Enum);
        let query = if composite {
            format!("{{ {} {{ __typename }} }}", field.name)
        } else {
            format!("{{ {} }}", field.name)
        };
        let prepared = pipeline.prepare(&state, &query, None).await;
        assert!(prepared.is_ok(), "{query}: {:?}", prepared.err());
        planned += 1;
    }
    assert!(planned > 0);
}
