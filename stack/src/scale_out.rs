//! The production layout on one machine: every subgraph in a process of its own (some twice),
//! two routers, and a TCP load balancer in front of each part that runs more than once, all
//! sharing one PostgreSQL and one Redis. Every process is this binary
//! (`commerce-stack serve <part>`), as a container of `deploy/` runs it. The layout's tests
//! stop and start its processes under load (`stack/tests/it/scale_out.rs`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context;
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

use crate::parts::parts;
use crate::{DemoData, Subgraphs};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Processes per part as `part=count` (a part not named runs once).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "router=2,catalog=2,inventory=2"
    )]
    pub instances: Vec<String>,
}

/// How many processes of each part.
#[derive(Debug, Clone)]
pub struct Plan(BTreeMap<&'static str, usize>);

impl Plan {
    /// Every part once, with `counts` (`part=count`) overriding.
    pub fn parse(counts: &[String]) -> anyhow::Result<Self> {
        let mut plan: BTreeMap<&'static str, usize> = parts().map(|p| (p, 1)).collect();
        for entry in counts {
            let (name, count) = entry
                .split_once('=')
                .with_context(|| format!("{entry:?} is not part=count"))?;
            let part = parts().find(|p| *p == name.trim()).with_context(|| {
                let all: Vec<_> = parts().collect();
                format!("no part {name:?}: one of {}", all.join(", "))
            })?;
            let count: usize = count.trim().parse().context("a count of processes")?;
            anyhow::ensure!(count >= 1, "{part} needs at least one process");
            plan.insert(part, count);
        }
        Ok(Self(plan))
    }

    fn count(&self, part: &str) -> usize {
        self.0.get(part).copied().unwrap_or(1)
    }
}

pub async fn run(args: &Args, listen: SocketAddr, demo: DemoData) -> anyhow::Result<()> {
    let config = commerce_kernel::config::load()?;
    commerce_kernel::telemetry::init(&config, "commerce-scale-out");
    anyhow::ensure!(
        config
            .database_url
            .as_deref()
            .is_some_and(|url| url.starts_with("postgres"))
            && config.redis_url.is_some(),
        "the scale-out layout shares one PostgreSQL and one Redis: set DATABASE_URL and \
         REDIS_URL (scripts/scale-out.sh starts both)"
    );
    let plan = Plan::parse(&args.instances)?;
    prepare(&config, demo.products()).await?;
    let exe = std::env::current_exe().context("locating this binary")?;
    let layout = Layout::start(&exe, &plan, listen, Vec::new()).await?;
    println!("{}", layout.banner());
    commerce_kernel::server::shutdown_signal().await;
    layout.stop().await;
    Ok(())
}

/// Migrates every domain's schema and loads `products` demo products (none: 0) once, before any process starts
/// (so that instances of a part do not race to migrate), and creates the development keys
/// every process then reads.
pub async fn prepare(
    config: &commerce_kernel::config::Config,
    products: usize,
) -> anyhow::Result<()> {
    let subgraphs = Subgraphs::connect(config).await?;
    if products > 0 {
        subgraphs.load_demo(products).await?;
    }
    Ok(())
}

/// The running layout.
pub struct Layout {
    exe: PathBuf,
    env: Vec<(String, String)>,
    /// Where clients send GraphQL: the routers' balancer.
    pub front: SocketAddr,
    pub parts: Vec<Part>,
    balancers: CancellationToken,
}

/// One part: where the others reach it (its balancer, or its only process) and its processes.
pub struct Part {
    pub name: &'static str,
    pub address: SocketAddr,
    pub instances: Vec<Instance>,
}

pub struct Instance {
    pub listen: SocketAddr,
    child: Option<Child>,
}

impl Layout {
    /// Starts `plan` with the parts' addresses from `listen` (the routers' on it, the
    /// subgraphs' on the next ports as the all-in-one stack has them, the processes behind a
    /// balancer from 100 ports up; free ports with port 0). `env` is added to every
    /// process's environment. Subgraphs start first, then the routers; each is started
    /// once it answers `/health`.
    pub async fn start(
        exe: &Path,
        plan: &Plan,
        listen: SocketAddr,
        env: Vec<(String, String)>,
    ) -> anyhow::Result<Self> {
        let balancers = CancellationToken::new();
        let mut ports = Ports::new(listen);
        let mut parts = Vec::new();
        // The subgraphs in their port order, then the routers on the first port.
        for (offset, name) in crate::parts::parts().enumerate() {
            let offset = if name == "router" {
                0
            } else {
                offset as u16 + 1
            };
            let count = plan.count(name);
            let (address, instances) = if count == 1 {
                let listen = ports.at(offset)?;
                (listen, vec![listen])
            } else {
                let listener = ports.bind_part(offset).await?;
                let address = listener.local_addr()?;
                let instances = (0..count)
                    .map(|_| ports.instance())
                    .collect::<anyhow::Result<Vec<_>>>()?;
                tokio::spawn(balance(
                    listener,
                    instances.clone().into(),
                    balancers.clone(),
                ));
                (address, instances)
            };
            parts.push(Part {
                name,
                address,
                instances: instances
                    .into_iter()
                    .map(|listen| Instance {
                        listen,
                        child: None,
                    })
                    .collect(),
            });
        }
        let mut env = env;
        for part in parts.iter().filter(|p| p.name != "router") {
            env.push((
                format!("COMMERCE_SERVICES__{}", part.name.to_uppercase()),
                format!("http://{}/graphql", part.address),
            ));
        }
        let front = parts
            .iter()
            .find(|p| p.name == "router")
            .map(|p| p.address)
            .expect("a router part");
        let mut layout = Self {
            exe: exe.to_path_buf(),
            env,
            front,
            parts,
            balancers,
        };
        let all: Vec<(&'static str, usize)> = layout
            .parts
            .iter()
            .flat_map(|p| (0..p.instances.len()).map(move |i| (p.name, i)))
            .collect();
        let (subgraphs, routers): (Vec<_>, Vec<_>) =
            all.into_iter().partition(|(name, _)| *name != "router");
        for group in [subgraphs, routers] {
            for (name, index) in &group {
                layout.spawn(name, *index)?;
            }
            for (name, index) in &group {
                layout.ready(name, *index).await?;
            }
        }
        Ok(layout)
    }

    pub fn part(&self, name: &str) -> &Part {
        self.parts
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no part {name}"))
    }

    fn instance(&mut self, name: &str, index: usize) -> &mut Instance {
        let part = self
            .parts
            .iter_mut()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no part {name}"));
        &mut part.instances[index]
    }

    fn spawn(&mut self, name: &str, index: usize) -> anyhow::Result<()> {
        let (exe, env) = (self.exe.clone(), self.env.clone());
        let instance = self.instance(name, index);
        let child = Command::new(&exe)
            .arg("serve")
            .arg(name)
            .arg("--listen")
            .arg(instance.listen.to_string())
            .envs(env)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        instance.child = Some(child);
        Ok(())
    }

    /// Waits until process `index` of `name` answers `/health`.
    async fn ready(&mut self, name: &str, index: usize) -> anyhow::Result<()> {
        let listen = self.instance(name, index).listen;
        let url = format!("http://{listen}/health");
        let http = reqwest::Client::new();
        for _ in 0..1200 {
            if let Some(child) = &mut self.instance(name, index).child
                && let Some(status) = child.try_wait()?
            {
                anyhow::bail!("{name} #{index} exited while starting: {status}");
            }
            let answer = http.get(&url).timeout(Duration::from_secs(1)).send().await;
            if answer.is_ok_and(|a| a.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("{name} #{index} did not answer /health at {listen} within 2 minutes")
    }

    /// Kills process `index` of `name` at once (SIGKILL), as a crash or a lost machine would.
    pub async fn kill(&mut self, name: &str, index: usize) {
        if let Some(mut child) = self.instance(name, index).child.take() {
            let _ = child.kill().await;
        }
    }

    /// Starts process `index` of `name` again on its address; returns once it is ready.
    pub async fn restart(&mut self, name: &str, index: usize) -> anyhow::Result<()> {
        self.kill(name, index).await;
        self.spawn(name, index)?;
        self.ready(name, index).await
    }

    /// Stops every process as an orchestrator would (SIGTERM, then SIGKILL after 10 s), routers
    /// first, and the balancers.
    pub async fn stop(mut self) {
        let routers_first = self
            .parts
            .iter_mut()
            .rev()
            .flat_map(|p| p.instances.iter_mut());
        for instance in routers_first {
            let Some(mut child) = instance.child.take() else {
                continue;
            };
            if let Some(pid) = child.id() {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid as i32),
                    nix::sys::signal::Signal::SIGTERM,
                );
            }
            if tokio::time::timeout(Duration::from_secs(10), child.wait())
                .await
                .is_err()
            {
                let _ = child.kill().await;
            }
        }
        self.balancers.cancel();
    }

    /// Where everything listens.
    pub fn banner(&self) -> String {
        use std::fmt::Write;
        let mut text = format!(
            "\nCommerce graph, production layout:\n  routers' balancer   http://{}/graphql\n",
            self.front
        );
        for part in &self.parts {
            let processes: Vec<String> = part
                .instances
                .iter()
                .map(|i| i.listen.to_string())
                .collect();
            let via = if part.instances.len() > 1 {
                format!("balancer {} over {}", part.address, processes.join(", "))
            } else {
                part.address.to_string()
            };
            let _ = writeln!(text, "  {:<10} {via}", part.name);
        }
        text.push_str("Ctrl-C stops everything.\n");
        text
    }
}

/// The layout's ports: fixed offsets from the router's port, or free ones with port 0.
struct Ports {
    listen: SocketAddr,
    next_instance: u16,
}

impl Ports {
    fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            next_instance: 100,
        }
    }

    /// The address `offset` ports after the router's (a part's only process binds it).
    fn at(&self, offset: u16) -> anyhow::Result<SocketAddr> {
        let port = match self.listen.port() {
            0 => free_port(self.listen)?,
            port => port.checked_add(offset).context("ports past 65535")?,
        };
        Ok(SocketAddr::new(self.listen.ip(), port))
    }

    /// A part's address, bound by its balancer.
    async fn bind_part(&self, offset: u16) -> anyhow::Result<TcpListener> {
        let address = match self.listen.port() {
            0 => SocketAddr::new(self.listen.ip(), 0),
            _ => self.at(offset)?,
        };
        TcpListener::bind(address)
            .await
            .with_context(|| format!("binding {address}"))
    }

    fn instance(&mut self) -> anyhow::Result<SocketAddr> {
        let address = self.at(self.next_instance)?;
        self.next_instance += 1;
        Ok(address)
    }
}

