//! The all-in-one binary: starts every subgraph and the router in one process on the embedded
//! defaults (SQLite files under `./data`, in-process caches, events delivered in-process), loads
//! the demo shop on first start, serves the web apps of `examples/` beside the router (`apps`),
//! and prints where GraphiQL and the apps are. Production runs the same crates as separate
//! processes.

pub mod apps;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use commerce_kernel::auth::Verifier;
use commerce_kernel::config::Config;
use commerce_kernel::events::Transport;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

mod invalidation;

pub mod parts;
pub mod scale_out;

/// The committed supergraph; the router reads it with each subgraph's URL replaced by the
/// address it actually listens on.
pub const SUPERGRAPH: &str = include_str!("../../schema/supergraph.graphql");

pub mod demo_orders;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DemoData {
    /// No demo data.
    None,
    /// A realistic shop: a few hundred products.
    Shop,
    /// 100,000 products, for benchmarks.
    Large,
}

impl DemoData {
    fn products(self) -> usize {
        match self {
            Self::None => 0,
            Self::Shop => 300,
            Self::Large => 100_000,
        }
    }
}

/// The stack's own variables are `COMMERCE_STACK_*`: the kernel skips that namespace, while any
/// other `COMMERCE_<KEY>` is a kernel key and an unknown one is rejected.
#[derive(Debug, Parser)]
#[command(about = "Run every commerce subgraph and the router in one process")]
pub struct Cli {
    /// Without a command, everything in this one process.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Demo data to load on first start (skipped when the shop already has products).
    #[arg(
        long,
        value_enum,
        default_value = "shop",
        env = "COMMERCE_STACK_DEMO_DATA"
    )]
    pub demo: DemoData,
    /// Where the router listens; subgraphs take the next ports (4001, 4002, ...).
    #[arg(long, default_value = "127.0.0.1:4000", env = "COMMERCE_STACK_LISTEN")]
    pub listen: SocketAddr,
    /// Load the demo data, then exit (for benchmarks).
    #[arg(long)]
    pub seed_only: bool,
    /// The web apps of `examples/` (storefront, dashboard): built when stale and served on
    /// the ports after the subgraphs', served as built, or not at all.
    #[arg(long, value_enum, default_value = "build", env = "COMMERCE_STACK_APPS")]
    pub apps: apps::AppsMode,
    /// Where the apps' folders are (`<dir>/storefront/dist`, ...).
    #[arg(long, default_value = apps::DEFAULT_APPS_DIR, env = "COMMERCE_STACK_APPS_DIR")]
    pub apps_dir: std::path::PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// One part of the production layout in its own process: a subgraph, or a router in
    /// front of the subgraphs that `COMMERCE_SERVICES__<NAME>` locate.
    Serve {
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(parts::parts()))]
        part: String,
        #[arg(long)]
        listen: SocketAddr,
    },
    /// The production layout on this machine: every subgraph its own process (some twice),
    /// two routers, a load balancer in front of each part that runs more than once, one
    /// PostgreSQL and one Redis (`DATABASE_URL`, `REDIS_URL`; `scripts/scale-out.sh` starts
    /// both). The routers' balancer listens on `--listen`, the subgraphs on the next ports.
    ScaleOut(scale_out::Args),
}

/// Seed used for the demo data, so every machine gets the same shop.
const DEMO_SEED: u64 = 42;

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Some(Command::Serve { part, listen }) => return parts::serve(part, *listen).await,
        Some(Command::ScaleOut(args)) => return scale_out::run(args, cli.listen, cli.demo).await,
        None => {}
    }
    let config = commerce_kernel::config::load()?;
    // One exporter for every service of the process: each server span names its service.
    commerce_kernel::telemetry::init(&config, "commerce-stack");
    let listeners = Listeners::bind(cli.listen).await?;
    let config = listeners.config(&config)?;
    let subgraphs = Subgraphs::connect(&config).await?;
    if cli.demo != DemoData::None {
        subgraphs.load_demo(cli.demo.products()).await?;
    }
    if cli.seed_only {
        return Ok(());
    }
    let apps = apps::prepare(&cli.apps_dir, cli.apps);
    let shutdown = CancellationToken::new();
    let mut stack = start(subgraphs, listeners, shutdown.clone()).await?;
    stack.serve_apps(&apps, shutdown.clone()).await?;
    if cli.demo != DemoData::None {
        // A dashboard with something on it; the shop runs without it.
        if let Err(error) = demo_orders::place(stack.router).await {
            tracing::warn!(error = format!("{error:#}"), "demo orders not placed");
        }
    }
    println!("{}", banner(&stack, cli.demo));
    tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            commerce_kernel::server::shutdown_signal().await;
            shutdown.cancel();
        }
    });
    let stopped = stack.wait().await;
    commerce_otel::shutdown().await;
    stopped
}

