//! Read statements pipelined over a few shared PostgreSQL connections.
//!
//! sqlx (under sea-orm) lends each statement a whole pooled connection: one write and one
//! wake-up of the server per statement, and a `Sync` round trip each time the connection goes
//! back to the pool. For a listing page that cost more CPU, in this process and in PostgreSQL,
//! than reading its 50 rows. tokio-postgres lets concurrent statements share a connection:
//! those queued while others are on the wire go out in one write, and their answers come back
//! in one read. A domain's hottest reads go through here; its writes, transactions and other
//! reads stay on the pool.
//!
//! A pipelined connection is served by one server process, so a slow statement delays those
//! queued behind it: only short, index-bound reads belong here. Reads are idempotent, so one
//! that fails because its connection closed is retried once on a fresh connection. When no
//! connection can be made, the caller reads through the pool instead: these connections speak
//! no TLS, and a server that requires it refuses them while the pool (TLS when the server
//! offers it) gets in.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::metric::Info;
use sea_orm::{DbErr, RuntimeErr, Statement, Value};
use tokio_postgres::config::SslMode;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, NoTls};

pub use tokio_postgres::Row;

/// Told of every statement run, like sea-orm's metric callback (and given the same `Info`).
pub type MetricCallback = Arc<dyn Fn(&Info<'_>) + Send + Sync>;

/// Prepared statements kept per connection; past this many the cache starts over (a domain
/// has a handful of statement shapes, so this only bounds a client that makes up new ones).
const PREPARED_PER_CONNECTION: usize = 256;

/// The server cancels a pipelined read that runs longer (PostgreSQL's interval syntax).
const STATEMENT_TIMEOUT: &str = "5s";

/// A set of shared connections to one PostgreSQL database; cheap to clone.
#[derive(Clone)]
pub struct ReadPipeline(Arc<Inner>);

struct Inner {
    config: tokio_postgres::Config,
    slots: Vec<Slot>,
    next: AtomicUsize,
    metric: RwLock<Option<MetricCallback>>,
    /// The server refused these connections (class 28: not allowed in, e.g. a `pg_hba.conf`
    /// that requires TLS): every read goes through the pool from then on.
    refused: AtomicBool,
}

/// One connection, made on first use and again after it closes.
#[derive(Default)]
struct Slot {
    current: Mutex<Option<Arc<Connection>>>,
    connecting: tokio::sync::Mutex<()>,
}

struct Connection {
    client: Client,
    prepared: Mutex<HashMap<String, tokio_postgres::Statement>>,
}

/// A bound value (borrowed from its statement) with the type it is sent as.
type Parameter<'a> = (Type, Box<dyn ToSql + Send + Sync + 'a>);

