//! The committed SDL equals what the code exports.

use std::path::PathBuf;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema/subgraphs/pricing.graphql")
}

#[test]
fn sdl_matches_the_committed_file() {
    let exported = commerce_pricing::sdl();
    let path = committed_path();
    if std::env::var_os("UPDATE_SDL").is_some() {
        std::fs::write(&path, &exported).expect("writing the SDL file");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == exported,
        "schema/subgraphs/pricing.graphql is out of date: run `UPDATE_SDL=1 cargo test -p commerce-pricing sdl`"
    );
}

#[test]
fn sdl_links_federation_v2_and_extends_the_catalog_entities() {
    let sdl = commerce_pricing::sdl();
    assert!(
        sdl.contains("extend schema @link(\n\turl: \"https://specs.apollo.dev/federation/v2"),
        "{sdl}"
    );
    assert!(sdl.contains("priceRange(currency: String!): PriceRange @requires(fields: \"variants { id } category { id ancestors { id } } collections { id }\")"));
    assert!(sdl.contains("variants: [ProductVariant!]! @external"));
}

/// Composes the committed SDLs of the catalog (whose fields `@requires` names), the other
/// subgraphs and pricing, so a pricing change that breaks composition fails here first.
#[test]
fn pricing_composes_with_the_committed_subgraphs() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema/subgraphs");
    let mut subgraphs = graphql_composition::Subgraphs::default();
    for name in ["catalog", "inventory", "reviews", "pricing"] {
        let path = dir.join(format!("{name}.graphql"));
        let Ok(sdl) = std::fs::read_to_string(&path) else {
            continue;
        };
        let sdl = if name == "pricing" {
            commerce_pricing::sdl()
        } else {
            sdl
        };
        let url = format!("http://127.0.0.1/{name}");
        subgraphs
            .ingest_str(&sdl, name, Some(&url))
            .expect("a parsable SDL");
    }
    let result = graphql_composition::compose(&mut subgraphs);
    let errors: Vec<String> = result
        .diagnostics()
        .iter_errors()
        .map(|m| m.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "composition failed:\n{}",
        errors.join("\n")
    );
}