/// A port free now, for a process to bind in a moment.
fn free_port(listen: SocketAddr) -> anyhow::Result<u16> {
    let probe = std::net::TcpListener::bind(SocketAddr::new(listen.ip(), 0))?;
    Ok(probe.local_addr()?.port())
}

/// A TCP load balancer: each connection goes to the next backend in turn that accepts one
/// (a stopped process is skipped), until `stop`.
async fn balance(listener: TcpListener, backends: Arc<[SocketAddr]>, stop: CancellationToken) {
    let next = Arc::new(AtomicUsize::new(0));
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((mut client, _)) = accepted else {
            continue;
        };
        let (backends, next) = (backends.clone(), next.clone());
        tokio::spawn(async move {
            let _ = client.set_nodelay(true);
            let first = next.fetch_add(1, Ordering::Relaxed);
            for attempt in 0..backends.len() {
                let backend = backends[(first + attempt) % backends.len()];
                let connect = TcpStream::connect(backend);
                let Ok(Ok(mut upstream)) =
                    tokio::time::timeout(Duration::from_secs(1), connect).await
                else {
                    continue;
                };
                let _ = upstream.set_nodelay(true);
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                return;
            }
            // No backend accepts: the client's connection closes unanswered.
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_runs_every_part_once_unless_told() {
        let plan = Plan::parse(&["router=2".into(), "catalog=3".into()]).expect("valid");
        assert_eq!(plan.count("router"), 2);
        assert_eq!(plan.count("catalog"), 3);
        assert_eq!(plan.count("orders"), 1);
        assert!(Plan::parse(&["nope=2".into()]).is_err());
        assert!(Plan::parse(&["catalog=0".into()]).is_err());
        assert!(Plan::parse(&["catalog".into()]).is_err());
    }

    #[tokio::test]
    async fn the_balancer_skips_a_backend_that_is_down() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let up = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let up_address = up.local_addr().expect("address");
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = up.accept().await {
                let _ = socket.write_all(b"up").await;
            }
        });
        let down = free_port("127.0.0.1:0".parse().expect("address")).expect("port");
        let down = SocketAddr::from(([127, 0, 0, 1], down));
        let front = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let front_address = front.local_addr().expect("address");
        let stop = CancellationToken::new();
        tokio::spawn(balance(front, vec![down, up_address].into(), stop.clone()));
        for _ in 0..4 {
            let mut client = TcpStream::connect(front_address).await.expect("connects");
            let mut answer = String::new();
            client.read_to_string(&mut answer).await.expect("reads");
            assert_eq!(answer, "up");
        }
        stop.cancel();
    }
}
