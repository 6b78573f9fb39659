//! Reads pipelined over shared PostgreSQL connections: values bound as the pool binds them,
//! concurrent reads sharing one connection, a dropped connection replaced, errors reported.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use commerce_kernel::read_pipeline::{ReadPipeline, Row};
use commerce_testkit::{Backend, TestConfig, test_config};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, Value};

async fn pipeline(connections: u32) -> (TestConfig, ReadPipeline) {
    let config = test_config(Backend::Postgres).await;
    let url = config.database_url.clone().expect("a PostgreSQL URL");
    let reads = ReadPipeline::new(&url, "public", connections).expect("a pipeline");
    (config, reads)
}

fn statement(sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// The rows of a read that the pipeline served.
async fn rows(reads: &ReadPipeline, statement: Statement) -> Vec<Row> {
    reads
        .query(&statement)
        .await
        .expect("reads")
        .expect("over a pipelined connection")
}

#[tokio::test]
async fn each_value_type_is_bound_and_read_back_as_the_pool_does() {
    let (config, reads) = pipeline(1).await;
    let at: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 12, 7, 15, 30, 0).unwrap();
    let values = vec![
        Value::Bool(Some(true)),
        Value::SmallInt(Some(-3)),
        Value::Int(Some(40_000)),
        Value::BigInt(Some(1 << 40)),
        Value::Float(Some(1.5)),
        Value::Double(Some(-2.25)),
        Value::String(Some(Box::new("ünïcode".to_owned()))),
        Value::ChronoDateTimeUtc(Some(Box::new(at))),
        Value::String(None),
    ];
    let sql = "SELECT $1 AS a, $2 AS b, $3 AS c, $4 AS d, $5 AS e, $6 AS f, $7 AS g, $8 AS h, \
               $9 AS i, pg_typeof($9)::text AS j";
    let rows = rows(&reads, statement(sql, values.clone())).await;
    let [row] = rows.as_slice() else {
        panic!("one row, got {}", rows.len())
    };
    assert!(row.get::<_, bool>(0));
    assert_eq!(row.get::<_, i16>(1), -3);
    assert_eq!(row.get::<_, i32>(2), 40_000);
    assert_eq!(row.get::<_, i64>(3), 1 << 40);
    assert_eq!(row.get::<_, f32>(4), 1.5);
    assert_eq!(row.get::<_, f64>(5), -2.25);
    assert_eq!(row.get::<_, &str>(6), "ünïcode");
    assert_eq!(row.get::<_, DateTime<Utc>>(7), at);
    assert_eq!(row.get::<_, Option<&str>>(8), None);
    assert_eq!(row.get::<_, &str>(9), "text", "a string is bound as text");

    // The pool infers the same statement from the same text and values.
    let pool = Database::connect(config.database_url.clone().expect("a URL"))
        .await
        .expect("connects");
    let pooled = pool
        .query_one(statement(sql, values))
        .await
        .expect("reads")
        .expect("a row");
    assert_eq!(pooled.try_get::<String>("", "g").expect("g"), "ünïcode");
    assert_eq!(pooled.try_get::<String>("", "j").expect("j"), "text");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reads_share_one_connection_and_each_gets_its_own_answer() {
    let (_config, reads) = pipeline(1).await;
    let answers = futures::future::join_all((0..500_i64).map(|n| {
        let reads = reads.clone();
        async move {
            let rows = rows(
                &reads,
                statement(
                    "SELECT $1 * 2 AS twice, pg_backend_pid() AS pid",
                    vec![n.into()],
                ),
            )
            .await;
            (n, rows[0].get::<_, i64>(0), rows[0].get::<_, i32>(1))
        }
    }))
    .await;
    for (n, twice, _) in &answers {
        assert_eq!(*twice, n * 2);
    }
    let mut backends: Vec<i32> = answers.iter().map(|(_, _, pid)| *pid).collect();
    backends.dedup();
    assert_eq!(backends.len(), 1, "500 reads over one connection");
}

#[tokio::test]
async fn a_read_whose_connection_the_server_ended_is_answered_on_a_new_one() {
    let (config, reads) = pipeline(1).await;
    let pid = "SELECT pg_backend_pid() AS pid";
    let before: i32 = rows(&reads, statement(pid, vec![])).await[0].get(0);
    let admin = Database::connect(config.database_url.clone().expect("a URL"))
        .await
        .expect("connects");
    admin
        .execute(statement(
            "SELECT pg_terminate_backend($1)",
            vec![Value::Int(Some(before))],
        ))
        .await
        .expect("terminates the pipeline's connection");

    let after: i32 = rows(&reads, statement(pid, vec![])).await[0].get(0);
    assert_ne!(before, after, "on a new connection");
}

#[tokio::test]
async fn a_failing_read_is_an_error_reported_as_failed_and_the_connection_stays_usable() {
    let (_config, reads) = pipeline(1).await;
    let failed = Arc::new(AtomicUsize::new(0));
    let told = failed.clone();
    reads.set_metric_callback(Arc::new(move |info| {
        if info.failed {
            told.fetch_add(1, Ordering::SeqCst);
        }
    }));
    let error = reads
        .query(&statement("SELECT no_such_column FROM pg_class", vec![]))
        .await
        .expect_err("fails");
    assert!(error.to_string().contains("no_such_column"), "{error}");
    let unbindable = reads
        .query(&statement(
            "SELECT $1",
            vec![Value::Json(Some(Box::new(serde_json::json!({}))))],
        ))
        .await
        .expect_err("a value the pipeline does not bind is an error, not a panic");
    assert!(
        unbindable.to_string().contains("cannot bind"),
        "{unbindable}"
    );
    assert_eq!(failed.load(Ordering::SeqCst), 2);

    let rows = rows(&reads, statement("SELECT 1::int8", vec![])).await;
    assert_eq!(rows[0].get::<_, i64>(0), 1, "the connection still reads");
}

#[tokio::test]
async fn pipelined_connections_search_their_schema_and_time_statements_out() {
    let config = test_config(Backend::Postgres).await;
    let url = config.database_url.clone().expect("a PostgreSQL URL");
    let reads = ReadPipeline::new(&url, "catalog", 1).expect("a pipeline");
    let rows = rows(
        &reads,
        statement(
            "SELECT current_setting('search_path'), current_setting('statement_timeout'), \
             current_setting('application_name')",
            vec![],
        ),
    )
    .await;
    assert_eq!(rows[0].get::<_, &str>(0), "catalog");
    assert_eq!(rows[0].get::<_, &str>(1), "5s");
    assert_eq!(rows[0].get::<_, &str>(2), "commerce-catalog-reads");
}

/// A server that refuses these connections (here: an unknown role, class 28 like a
/// `pg_hba.conf` that requires TLS) or cannot be reached sends the reads to the pool.
#[tokio::test]
async fn reads_the_server_refuses_or_cannot_take_are_left_to_the_pool() {
    let config = test_config(Backend::Postgres).await;
    let url = config.database_url.clone().expect("a PostgreSQL URL");
    let (_, rest) = url.split_once('@').expect("a user in the URL");
    let refused = ReadPipeline::new(&format!("postgres://no_such_role@{rest}"), "public", 1)
        .expect("a pipeline");
    let counted = Arc::new(AtomicUsize::new(0));
    let count = counted.clone();
    refused.set_metric_callback(Arc::new(move |_| {
        count.fetch_add(1, Ordering::SeqCst);
    }));
    for _ in 0..2 {
        let read = refused
            .query(&statement("SELECT 1", vec![]))
            .await
            .expect("no error");
        assert!(read.is_none(), "left to the pool");
    }
    assert_eq!(counted.load(Ordering::SeqCst), 0, "no statement ran on it");

    let unreachable =
        ReadPipeline::new("postgres://postgres@127.0.0.1:1/none", "public", 1).expect("a pipeline");
    let read = unreachable
        .query(&statement("SELECT 1", vec![]))
        .await
        .expect("no error");
    assert!(read.is_none(), "left to the pool");
}