/// Where to point a browser, and with --demo the accounts to sign in with.
fn banner(stack: &Stack, demo: DemoData) -> String {
    use std::fmt::Write;
    let mut text = format!(
        "\nCommerce graph is up:\n  router GraphiQL     http://{}/graphql\n",
        stack.router
    );
    for (name, addr) in &stack.subgraphs {
        let _ = writeln!(text, "  {name:<10} GraphiQL http://{addr}/graphql");
    }
    for (name, addr) in &stack.apps {
        let _ = writeln!(text, "  {name:<19} http://{addr}/");
    }
    if demo != DemoData::None {
        use commerce_customers::demo::{ADMIN_EMAIL, ADMIN_PASSWORD, CUSTOMER_PASSWORD, CUSTOMERS};
        let customers: Vec<String> = CUSTOMERS
            .iter()
            .map(|(email, .., group)| match group {
                Some(group) => format!("{email} ({group})"),
                None => (*email).to_owned(),
            })
            .collect();
        let _ = writeln!(
            text,
            "Demo logins:\n  staff (staffLogin)  {ADMIN_EMAIL} / {ADMIN_PASSWORD}\n  \
             customers (login)   {} / {CUSTOMER_PASSWORD}",
            customers.join(", ")
        );
    }
    text.push_str("Ctrl-C stops everything.\n");
    text
}

/// A running stack: where each part listens, and the tasks serving them.
pub struct Stack {
    pub router: SocketAddr,
    pub subgraphs: Vec<(&'static str, SocketAddr)>,
    /// The web apps served (`storefront`, `dashboard`), each on its own port.
    pub apps: Vec<(&'static str, SocketAddr)>,
    tasks: JoinSet<anyhow::Result<()>>,
}

impl Stack {
    /// Serves each app's build on the port `offset` after the router's, the next (4011, 4012)
    /// after the subgraphs' ports (or any free one), until `shutdown`.
    pub async fn serve_apps(
        &mut self,
        apps: &[apps::App],
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        for app in apps {
            let offset = apps::APPS
                .iter()
                .position(|name| *name == app.name)
                .expect("an app of APPS") as u16
                + SUBGRAPHS.len() as u16
                + 1;
            let port = match self.router.port() {
                0 => 0,
                port => port.saturating_add(offset),
            };
            let listener = bind(SocketAddr::new(self.router.ip(), port)).await?;
            let router = apps::router(app, self.router)?;
            self.apps.push((app.name, listener.local_addr()?));
            self.tasks.spawn(commerce_kernel::server::serve_until(
                listener,
                router,
                shutdown.clone().cancelled_owned(),
            ));
        }
        Ok(())
    }

    /// Waits until every server stops; the first failure stops the rest.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        while let Some(result) = self.tasks.join_next().await {
            result.context("a server task panicked")??;
        }
        Ok(())
    }
}

/// Every subgraph's state, connected and migrated.
pub struct Subgraphs {
    pub catalog: commerce_catalog::AppState,
    pub inventory: commerce_inventory::AppState,
    pub reviews: commerce_reviews::AppState,
    pub pricing: commerce_pricing::AppState,
    pub customers: commerce_customers::AppState,
    pub checkout: commerce_checkout::AppState,
    pub orders: commerce_orders::AppState,
    pub payments: commerce_payments::AppState,
    pub webhooks: commerce_webhooks::AppState,
    pub analytics: commerce_analytics::AppState,
    /// Checks the bearer tokens every subgraph receives (one configuration, one verifier).
    pub auth: Arc<Verifier>,
    /// The configuration the subgraphs were built from; the event relays open their own
    /// connections with it when the stack starts.
    pub config: Config,
}

