//! The committed SDL is the code's SDL.

#[test]
fn committed_sdl_matches_the_code() {
    commerce_testkit::assert_sdl_matches("catalog", &commerce_catalog::sdl());
}

#[test]
fn sdl_declares_federation_v2_and_the_owned_entities() {
    let sdl = commerce_catalog::sdl();
    assert!(sdl.contains("extend schema @link("), "{sdl}");
    assert!(
        sdl.contains("url: \"https://specs.apollo.dev/federation/v2."),
        "{sdl}"
    );
    assert!(sdl.contains("type Product @key(fields: \"id\")"), "{sdl}");
    assert!(
        sdl.contains("type ProductVariant @key(fields: \"id\")"),
        "{sdl}"
    );
}
