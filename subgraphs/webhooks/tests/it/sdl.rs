//! The committed SDL must be what the code exports, and compose with the other subgraphs.

#[test]
fn committed_sdl_matches_the_code() {
    commerce_testkit::assert_sdl_matches("webhooks", &commerce_webhooks::sdl());
}

#[test]
fn composes_with_the_committed_subgraphs() {
    commerce_testkit::assert_composes("webhooks", &commerce_webhooks::sdl());
}
