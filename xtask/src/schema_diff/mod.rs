//! `cargo xtask schema-diff`: the changes of the API schema (what clients of the router see)
//! between a base commit's `schema/supergraph.graphql` and the working tree's, classified as
//! breaking, dangerous or safe. Breaking changes fail unless `schema/breaking-changes.toml`
//! acknowledges them by id, with a reason.

mod changes;
mod model;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;
use graphql_tools::parser::schema::parse_schema;
use hive_router_query_planner::consumer_schema::ConsumerSchema;
use serde::Deserialize;

pub use changes::{Change, ChangeKind, Criticality, diff};
pub use model::Schema;

/// The supergraph's path inside the repository, as `git show` names it.
const SUPERGRAPH: &str = "schema/supergraph.graphql";

/// The API schema of a supergraph: without federation's join/link machinery and without what
/// is `@inaccessible`, derived the way the router derives the schema it validates against.
pub fn api_schema(supergraph: &str) -> anyhow::Result<Schema> {
    let document = parse_schema::<String>(supergraph)
        .map_err(|error| anyhow::anyhow!("the supergraph is not valid GraphQL SDL: {error}"))?
        .into_static();
    let api = ConsumerSchema::new_from_supergraph(&document);
    Ok(Schema::from_document(&api.document))
}

/// `schema/breaking-changes.toml`: breaking changes made on purpose.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acknowledgements {
    #[serde(default)]
    pub acknowledged: Vec<Acknowledgement>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acknowledgement {
    /// A change's id, e.g. `FIELD_REMOVED:Product.slug`.
    pub id: String,
    /// Why clients can live with it (who was told, what replaces it).
    pub reason: String,
}

impl Acknowledgements {
    /// Reads the file; a missing file acknowledges nothing.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::default());
            }
            Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
        };
        let acknowledgements: Self =
            toml::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
        if let Some(empty) = acknowledgements
            .acknowledged
            .iter()
            .find(|ack| ack.reason.trim().is_empty())
        {
            anyhow::bail!("{}: `{}` needs a reason", path.display(), empty.id);
        }
        Ok(acknowledgements)
    }

    fn reason(&self, change: &Change) -> Option<&str> {
        let id = change.id();
        self.acknowledged
            .iter()
            .find(|ack| ack.id == id)
            .map(|ack| ack.reason.as_str())
    }
}

/// What a comparison found.
pub struct Report {
    pub changes: Vec<Change>,
    /// Breaking changes that no acknowledgement names.
    pub unacknowledged: usize,
    pub text: String,
}

/// Compares `old` with `new` (both supergraph SDLs) and writes a line per change.
pub fn compare(old: &str, new: &str, acks: &Acknowledgements) -> anyhow::Result<Report> {
    let old = api_schema(old).context("the base supergraph")?;
    let new = api_schema(new).context("the working tree's supergraph")?;
    let changes = diff(&old, &new);
    let mut text = String::new();
    let mut unacknowledged = 0;
    for change in &changes {
        let note = match (change.criticality, acks.reason(change)) {
            (Criticality::Breaking, Some(reason)) => format!(" (acknowledged: {reason})"),
            (Criticality::Breaking, None) => {
                unacknowledged += 1;
                " (NOT acknowledged)".to_owned()
            }
            _ => String::new(),
        };
        text.push_str(&format!(
            "{:<9} {}  {}{note}\n",
            change.criticality,
            change.id(),
            change.message
        ));
    }
    let count = |c: Criticality| changes.iter().filter(|ch| ch.criticality == c).count();
    text.push_str(&format!(
        "{} breaking ({unacknowledged} not acknowledged), {} dangerous, {} safe\n",
        count(Criticality::Breaking),
        count(Criticality::Dangerous),
        count(Criticality::Safe),
    ));
    Ok(Report {
        changes,
        unacknowledged,
        text,
    })
}

/// The command: compares `base` (a git ref; by default the merge-base with `origin/main`, or
/// the parent commit on `main` itself) with the working tree. Fails on unacknowledged breaking
/// changes; passes, saying so, when there is no base commit or it has no supergraph.
pub fn run(base: Option<&str>) -> anyhow::Result<()> {
    let repo = repository_root();
    let base = match base {
        Some(base) => {
            anyhow::ensure!(
                resolve(&repo, base).is_some(),
                "--base {base} is not a commit of this repository"
            );
            base.to_owned()
        }
        None => match default_base(&repo) {
            Some(base) => base,
            None => {
                println!("schema-diff: no base commit to compare with; nothing to check");
                return Ok(());
            }
        },
    };
    let Some(old) = git(&repo, &["show", &format!("{base}:{SUPERGRAPH}")]) else {
        println!("schema-diff: {base} has no {SUPERGRAPH}; nothing to compare with");
        return Ok(());
    };
    let current = repo.join(SUPERGRAPH);
    let new = std::fs::read_to_string(&current)
        .with_context(|| format!("reading {}", current.display()))?;
    let acks_path = repo.join("schema/breaking-changes.toml");
    let acks = Acknowledgements::load(&acks_path)?;
    let report = compare(&old, &new, &acks)?;
    println!("schema-diff: the API schema of {SUPERGRAPH} against {base}");
    print!("{}", report.text);
    anyhow::ensure!(
        report.unacknowledged == 0,
        "{} breaking change(s) of the API schema are not acknowledged: if clients can live with \
         them, add each id with a reason to {}",
        report.unacknowledged,
        acks_path.display()
    );
    Ok(())
}

/// The checkout holding `schema/`.
fn repository_root() -> PathBuf {
    let schema = crate::compose::schema_dir();
    schema
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The merge-base with `origin/main` when that exists and is not this very commit (a branch:
/// compare with where it forked); otherwise the parent commit (a clone of main, as CI runs:
/// compare with the commit before). `None` when neither exists (a first or shallow commit).
fn default_base(repo: &Path) -> Option<String> {
    let head = resolve(repo, "HEAD")?;
    let fork = resolve(repo, "origin/main")
        .and_then(|_| git(repo, &["merge-base", "HEAD", "origin/main"]))
        .map(|sha| sha.trim().to_owned())
        .filter(|sha| *sha != head);
    fork.or_else(|| resolve(repo, "HEAD~1"))
}

/// The commit `reference` names, if any.
fn resolve(repo: &Path, reference: &str) -> Option<String> {
    git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{reference}^{{commit}}"),
        ],
    )
    .map(|sha| sha.trim().to_owned())
}

/// Runs git in `repo`; its output when it succeeded.
fn git(repo: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}
