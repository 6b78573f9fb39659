//! The committed SDL equals what the code exports.

#[test]
fn sdl_matches_the_committed_file() {
    commerce_testkit::assert_sdl_matches("pricing", &commerce_pricing::sdl());
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

/// Composes the code's pricing SDL with every other committed subgraph SDL (the catalog's
/// fields are what `@requires` names), so a pricing change that breaks composition fails here
/// first.
#[test]
fn pricing_composes_with_the_committed_subgraphs() {
    commerce_testkit::assert_composes("pricing", &commerce_pricing::sdl());
}
