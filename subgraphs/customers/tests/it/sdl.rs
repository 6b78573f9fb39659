//! The committed SDL must be what the code exports.

use std::path::PathBuf;

#[test]
fn committed_sdl_matches_the_code() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema/subgraphs/customers.graphql");
    let sdl = commerce_customers::sdl();
    if std::env::var_os("UPDATE_SDL").is_some() {
        std::fs::write(&path, &sdl).expect("writes the SDL file");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == sdl,
        "{} is out of date with the code; run `UPDATE_SDL=1 cargo test -p commerce-customers sdl` and commit it",
        path.display()
    );
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