impl ReadPipeline {
    /// `connections` shared connections to `url`, each with `search_path` set to `schema`,
    /// made on first use. Refused (saying why) when the URL asks for TLS, which these
    /// connections do not speak, or does not parse as tokio-postgres's; the reads then go
    /// through the pool, which does.
    pub fn new(url: &str, schema: &str, connections: u32) -> Result<Self, String> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|error| format!("the database URL: {error}"))?;
        if config.get_ssl_mode() == SslMode::Require {
            return Err("the database URL requires TLS".to_owned());
        }
        if connections == 0 {
            return Err("no read connections are configured".to_owned());
        }
        // A statement holds up those queued behind it on its connection: none runs longer
        // than STATEMENT_TIMEOUT unless the URL's own options say otherwise.
        let mut options = format!("-c statement_timeout={STATEMENT_TIMEOUT} ");
        if let Some(own) = config.get_options() {
            options.push_str(own);
            options.push(' ');
        }
        options.push_str(&format!("-c search_path={schema}"));
        config
            .options(options)
            .application_name(format!("commerce-{schema}-reads"))
            .connect_timeout(Duration::from_secs(10));
        Ok(Self(Arc::new(Inner {
            config,
            slots: (0..connections).map(|_| Slot::default()).collect(),
            next: AtomicUsize::new(0),
            metric: RwLock::new(None),
            refused: AtomicBool::new(false),
        })))
    }

    /// Replaces the callback told of every statement (the process's metrics, or a test's
    /// statement counter).
    pub fn set_metric_callback(&self, callback: MetricCallback) {
        *self
            .0
            .metric
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(callback);
    }

    /// The rows of `statement`, a read; None when no pipelined connection could be made, and
    /// the caller reads through the pool instead. Its values are bound with the types sqlx
    /// would send them as, so that the server infers the same statement from the same text.
    pub async fn query(&self, statement: &Statement) -> Result<Option<Vec<Row>>, DbErr> {
        let started = Instant::now();
        let result = self.query_with_retry(statement).await;
        if let Ok(None) = result {
            return result;
        }
        let callback = self
            .0
            .metric
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(callback) = callback {
            callback(&Info {
                elapsed: started.elapsed(),
                statement,
                failed: result.is_err(),
            });
        }
        result
    }

    async fn query_with_retry(&self, statement: &Statement) -> Result<Option<Vec<Row>>, DbErr> {
        if self.0.refused.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let parameters = statement
            .values
            .iter()
            .flat_map(|values| values.0.iter())
            .map(parameter)
            .collect::<Result<Vec<_>, _>>()?;
        let slot = &self.0.slots[self.0.next.fetch_add(1, Ordering::Relaxed) % self.0.slots.len()];
        let Some(connection) = self.connection(slot, None).await else {
            return Ok(None);
        };
        match connection.query(&statement.sql, &parameters).await {
            Err(error) if closed(&error) || connection.client.is_closed() => {
                // The server or the network dropped it (a restart, a failover, an idle
                // timeout): every statement queued on it failed with it.
                let Some(connection) = self.connection(slot, Some(&connection)).await else {
                    return Ok(None);
                };
                connection.query(&statement.sql, &parameters).await
            }
            result => result,
        }
        .map(Some)
        .map_err(|error| {
            DbErr::Query(RuntimeErr::Internal(format!(
                "a pipelined read: {}",
                describe(&error)
            )))
        })
    }

    /// The slot's open connection other than `failed`, connecting when it has none (one caller
    /// connects, the others wait for it); None, logged, when none can be made.
    async fn connection(
        &self,
        slot: &Slot,
        failed: Option<&Arc<Connection>>,
    ) -> Option<Arc<Connection>> {
        let open = || {
            slot.current
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
                .filter(|connection| !connection.client.is_closed())
                .filter(|connection| failed.is_none_or(|failed| !Arc::ptr_eq(connection, failed)))
        };
        if let Some(connection) = open() {
            return Some(connection);
        }
        let _connecting = slot.connecting.lock().await;
        if let Some(connection) = open() {
            return Some(connection);
        }
        let (client, driver) = match self.0.config.connect(NoTls).await {
            Ok(connected) => connected,
            Err(error) => {
                let refused = error
                    .code()
                    .is_some_and(|code| code.code().starts_with("28"));
                if !refused {
                    tracing::warn!(error = %describe(&error), "no pipelined read connection: this read goes through the pool");
                } else if !self.0.refused.swap(true, Ordering::Relaxed) {
                    tracing::warn!(error = %describe(&error), "the server refuses pipelined read connections: reads go through the pool from now on");
                }
                return None;
            }
        };
        tokio::spawn(async move {
            if let Err(error) = driver.await {
                tracing::warn!(%error, "a pipelined read connection closed");
            }
        });
        let connection = Arc::new(Connection {
            client,
            prepared: Mutex::default(),
        });
        *slot.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(connection.clone());
        Some(connection)
    }
}

