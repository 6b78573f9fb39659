//! The committed SDL must match what the code exports.

use std::path::PathBuf;

#[test]
fn sdl_matches_the_committed_schema_file() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema/subgraphs/inventory.graphql");
    let exported = commerce_inventory::sdl();
    if std::env::var_os("UPDATE_SDL").is_some() {
        std::fs::write(&path, &exported).expect("writing the SDL file");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == exported,
        "{} is out of date; run `UPDATE_SDL=1 cargo test -p commerce-inventory sdl` and commit it",
        path.display()
    );
}
