//! Throwaway PostgreSQL and Redis servers for a test process that was not given any.
//!
//! Each server runs under a small shell guard that stops it when the test process exits (the
//! guard's stdin closes), so no server outlives the tests even though statics are never dropped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::process::{Child, Command};

/// Keeps the guards' stdin pipes open for the life of the process.
static GUARDS: std::sync::Mutex<Vec<Child>> = std::sync::Mutex::new(Vec::new());

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn postgres_bin_dir() -> anyhow::Result<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL is not installed (apt-get install postgresql)")?
        .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    candidates.sort();
    candidates
        .pop()
        .context("no initdb under /usr/lib/postgresql/*/bin")
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's own user.
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// PostgreSQL refuses to run as root, so as root it runs as the `postgres` user.
fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// Runs `command_line` until the test process exits, then removes `scratch` (the server's files).
fn spawn_guarded(command_line: &str, scratch: Option<&Path>) -> anyhow::Result<()> {
    let cleanup = scratch.map_or(String::new(), |dir| format!("; rm -rf '{}'", dir.display()));
    let guard = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{command_line} & server=$!; cat >/dev/null; kill $server; wait $server{cleanup}"
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("spawning a test server")?;
    GUARDS
        .lock()
        .expect("guard list is never poisoned")
        .push(guard);
    Ok(())
}

pub async fn start_postgres() -> anyhow::Result<String> {
    let bin = postgres_bin_dir()?;
    let dir = tempfile::Builder::new()
        .prefix("commerce-pg-")
        .tempdir()?
        .keep();
    if is_root() {
        let status = Command::new("chown")
            .arg("-R")
            .arg("postgres:")
            .arg(&dir)
            .status()
            .await?;
        anyhow::ensure!(status.success(), "chown of the PostgreSQL directory failed");
    }
    let data = dir.join("data");
    let status = as_server_user(&bin.join("initdb"))
        .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "-D"])
        .arg(&data)
        .stdout(Stdio::null())
        .status()
        .await
        .context("running initdb")?;
    anyhow::ensure!(status.success(), "initdb failed");
    let port = free_port()?;
    let runuser = if is_root() {
        "runuser -u postgres -- "
    } else {
        ""
    };
    spawn_guarded(
        &format!(
            "{runuser}{} -D {} -p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
         -c synchronous_commit=off -c full_page_writes=off -c max_connections=500",
            bin.join("postgres").display(),
            data.display(),
            dir.display(),
        ),
        Some(&dir),
    )?;
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    wait_for(|| async { sea_orm::Database::connect(&url).await.is_ok() }).await?;
    Ok(url)
}

pub async fn start_redis() -> anyhow::Result<String> {
    let port = free_port()?;
    spawn_guarded(
        &format!("redis-server --port {port} --save '' --appendonly no"),
        None,
    )?;
    wait_for(|| async { std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() }).await?;
    Ok(format!("redis://127.0.0.1:{port}"))
}

async fn wait_for<F, Fut>(ready: F) -> anyhow::Result<()>
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..200 {
        if ready().await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("test server did not start within 10 s")
}
