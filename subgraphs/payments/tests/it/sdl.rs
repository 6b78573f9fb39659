//! The committed SDL must be what the code exports, and compose with the other subgraphs.

#[test]
fn committed_sdl_matches_the_code() {
    commerce_testkit::assert_sdl_matches("payments", &commerce_payments::sdl());
}

#[test]
fn composes_with_the_committed_subgraphs() {
    commerce_testkit::assert_composes("payments", &commerce_payments::sdl());
}

#[test]
fn internal_mutations_are_inaccessible_and_entities_keyed_by_id() {
    let sdl = commerce_payments::sdl();
    for expected in [
        "type PaymentIntent @key(fields: \"id\")",
        "type Order @key(fields: \"id\")",
        "payments: [PaymentIntent!]!",
        "ledger: [PaymentLedgerEntry!]!",
        "type Money @shareable",
    ] {
        assert!(sdl.contains(expected), "{expected} missing from\n{sdl}");
    }
    let inaccessible = |field: &str| {
        sdl.lines()
            .any(|line| line.trim_start().starts_with(field) && line.contains("@inaccessible"))
    };
    assert!(inaccessible("authorizePayment("), "{sdl}");
    assert!(inaccessible("attachPaymentToOrder("), "{sdl}");
    assert!(inaccessible("cancelPaymentReference("), "{sdl}");
    assert!(!inaccessible("capturePayment("), "{sdl}");
}
