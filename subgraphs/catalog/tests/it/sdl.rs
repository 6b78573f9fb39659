//! The committed SDL is the code's SDL.

#[test]
fn committed_sdl_matches_the_code() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schema/subgraphs/catalog.graphql"
    );
    let sdl = commerce_catalog::sdl();
    if std::env::var_os("UPDATE_SDL").is_some() {
        std::fs::write(path, &sdl).expect("writing the SDL");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == sdl,
        "schema/subgraphs/catalog.graphql is out of date: run `UPDATE_SDL=1 cargo test -p commerce-catalog sdl`"
    );
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
