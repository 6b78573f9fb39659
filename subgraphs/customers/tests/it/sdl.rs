//! The committed SDL must be what the code exports.

#[test]
fn committed_sdl_matches_the_code() {
    commerce_testkit::assert_sdl_matches("customers", &commerce_customers::sdl());
}

#[test]
fn sdl_uses_federation_v2_and_the_agreed_keys() {
    let sdl = commerce_customers::sdl();
    assert!(sdl.contains("extend schema @link("), "{sdl}");
    assert!(
        sdl.contains("url: \"https://specs.apollo.dev/federation/v2."),
        "{sdl}"
    );
    assert!(sdl.contains("type Customer @key(fields: \"id\")"), "{sdl}");
    assert!(
        sdl.contains("type Product @key(fields: \"id\", resolvable: false)"),
        "{sdl}"
    );
}
