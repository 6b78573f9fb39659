//! The committed SDL must match what the code exports.

#[test]
fn sdl_matches_the_committed_schema_file() {
    commerce_testkit::assert_sdl_matches("inventory", &commerce_inventory::sdl());
}