impl Subgraphs {
    pub async fn connect(config: &Config) -> anyhow::Result<Self> {
        Ok(Self {
            auth: Arc::new(Verifier::from_config(config)?),
            config: config.clone(),
            catalog: commerce_catalog::state(config)
                .await
                .context("starting catalog")?,
            inventory: commerce_inventory::state(config)
                .await
                .context("starting inventory")?,
            reviews: commerce_reviews::state(config)
                .await
                .context("starting reviews")?,
            pricing: commerce_pricing::state(config)
                .await
                .context("starting pricing")?,
            customers: commerce_customers::state(config)
                .await
                .context("starting customers")?,
            checkout: commerce_checkout::state(config)
                .await
                .context("starting checkout")?,
            orders: commerce_orders::state(config)
                .await
                .context("starting orders")?,
            payments: commerce_payments::state(config)
                .await
                .context("starting payments")?,
            webhooks: commerce_webhooks::state(config)
                .await
                .context("starting webhooks")?,
            analytics: commerce_analytics::state(config)
                .await
                .context("starting analytics")?,
        })
    }

    /// Loads the deterministic demo shop; each domain skips what it already has.
    pub async fn load_demo(&self, products: usize) -> anyhow::Result<()> {
        tracing::info!(products, "loading demo data (skipped if already loaded)");
        let seeded = commerce_catalog::demo::seed(&self.catalog, products, DEMO_SEED).await?;
        let variant_ids: Vec<String> = seeded
            .iter()
            .flat_map(|p| p.variant_ids.iter().cloned())
            .collect();
        let product_ids: Vec<String> = seeded.iter().map(|p| p.id.clone()).collect();
        commerce_inventory::demo::seed(&self.inventory, &variant_ids, DEMO_SEED).await?;
        commerce_reviews::demo::seed(&self.reviews, &product_ids, DEMO_SEED).await?;
        commerce_pricing::demo::seed(&self.pricing, &variant_ids, DEMO_SEED).await?;
        commerce_customers::demo::seed(&self.customers, DEMO_SEED).await?;
        commerce_checkout::demo::seed(&self.checkout).await?;
        commerce_orders::demo::seed(&self.orders).await?;
        commerce_payments::demo::seed(&self.payments).await?;
        Ok(())
    }
}

/// The subgraphs the stack serves, in port order after the router's (4001, 4002, ...).
pub const SUBGRAPHS: [&str; 10] = [
    "catalog",
    "inventory",
    "reviews",
    "pricing",
    "customers",
    "checkout",
    "orders",
    "payments",
    "webhooks",
    "analytics",
];

/// The router's and every subgraph's listener, bound before any subgraph is built so that each
/// one's configuration can say where the others are (for calls between subgraphs).
pub struct Listeners {
    router: TcpListener,
    subgraphs: Vec<(&'static str, TcpListener)>,
}

impl Listeners {
    /// Binds `listen` for the router and the ports after it for the subgraphs; with port 0
    /// (tests) or a taken port, any free one.
    pub async fn bind(listen: SocketAddr) -> anyhow::Result<Self> {
        let router = bind(listen).await?;
        let mut subgraphs = Vec::new();
        for (offset, name) in (1u16..).zip(SUBGRAPHS) {
            let port = match listen.port() {
                0 => 0,
                port => port.saturating_add(offset),
            };
            subgraphs.push((name, bind(SocketAddr::new(listen.ip(), port)).await?));
        }
        Ok(Self { router, subgraphs })
    }

