//! Composes subgraph SDLs into a Federation v2 supergraph with `graphql-composition`.
//!
//! Its output omits `@join__type(graph: ...)` on the root operation types; query planners need
//! them to know which subgraph owns a root field, so they are added here for every subgraph that
//! defines fields on that root type.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// One subgraph: its name in the supergraph, its routing URL and its SDL.
pub struct SubgraphSdl {
    pub name: String,
    pub url: String,
    pub sdl: String,
}

pub fn compose(subgraphs: &[SubgraphSdl]) -> anyhow::Result<String> {
    let mut ingested = graphql_composition::Subgraphs::default();
    for subgraph in subgraphs {
        ingested
            .ingest_str(&subgraph.sdl, &subgraph.name, Some(&subgraph.url))
            .map_err(|error| anyhow::anyhow!("parsing the {} SDL: {error}", subgraph.name))?;
    }
    let result = graphql_composition::compose(&mut ingested);
    let diagnostics: Vec<String> = result
        .diagnostics()
        .iter_errors()
        .map(|message| message.to_string())
        .collect();
    let federated = result
        .into_result()
        .map_err(|_| anyhow::anyhow!("composition failed:\n{}", diagnostics.join("\n")))?;
    let sdl = graphql_composition::render_federated_sdl(&federated)
        .context("rendering the supergraph")?;
    Ok(add_root_join_types(&sdl, subgraphs))
}

/// Adds `@join__type(graph: X)` to `type Query`/`Mutation`/`Subscription` for each subgraph whose
/// SDL defines that root type, and marks the `join__` directives `repeatable` as the join spec
/// defines them (the renderer leaves that out, and validating parsers reject the repeats).
fn add_root_join_types(supergraph: &str, subgraphs: &[SubgraphSdl]) -> String {
    let mut out = String::with_capacity(supergraph.len() + 256);
    for line in supergraph.lines() {
        let root = ["Query", "Mutation", "Subscription"]
            .into_iter()
            .find(|root| {
                let head = line.trim_end().trim_end_matches('{').trim_end();
                head == format!("type {root}")
            });
        match root {
            Some(root) => {
                out.push_str(&format!("type {root}"));
                for subgraph in subgraphs.iter().filter(|s| defines_root(&s.sdl, root)) {
                    out.push_str(&format!(
                        "\n  @join__type(graph: {})",
                        graph_enum_value(&subgraph.name)
                    ));
                }
                out.push_str(if line.trim_end().ends_with('{') {
                    "\n{\n"
                } else {
                    "\n"
                });
            }
            None => {
                out.push_str(&make_repeatable(line));
                out.push('\n');
            }
        }
    }
    out
}

fn make_repeatable(line: &str) -> String {
    const REPEATABLE: [&str; 4] = [
        "@join__type(",
        "@join__field(",
        "@join__implements(",
        "@join__unionMember(",
    ];
    let is_definition = REPEATABLE
        .iter()
        .any(|name| line.starts_with(&format!("directive {name}")));
    if is_definition && !line.contains(" repeatable on ") {
        line.replacen(") on ", ") repeatable on ", 1)
    } else {
        line.to_owned()
    }
}

fn defines_root(sdl: &str, root: &str) -> bool {
    sdl.lines().any(|line| {
        let line = line.trim_start();
        let rest = line.strip_prefix("extend ").unwrap_or(line);
        rest.strip_prefix("type ").is_some_and(|r| {
            r.split(|c: char| !c.is_alphanumeric() && c != '_').next() == Some(root)
        })
    })
}

/// `graphql-composition` names `join__Graph` values by upper-casing the subgraph name.
fn graph_enum_value(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Where the committed schema files live.
///
/// Found from the running crate's directory when cargo says which it is: worktrees of this
/// repository may share one `target/`, where a build from another checkout would otherwise
/// point at that checkout's files.
pub fn schema_dir() -> PathBuf {
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    crate_dir
        .ancestors()
        .map(|dir| dir.join("schema"))
        .find(|dir| dir.join("supergraph.graphql").is_file())
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema"))
}

/// Our subgraphs and their default local ports, in composition order: the kernel's table,
/// which services also use to find each other.
pub const SUBGRAPHS: &[(&str, u16)] = &commerce_kernel::internal::DEFAULT_PORTS;

/// Reads the committed subgraph SDLs.
pub fn committed_subgraphs() -> anyhow::Result<Vec<SubgraphSdl>> {
    SUBGRAPHS
        .iter()
        .map(|(name, port)| {
            let path = schema_dir()
                .join("subgraphs")
                .join(format!("{name}.graphql"));
            let sdl = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            Ok(SubgraphSdl {
                name: (*name).to_owned(),
                url: format!("http://127.0.0.1:{port}/graphql"),
                sdl,
            })
        })
        .collect()
}

/// The path of the committed supergraph.
pub fn supergraph_path() -> PathBuf {
    schema_dir().join("supergraph.graphql")
}
