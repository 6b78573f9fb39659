//! SDL golden files: the committed `schema/subgraphs/<domain>.graphql` is what the code exports,
//! and the committed subgraphs compose with it.

use std::path::PathBuf;

fn committed_path(domain: &str) -> PathBuf {
    xtask::compose::schema_dir()
        .join("subgraphs")
        .join(format!("{domain}.graphql"))
}

/// Fails when `schema/subgraphs/<domain>.graphql` differs from `sdl`, the SDL the code exports;
/// with `UPDATE_SDL` set it rewrites the file first.
pub fn assert_sdl_matches(domain: &str, sdl: &str) {
    let path = committed_path(domain);
    if std::env::var_os("UPDATE_SDL").is_some() {
        std::fs::write(&path, sdl).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    assert!(
        committed == sdl,
        "schema/subgraphs/{domain}.graphql is out of date with the code: run \
         `UPDATE_SDL=1 cargo test -p commerce-{domain} sdl` and commit it"
    );
}

/// Composes every committed subgraph SDL, with `domain`'s replaced by `sdl`, the way
/// `cargo xtask compose` does, so a change that breaks composition fails in its own crate.
/// A missing committed file fails too.
pub fn assert_composes(domain: &str, sdl: &str) {
    let mut subgraphs =
        xtask::compose::committed_subgraphs().expect("every committed subgraph SDL is readable");
    let own = subgraphs
        .iter_mut()
        .find(|subgraph| subgraph.name == domain)
        .unwrap_or_else(|| panic!("{domain} is not one of xtask's SUBGRAPHS"));
    own.sdl = sdl.to_owned();
    if let Err(error) = xtask::compose::compose(&subgraphs) {
        panic!("composition failed: {error:#}");
    }
}
