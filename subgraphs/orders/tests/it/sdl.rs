//! The committed SDL must be what the code exports, and compose with the other subgraphs.

#[test]
fn committed_sdl_matches_the_code() {
    commerce_testkit::assert_sdl_matches("orders", &commerce_orders::sdl());
}

#[test]
fn committed_sdl_composes_with_the_other_subgraphs() {
    commerce_testkit::assert_composes("orders", &commerce_orders::sdl());
}

#[test]
fn internal_mutations_are_inaccessible_and_keys_are_agreed() {
    let sdl = commerce_orders::sdl();
    assert!(sdl.contains("type Order @key(fields: \"id\")"), "{sdl}");
    assert!(sdl.contains("type Customer @key(fields: \"id\")"), "{sdl}");
    for internal in ["placeOrder(", "markOrderPaid("] {
        let line = sdl
            .lines()
            .find(|line| line.contains(internal))
            .unwrap_or_else(|| panic!("{internal} is in the SDL"));
        assert!(line.ends_with("@inaccessible"), "{line}");
    }
}
