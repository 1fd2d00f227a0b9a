//! Storage: one `Db` over SQLite (embedded default) or PostgreSQL, chosen by `DATABASE_URL`.
//!
//! Queries are written once in the common SQL dialect with `$1` placeholders (both drivers
//! accept them) and run through sqlx's `Any` driver. Portable-type rules for every migration:
//! integer ids (`BIGINT`), integer flags (`BIGINT` 0/1), text timestamps (see `time.rs`),
//! and aggregates cast to `BIGINT`/`DOUBLE PRECISION` so both drivers decode them alike.
//!
//! SQLite allows one writer at a time. Writes therefore go through a dedicated pool of one
//! connection whose transactions start with `BEGIN IMMEDIATE` (the write lock up front, so a
//! read-then-write transaction can never fail to upgrade); reads use a wider pool under WAL.
//! On PostgreSQL both pools are the same pool.

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, ConnectOptions, Transaction};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Clone)]
pub struct Db {
    pub backend: Backend,
    read: AnyPool,
    write: AnyPool,
    health: Arc<Health>,
    /// The facts the yearly targets are counted from, shared by every caller (D260).
    pub targets: Arc<crate::targets_cache::TargetsCache>,
}

/// What this instance knows about its database: marked down by an error that says the
/// database cannot be reached (a terminated connection, a pool that cannot get one), marked
/// up again by a probe that reaches it. While it is down, requests are answered `503` at once
/// instead of each waiting out the pool's acquire timeout.
#[derive(Default)]
pub struct Health {
    down: AtomicBool,
    probing: AtomicBool,
}

tokio::task_local! {
    /// The health of the database the current request uses (set by the request middleware),
    /// so an error converted far from the `Db` can still report an outage.
    static CURRENT: Arc<Health>;
}

/// Reports a lost database to the current request's `Db`, if any.
pub fn note_lost() {
    let _ = CURRENT.try_with(|h| h.down.store(true, Ordering::SeqCst));
}

pub type Tx = Transaction<'static, Any>;

static MIGRATE_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static MIGRATE_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, thiserror::Error)]
pub enum DbOpenError {
    #[error("无法创建数据库目录 {0}: {1}")]
    Dir(String, std::io::Error),
    #[error("无法连接数据库 {url}: {cause}")]
    Connect { url: String, cause: String },
}