impl Connection {
    async fn query(
        &self,
        sql: &str,
        parameters: &[Parameter<'_>],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        let types = || parameters.iter().map(|(ty, _)| ty);
        let cached = self
            .prepared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(sql)
            .filter(|prepared| prepared.params().iter().eq(types()))
            .cloned();
        let prepared = match cached {
            Some(prepared) => prepared,
            None => {
                let types: Vec<Type> = types().cloned().collect();
                let prepared = self.client.prepare_typed(sql, &types).await?;
                let mut cache = self.prepared.lock().unwrap_or_else(PoisonError::into_inner);
                if cache.len() >= PREPARED_PER_CONNECTION {
                    cache.clear();
                }
                cache.insert(sql.to_owned(), prepared.clone());
                prepared
            }
        };
        let values: Vec<&(dyn ToSql + Sync)> = parameters
            .iter()
            .map(|(_, value)| &**value as &(dyn ToSql + Sync))
            .collect();
        self.client.query(&prepared, &values).await
    }
}

/// The server's own words (`ERROR: column … does not exist`), not just "db error".
fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(error) => error.to_string(),
        None => error.to_string(),
    }
}

/// Whether `error` ended its connection: it closed, or the server is shutting it down
/// (class 57P: terminated by an administrator, a crash or a shutdown).
fn closed(error: &tokio_postgres::Error) -> bool {
    error.is_closed()
        || error
            .code()
            .is_some_and(|code| code.code().starts_with("57P"))
}

/// `value` as a parameter of the type sqlx binds it as; the types the reads bind.
fn parameter(value: &Value) -> Result<Parameter<'_>, DbErr> {
    fn typed<'a, T: ToSql + Send + Sync + 'a>(ty: Type, value: T) -> Parameter<'a> {
        (ty, Box::new(value))
    }
    Ok(match value {
        Value::Bool(value) => typed(Type::BOOL, *value),
        Value::SmallInt(value) => typed(Type::INT2, *value),
        Value::Int(value) => typed(Type::INT4, *value),
        Value::BigInt(value) => typed(Type::INT8, *value),
        Value::Float(value) => typed(Type::FLOAT4, *value),
        Value::Double(value) => typed(Type::FLOAT8, *value),
        Value::String(value) => typed(Type::TEXT, value.as_deref().map(String::as_str)),
        Value::ChronoDateTimeUtc(value) => typed(
            Type::TIMESTAMPTZ,
            value.as_deref().copied() as Option<DateTime<Utc>>,
        ),
        other => {
            return Err(DbErr::Custom(format!(
                "a pipelined read cannot bind {other:?}"
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_that_requires_tls_or_no_connections_go_through_the_pool() {
        let refused = |url: &str, connections| {
            ReadPipeline::new(url, "catalog", connections)
                .err()
                .unwrap_or_else(|| panic!("{url} with {connections} connections is refused"))
        };
        assert!(refused("postgres://u@db/shop?sslmode=require", 2).contains("TLS"));
        assert!(refused("postgres://u@db/shop", 0).contains("no read connections"));
        assert!(refused("postgres://u@db/shop?sslmode=verify-full", 2).contains("URL"));
        assert!(ReadPipeline::new("postgres://u@db/shop?sslmode=disable", "catalog", 2).is_ok());
    }

    #[test]
    fn connections_search_the_domains_schema_and_time_out_unless_the_url_says_otherwise() {
        let reads = ReadPipeline::new(
            "postgres://u@db/shop?options=-c%20statement_timeout%3D1s",
            "catalog",
            1,
        )
        .expect("a pipeline");
        assert_eq!(
            reads.0.config.get_options(),
            Some("-c statement_timeout=5s -c statement_timeout=1s -c search_path=catalog")
        );
        let plain = ReadPipeline::new("postgres://u@db/shop", "catalog", 1).expect("a pipeline");
        assert_eq!(
            plain.0.config.get_options(),
            Some("-c statement_timeout=5s -c search_path=catalog")
        );
        assert_eq!(
            reads.0.config.get_application_name(),
            Some("commerce-catalog-reads")
        );
    }

    #[test]
    fn values_are_bound_with_the_types_sqlx_sends() {
        let types = [
            Value::BigInt(Some(1)),
            Value::String(None),
            Value::Double(Some(0.5)),
        ]
        .iter()
        .map(|value| parameter(value).map(|(ty, _)| ty))
        .collect::<Result<Vec<_>, _>>()
        .expect("bindable");
        assert_eq!(types, [Type::INT8, Type::TEXT, Type::FLOAT8]);
        assert!(parameter(&Value::Json(None)).is_err());
    }
}
