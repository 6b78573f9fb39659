//! The committed SDL must be what the code exports, and compose with the other subgraphs.

#[test]
fn committed_sdl_matches_the_code() {
    commerce_testkit::assert_sdl_matches("checkout", &commerce_checkout::sdl());
}

#[test]
fn sdl_composes_with_the_other_subgraphs() {
    commerce_testkit::assert_composes("checkout", &commerce_checkout::sdl());
}

#[test]
fn lines_point_at_the_catalogs_variants() {
    let sdl = commerce_checkout::sdl();
    assert!(
        sdl.contains("type ProductVariant @key(fields: \"id\", resolvable: false)"),
        "{sdl}"
    );
}
