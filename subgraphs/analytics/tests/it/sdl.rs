//! The committed SDL must be what the code exports, and compose with the other subgraphs.

#[test]
fn committed_sdl_matches_the_code() {
    commerce_testkit::assert_sdl_matches("analytics", &commerce_analytics::sdl());
}

#[test]
fn sdl_composes_and_references_the_catalogs_entities() {
    let sdl = commerce_analytics::sdl();
    assert!(
        sdl.contains("type Product @key(fields: \"id\", resolvable: false)"),
        "{sdl}"
    );
    assert!(
        sdl.contains("type ProductVariant @key(fields: \"id\", resolvable: false)"),
        "{sdl}"
    );
    commerce_testkit::assert_composes("analytics", &sdl);
}