    /// `config` with `services` naming where each subgraph of this stack listens, and webhook
    /// endpoints allowed on this machine: the all-in-one stack is for development and demos,
    /// whose receivers run on localhost too.
    pub fn config(&self, config: &Config) -> anyhow::Result<Config> {
        let mut config = config.clone();
        config.webhooks.allow_private_targets = true;
        for (name, listener) in &self.subgraphs {
            let url = format!("http://{}/graphql", listener.local_addr()?);
            config.services.insert((*name).to_owned(), url);
        }
        Ok(config)
    }
}

/// Serves every subgraph on its listener, then the router in front of them.
pub async fn start(
    subgraphs: Subgraphs,
    listeners: Listeners,
    shutdown: CancellationToken,
) -> anyhow::Result<Stack> {
    let mut tasks = JoinSet::new();
    let transport = start_events(&subgraphs, shutdown.clone()).await?;
    // Releases lapsed checkout reservations; stops with the process.
    let sweeper = commerce_inventory::spawn_expiry_sweeper(&subgraphs.inventory);
    tasks.spawn({
        let shutdown = shutdown.clone();
        async move {
            shutdown.cancelled().await;
            sweeper.abort();
            Ok(())
        }
    });
    let auth = subgraphs.auth.clone();
    let mut apps = HashMap::from([
        (
            "catalog",
            commerce_catalog::router(subgraphs.catalog, auth.clone()),
        ),
        (
            "inventory",
            commerce_inventory::router(subgraphs.inventory, auth.clone()),
        ),
        (
            "reviews",
            commerce_reviews::router(subgraphs.reviews, auth.clone()),
        ),
        (
            "pricing",
            commerce_pricing::router(subgraphs.pricing, auth.clone()),
        ),
        (
            "customers",
            commerce_customers::router(subgraphs.customers, auth.clone()),
        ),
        (
            "checkout",
            commerce_checkout::router(subgraphs.checkout.clone(), auth.clone()),
        ),
        (
            "payments",
            commerce_payments::router(subgraphs.payments, auth.clone()),
        ),
        (
            "orders",
            commerce_orders::router(subgraphs.orders, auth.clone()),
        ),
        (
            "webhooks",
            commerce_webhooks::router(subgraphs.webhooks, auth.clone()),
        ),
        (
            "analytics",
            commerce_analytics::router(subgraphs.analytics.clone(), auth.clone()),
        ),
    ]);
    // Checkouts a previous run (or a dead instance) left unfinished are finished or
    // compensated once every subgraph listens (the listeners are bound, so early calls wait
    // in their backlog), and periodically after that.
    let recovery = commerce_checkout::spawn_recovery(&subgraphs.checkout);
    tasks.spawn({
        let shutdown = shutdown.clone();
        async move {
            shutdown.cancelled().await;
            recovery.abort();
            Ok(())
        }
    });
    let mut addresses = Vec::new();
    for (name, listener) in listeners.subgraphs {
        let app = apps
            .remove(name)
            .with_context(|| format!("no app for the subgraph {name}"))?;
        let app = commerce_kernel::telemetry::with_service_name(app, name);
        addresses.push((name, listener.local_addr()?));
        tasks.spawn(serve_subgraph(
            listener,
            app,
            shutdown.clone().cancelled_owned(),
        ));
    }
    let urls: Vec<(&str, String)> = addresses
        .iter()
        .map(|(name, addr)| (*name, format!("http://{addr}/graphql")))
        .collect();
    let config = router_config(&urls, &subgraphs.config);
    let router = start_router(listeners.router, config, &transport, &mut tasks, shutdown).await?;
    Ok(Stack {
        router,
        subgraphs: addresses,
        apps: Vec::new(),
        tasks,
    })
}

/// Each domain's event relay, and the consumers (the catalog's cache, analytics' feeds, the
/// webhooks' fan-in, with the webhooks' delivery worker; before the relays, so that they have
/// joined the in-process bus when the first events go out); all stop with `shutdown`.
async fn start_events(
    subgraphs: &Subgraphs,
    shutdown: CancellationToken,
) -> anyhow::Result<Transport> {
    let config = &subgraphs.config;
    let transport = Transport::from_config(config).await?;
    commerce_analytics::spawn_events(&subgraphs.analytics, &transport, shutdown.clone());
    commerce_webhooks::spawn_events(&subgraphs.webhooks, &transport, shutdown.clone())
        .context("starting webhooks events")?;
    commerce_catalog::spawn_events(&subgraphs.catalog, config, &transport, shutdown.clone())
        .await
        .context("starting catalog events")?;
    // Subscriptions' event feeds, joined before the relays publish.
    subgraphs.orders.live.spawn(&transport, shutdown.clone());
    subgraphs.inventory.live.spawn(&transport, shutdown.clone());
    commerce_inventory::spawn_events(&subgraphs.inventory, config, &transport, shutdown.clone())
        .await
        .context("starting inventory events")?;
    commerce_pricing::spawn_cache_consumer(&subgraphs.pricing, &transport, shutdown.clone());
    commerce_pricing::spawn_events(config, &transport, shutdown.clone())
        .await
        .context("starting pricing events")?;
    commerce_orders::spawn_events(&subgraphs.orders, config, &transport, shutdown.clone())
        .await
        .context("starting orders events")?;
    commerce_payments::spawn_events(config, &transport, shutdown.clone())
        .await
        .context("starting payments events")?;
    commerce_customers::spawn_events(config, &transport, shutdown.clone())
        .await
        .context("starting customers events")?;
    commerce_reviews::spawn_cache_consumer(&subgraphs.reviews, &transport, shutdown.clone());
    commerce_reviews::spawn_events(config, &transport, shutdown.clone())
        .await
        .context("starting reviews events")?;
    commerce_checkout::spawn_events(config, &transport, shutdown)
        .await
        .context("starting checkout events")?;
    Ok(transport)
}

/// The stack's router configuration for subgraphs at `subgraphs` (name, GraphQL URL), from
/// the shop's `config`: persisted queries, the revocation list and the caches it asks for
/// (`response_cache_ttl_secs`, `entity_cache_ttl_secs`) shared through `redis_url`, under
/// the shop's `events_namespace`.
pub fn router_config(subgraphs: &[(&str, String)], config: &Config) -> commerce_router::Config {
    let redis_url = config.redis_url.clone();
    let namespace = &config.events_namespace;
    let overrides: HashMap<String, commerce_router::config::SubgraphConfig> = subgraphs
        .iter()
        .map(|(name, url)| {
            let subgraph = commerce_router::config::SubgraphConfig {
                url: Some(url.clone()),
                ..Default::default()
            };
            ((*name).to_owned(), subgraph)
        })
        .collect();
    // The router checks tokens against the keys the customers subgraph signs them with, so
    // forged and expired ones stop at the edge (subgraphs still check issuer and audience).
    let jwt = subgraphs
        .iter()
        .find(|(name, _)| *name == "customers")
        .map(|(_, url)| commerce_router::config::JwtConfig {
            jwks_urls: vec![format!(
                "{}/.well-known/jwks.json",
                url.trim_end_matches("/graphql")
            )],
            revocation_redis_url: redis_url.clone(),
            // The deny list the subgraphs check (revoked tokens), under the shop's namespace.
            revocation_namespace: namespace.clone(),
            ..Default::default()
        });
    commerce_router::Config {
        subgraphs: overrides,
        hot_reload: false,
        authentication: commerce_router::config::AuthenticationConfig { jwt },
        // Router instances share persisted queries through the subgraphs' Redis.
        persisted_queries: commerce_router::config::PersistedQueriesConfig {
            redis_url: redis_url.clone(),
            ..Default::default()
        },
        // Shops sharing a Redis keep their caches and invalidations apart.
        response_cache: commerce_router::config::ResponseCacheConfig {
            enabled: config.response_cache_ttl_secs > 0,
            default_ttl_secs: config.response_cache_ttl_secs,
            redis_url,
            redis_prefix: format!("{namespace}:router:rc:"),
            invalidation_channel: format!("{namespace}:router:invalidation"),
            ..Default::default()
        },
        // Products and variants only: every subgraph answering for them publishes the events
        // that drop them (`invalidation`), and pricing says when a promotion's window moves.
        // Other entities (a customer's orders, say) change without an event the router hears.
        // Anonymous requests only: a signed-in viewer reads their own writes at once.
        entity_cache: commerce_router::config::EntityCacheConfig {
            anonymous_only: true,
            enabled: config.entity_cache_ttl_secs > 0,
            default_ttl_secs: Some(0),
            types: Some(
                ["Product", "ProductVariant"]
                    .map(|typename| (typename.to_owned(), config.entity_cache_ttl_secs))
                    .into(),
            ),
        },
        ..commerce_router::Config::default()
    }
}

/// Serves the router on `listener`; its response cache follows the domains' events.
async fn start_router(
    listener: TcpListener,
    config: commerce_router::Config,
    transport: &Transport,
    tasks: &mut JoinSet<anyhow::Result<()>>,
    shutdown: CancellationToken,
) -> anyhow::Result<SocketAddr> {
    let config = commerce_router::Config {
        listen: listener.local_addr()?,
        ..config
    };
    let state = commerce_router::RouterState::from_sdl(SUPERGRAPH, config)
        .context("loading the committed supergraph")?;
    invalidation::spawn(&state, transport, &shutdown);
    let addr = listener.local_addr()?;
    tasks.spawn(commerce_router::serve(
        listener,
        state,
        shutdown.cancelled_owned(),
    ));
    Ok(addr)
}

/// Binds `addr`, or any free port on the same interface when it is taken (port 0 in tests).
async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    match TcpListener::bind(addr).await {
        Ok(listener) => Ok(listener),
        Err(error) if addr.port() != 0 => {
            tracing::warn!(%addr, %error, "port taken; using a free one");
            TcpListener::bind(SocketAddr::new(addr.ip(), 0))
                .await
                .context("binding a free port")
        }
        Err(error) => Err(error).with_context(|| format!("binding {addr}")),
    }
}

async fn serve_subgraph(
    listener: TcpListener,
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    commerce_kernel::server::serve_until(listener, app, shutdown).await
}