impl Db {
    pub async fn connect(url: &str) -> Result<Db, DbOpenError> {
        sqlx::any::install_default_drivers();
        let redacted = crate::config::redact_url(url);
        let fail = |e: sqlx::Error| DbOpenError::Connect {
            url: redacted.clone(),
            cause: e.to_string(),
        };
        if url.starts_with("sqlite:") {
            let path = sqlite_path(url);
            if let Some(dir) = std::path::Path::new(&path).parent() {
                if !dir.as_os_str().is_empty() && path != ":memory:" {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| DbOpenError::Dir(dir.display().to_string(), e))?;
                }
            }
            // Pragmas are applied per connection; the URL form keeps them inside the Any driver.
            let full = format!("sqlite://{path}?mode=rwc");
            let opts = AnyConnectOptions::from_str(&full)
                .map_err(fail)?
                .disable_statement_logging();
            let write = AnyPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .after_connect(|conn, _meta| Box::pin(sqlite_pragmas(conn)))
                .connect_with(opts.clone())
                .await
                .map_err(fail)?;
            let read = AnyPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .after_connect(|conn, _meta| Box::pin(sqlite_pragmas(conn)))
                .connect_with(opts)
                .await
                .map_err(fail)?;
            Ok(Db {
                backend: Backend::Sqlite,
                read,
                write,
                health: Arc::default(),
                targets: Arc::default(),
            })
        } else {
            let opts = AnyConnectOptions::from_str(url)
                .map_err(fail)?
                .disable_statement_logging();
            let pool = AnyPoolOptions::new()
                .max_connections(20)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(opts)
                .await
                .map_err(fail)?;
            Ok(Db {
                backend: Backend::Postgres,
                read: pool.clone(),
                write: pool,
                health: Arc::default(),
                targets: Arc::default(),
            })
        }
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self.backend {
            Backend::Sqlite => MIGRATE_SQLITE.run(&self.write).await,
            Backend::Postgres => MIGRATE_POSTGRES.run(&self.write).await,
        }
    }

    /// The pool for reads outside a transaction.
    pub fn pool(&self) -> &AnyPool {
        &self.read
    }

    /// The pool for a single write statement outside a transaction (SQLite's one writer).
    pub fn writer(&self) -> &AnyPool {
        &self.write
    }

    /// A write transaction. On SQLite it holds the write lock from its first statement.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.write.begin().await,
        }
    }

    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.read).await.is_ok()
    }

    /// A ping that gives up after `PROBE_TIMEOUT` instead of the pool's acquire timeout.
    pub async fn ping_quick(&self) -> bool {
        tokio::time::timeout(PROBE_TIMEOUT, self.ping())
            .await
            .unwrap_or(false)
    }

    /// Runs `f` (a request) with this database as the one `note_lost` reports to.
    pub async fn scope<F: std::future::Future>(&self, f: F) -> F::Output {
        CURRENT.scope(self.health.clone(), f).await
    }

    /// The database was found unreachable and has not been reached since.
    pub fn known_down(&self) -> bool {
        self.health.down.load(Ordering::SeqCst)
    }

    pub fn mark_down(&self) {
        self.health.down.store(true, Ordering::SeqCst);
        self.ensure_probe();
    }

    /// While the database is known down, one background probe per instance pings it every
    /// `PROBE_EVERY` and marks it up at the first answer.
    pub fn ensure_probe(&self) {
        if !self.known_down() || self.health.probing.swap(true, Ordering::SeqCst) {
            return;
        }
        let db = self.clone();
        tokio::spawn(async move {
            loop {
                if db.ping_quick().await {
                    db.health.down.store(false, Ordering::SeqCst);
                    tracing::info!("database reachable again");
                    break;
                }
                tokio::time::sleep(PROBE_EVERY).await;
            }
            db.health.probing.store(false, Ordering::SeqCst);
        });
    }

    /// Pool usage for `/metrics`: (size, idle) of the read and write pools.
    pub fn pool_stats(&self) -> [(&'static str, u32, usize); 2] {
        [
            ("read", self.read.size(), self.read.num_idle()),
            ("write", self.write.size(), self.write.num_idle()),
        ]
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

async fn sqlite_pragmas(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    use sqlx::Executor;
    conn.execute(
        "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;",
    )
    .await?;
    Ok(())
}

fn sqlite_path(url: &str) -> String {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    rest.split('?').next().unwrap_or(rest).to_string()
}

/// True when the error is a unique-constraint violation (both drivers).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.is_unique_violation()
                || d.code().as_deref() == Some("23505")
                || d.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

/// How long a readiness check or health probe waits for the database.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
const PROBE_EVERY: Duration = Duration::from_millis(250);

/// True when the database itself is unreachable or saturated (answered with 503): the
/// connection is gone or cannot be had, or SQLite's write lock was not free in time.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    is_lost(e) || is_busy(e)
}

/// The database cannot be reached: no connection to be had, or the one in use was cut (the
/// server restarting or terminating backends, a network failure).
pub fn is_lost(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => {
            let code = d.code();
            let code = code.as_deref().unwrap_or("");
            // PostgreSQL: connection exceptions (08…), admin/crash shutdown and "cannot connect
            // now" (57P01–57P03), too many connections (53300).
            code.starts_with("08")
                || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
                || d.message().contains("terminating connection")
        }
        _ => false,
    }
}

/// SQLite's write lock was not free within the busy timeout.
fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            let code = d.code();
            matches!(code.as_deref(), Some("5" | "6" | "261" | "517"))
                || d.message().contains("database is locked")
        }
        _ => false,
    }
}
