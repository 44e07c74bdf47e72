//! The store for several nodes: one PostgreSQL database that any number of `modicum serve`
//! processes share behind a load balancer.
//!
//! What makes sharing safe: the batch id is the primary key and `INSERT … ON CONFLICT DO
//! NOTHING` decides new against duplicate inside the database, so a retry that lands on
//! another node still gets 409; a batch and its events commit in one transaction, so a node
//! killed mid-insert leaves nothing; an insert and a deletion of the same install take the
//! same advisory lock, so a batch cannot slip in between a deletion and its tombstone.
//! Events are range-partitioned by the day they were received, so retention drops whole
//! partitions instead of deleting rows.
//!
//! The [`Store`] trait is synchronous (the service calls it on tokio's blocking pool); this
//! store runs the async client on a small runtime of its own and blocks on it.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime as PoolRuntime};
use tokio_postgres::types::{Json, ToSql};
use tokio_postgres::{GenericClient, NoTls, Row};

use super::{basis_name, int, Deletion, Inserted, Retention, Store, StoreError, Swept};
use crate::open::Opened;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Connections per node: the service runs at most `max_in_flight` requests at once anyway.
const POOL_SIZE: usize = 16;
/// How long a request waits for a connection, or for one to be made, before it fails (500).
const POOL_WAIT: Duration = Duration::from_secs(5);

/// Keys of the advisory locks this store takes: one for migrations and partition creation,
/// and, per install, `hashtextextended(install, INSTALL_LOCK_SEED)`.
const SCHEMA_LOCK: i64 = 0x6d6f_6469_6375_6d00;

/// The events table's partitions, by name.
const PARTITIONS: &str = "SELECT c.relname::text FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_class p ON p.oid = i.inhparent
    WHERE p.relname = 'events' ORDER BY c.relname";
const INSTALL_LOCK_SEED: i64 = 0x6d6f_6469_6375_6d01;
const LOCK_INSTALL: &str = "SELECT pg_advisory_xact_lock(hashtextextended($1, $2))";

/// A batch and its events in one statement: the batch unless its id is stored or its install
/// tombstoned, its events only if the batch went in, in the order sent; then whether the
/// batch went in, and whether its install is tombstoned.
const INSERT_BATCH: &str = "
WITH batch AS (
    INSERT INTO batches
    SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::bigint, $7::bigint,
           $8::integer, $9::jsonb
    WHERE $4::text IS NULL OR NOT EXISTS (SELECT 1 FROM tombstones WHERE install = $4::text)
    ON CONFLICT (batch_id) DO NOTHING
    RETURNING batch_id
), events AS (
    INSERT INTO events
        (batch_id, install, name, category, basis, recorded_at_ms, received_at_ms, properties)
    SELECT b.batch_id, $4::text, e.n, e.c, e.k, e.r, $7::bigint, e.p
    FROM batch b,
         unnest($10::text[], $11::text[], $12::text[], $13::bigint[], $14::jsonb[])
             WITH ORDINALITY AS e(n, c, k, r, p, i)
    ORDER BY e.i
    RETURNING 1
)
SELECT (SELECT count(*) FROM batch),
       $4::text IS NOT NULL AND EXISTS (SELECT 1 FROM tombstones WHERE install = $4::text),
       (SELECT count(*) FROM events)";

/// The schema, one version per entry, applied in order at start and recorded in
/// `schema_migrations`. Append; never edit an applied one.
const MIGRATIONS: &[(i32, &str)] = &[(
    1,
    "CREATE TABLE batches (
        batch_id text PRIMARY KEY,
        key_id text NOT NULL,
        app_id text NOT NULL,
        install text,
        sdk_version text NOT NULL,
        created_at_ms bigint NOT NULL,
        received_at_ms bigint NOT NULL,
        event_count integer NOT NULL,
        device jsonb NOT NULL
    );
    CREATE INDEX batches_install ON batches (install);
    CREATE INDEX batches_received ON batches (received_at_ms);
    CREATE TABLE events (
        id bigserial,
        batch_id text NOT NULL,
        install text,
        name text NOT NULL,
        category text NOT NULL,
        basis text NOT NULL,
        recorded_at_ms bigint NOT NULL,
        received_at_ms bigint NOT NULL,
        properties jsonb NOT NULL
    ) PARTITION BY RANGE (received_at_ms);
    CREATE INDEX events_install ON events (install);
    CREATE INDEX events_batch ON events (batch_id);
    CREATE TABLE deletion_requests (
        id bigserial PRIMARY KEY,
        install_pseudonyms jsonb NOT NULL,
        requested_at_ms bigint NOT NULL,
        received_at_ms bigint NOT NULL,
        rows_deleted bigint NOT NULL
    );
    CREATE INDEX deletion_requests_received ON deletion_requests (received_at_ms);
    CREATE TABLE tombstones (
        install text PRIMARY KEY,
        deleted_at_ms bigint NOT NULL
    );",
)];

pub struct PgStore {
    /// Runs the client's connections; `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
    pool: Pool,
    /// Days whose events partition this node knows exists.
    partitions: Mutex<HashSet<i64>>,
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> StoreError {
        // The server's message (a constraint, a missing table) is in the source.
        match e.as_db_error() {
            Some(db) => StoreError(format!("postgres: {}", db.message())),
            None => StoreError(format!("postgres: {e}")),
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> StoreError {
        StoreError(format!("postgres pool: {e}"))
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`), applies the migrations this
    /// database lacks, and makes today's partition. Fails if the database cannot be reached.
    pub fn connect(url: &str) -> Result<PgStore, StoreError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError(format!("invalid postgres URL: {e}")))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("modicum-postgres")
            .enable_all()
            .build()
            .map_err(StoreError::new)?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(POOL_WAIT))
            .runtime(PoolRuntime::Tokio1)
            .build()
            .map_err(StoreError::new)?;
        let store = PgStore {
            runtime: Some(runtime),
            pool,
            partitions: Mutex::new(HashSet::new()),
        };
        store.block_on(store.migrate())?;
        Ok(store)
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<i32, StoreError> {
        let rows = self.rows("SELECT max(version) FROM schema_migrations")?;
        Ok(rows
            .first()
            .and_then(|r| r.get::<_, Option<i32>>(0))
            .unwrap_or(0))
    }

    /// The names of the events table's partitions, oldest first.
    pub fn partitions(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.rows(PARTITIONS)?.iter().map(|r| r.get(0)).collect())
    }

    /// The rows `sql` (which takes no parameters) selects.
    fn rows(&self, sql: &str) -> Result<Vec<Row>, StoreError> {
        self.block_on(async { Ok(self.pool.get().await?.query(sql, &[]).await?) })
    }

    /// The single count `sql` selects.
    fn count_rows(&self, sql: &str) -> Result<u64, StoreError> {
        Ok(self.rows(sql)?.first().map_or(0, |row| count(row.get(0))))
    }

    fn block_on<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        match &self.runtime {
            Some(runtime) => runtime.block_on(work),
            None => Err(StoreError::new("the store is closed")),
        }
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // Two nodes starting at once: the second waits here, then finds nothing to apply.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            )",
        )
        .await?;
        let applied: Option<i32> = tx
            .query_one("SELECT max(version) FROM schema_migrations", &[])
            .await?
            .get(0);
        for (version, sql) in MIGRATIONS {
            if applied.is_some_and(|applied| applied >= *version) {
                continue;
            }
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)",
                &[version],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Makes sure the partition for the day holding `at_ms` exists.
    async fn ensure_partition(
        &self,
        client: &impl GenericClient,
        at_ms: i64,
    ) -> Result<(), StoreError> {
        let day = at_ms.div_euclid(DAY_MS);
        if self
            .partitions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&day)
        {
            return Ok(());
        }
        // Under the schema lock, so two nodes making the same day's partition do not collide
        // (CREATE … IF NOT EXISTS alone races on the catalog). Two statements in one simple
        // query are one implicit transaction, which holds the lock and is rolled back whole if
        // either fails: no explicit BEGIN that a failure could leave open on a pooled
        // connection.
        let from = day * DAY_MS;
        let to = from + DAY_MS;
        client
            .batch_execute(&format!(
                "SELECT pg_advisory_xact_lock({SCHEMA_LOCK});
                 CREATE TABLE IF NOT EXISTS events_d{day} PARTITION OF events
                   FOR VALUES FROM ({from}) TO ({to});"
            ))
            .await?;
        self.partitions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(day);
        Ok(())
    }

    async fn insert_batch(
        &self,
        opened: &Opened,
        received_at_ms: u64,
    ) -> Result<Inserted, StoreError> {
        let received = int(received_at_ms);
        let client = self.pool.get().await?;
        self.ensure_partition(&**client, received).await?;
        let meta = &opened.batch.meta;
        let device = Json(serde_json::to_value(&meta.device).map_err(StoreError::new)?);
        let count = i32::try_from(opened.batch.events.len()).unwrap_or(i32::MAX);
        let mut names = Vec::with_capacity(opened.batch.events.len());
        let mut categories = Vec::with_capacity(names.capacity());
        let mut bases = Vec::with_capacity(names.capacity());
        let mut recorded = Vec::with_capacity(names.capacity());
        let mut properties = Vec::with_capacity(names.capacity());
        for event in &opened.batch.events {
            names.push(&*event.name);
            categories.push(event.category.name());
            bases.push(basis_name(event.basis));
            recorded.push(int(event.recorded_at_ms));
            properties.push(Json(
                serde_json::to_value(&event.properties).map_err(StoreError::new)?,
            ));
        }
        // Prepared once per connection (a prepare is a round trip of its own).
        let insert = client.prepare_cached(INSERT_BATCH).await?;
        let lock = client.prepare_cached(LOCK_INSTALL).await?;
        let created = int(meta.created_at_ms);
        let params: [&(dyn ToSql + Sync); 14] = [
            &opened.batch_id,
            &opened.key_id,
            &meta.app_id,
            &meta.install,
            &meta.sdk_version,
            &created,
            &received,
            &count,
            &device,
            &names,
            &categories,
            &bases,
            &recorded,
            &properties,
        ];
        // One round trip: BEGIN, the install's lock, the insert and COMMIT go out back to back
        // (tokio-postgres pipelines requests issued together, in order), and the server runs
        // them in order. The lock is its own statement so the insert's snapshot, taken after
        // it, sees a deletion that committed while this waited for the lock.
        let locked = async {
            match &meta.install {
                Some(install) => client
                    .execute(&lock, &[install, &INSTALL_LOCK_SEED])
                    .await
                    .map(|_| ()),
                None => Ok(()),
            }
        };
        let done = tokio::try_join!(
            client.batch_execute("BEGIN"),
            locked,
            client.query_one(&insert, &params),
            client.batch_execute("COMMIT"),
        );
        match done {
            Ok((_, _, row, _)) => {
                let (stored, deleted): (i64, bool) = (row.get(0), row.get(1));
                Ok(if stored == 1 {
                    Inserted::New
                } else if deleted {
                    Inserted::Deleted
                } else {
                    Inserted::Duplicate
                })
            }
            Err(e) => {
                // The server rolled the transaction back (a failed statement aborts it, and its
                // COMMIT becomes a ROLLBACK); the connection is not reused all the same.
                drop(deadpool_postgres::Object::take(client));
                Err(e.into())
            }
        }
    }

    async fn delete(
        &self,
        installs: &[String],
        requested_at_ms: u64,
        received_at_ms: u64,
    ) -> Result<Deletion, StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let mut deletion = Deletion::default();
        for install in installs {
            tx.execute(LOCK_INSTALL, &[install, &INSTALL_LOCK_SEED])
                .await?;
            let rows = tx
                .execute("DELETE FROM events WHERE install = $1", &[install])
                .await?
                + tx.execute("DELETE FROM batches WHERE install = $1", &[install])
                    .await?;
            if rows == 0 {
                continue;
            }
            // Only installs that had data, as in SQLite: proofs cost nothing to make.
            tx.execute(
                "INSERT INTO tombstones VALUES ($1, $2) ON CONFLICT (install) DO NOTHING",
                &[install, &int(received_at_ms)],
            )
            .await?;
            deletion.rows_deleted += rows;
            deletion.installs_deleted.push(install.clone());
        }
        if !deletion.installs_deleted.is_empty() {
            let installs =
                serde_json::to_value(&deletion.installs_deleted).map_err(StoreError::new)?;
            tx.execute(
                "INSERT INTO deletion_requests
                   (install_pseudonyms, requested_at_ms, received_at_ms, rows_deleted)
                 VALUES ($1, $2, $3, $4)",
                &[
                    &Json(installs),
                    &int(requested_at_ms),
                    &int(received_at_ms),
                    &int(deletion.rows_deleted),
                ],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(deletion)
    }

    async fn sweep_async(&self, now_ms: u64, retention: &Retention) -> Result<Swept, StoreError> {
        let mut swept = Swept::default();
        // Whole days only: a partition goes once every event in it is past retention, so an
        // event is kept for the retention period and deleted within a day after.
        let cutoff = int(retention.events_cutoff_ms(now_ms));
        let cutoff_day = cutoff.div_euclid(DAY_MS);
        let client = self.pool.get().await?;
        let partitions = client.query(PARTITIONS, &[]).await?;
        for row in partitions {
            let name: String = row.get(0);
            let Some(day) = name
                .strip_prefix("events_d")
                .and_then(|d| d.parse::<i64>().ok())
            else {
                continue;
            };
            if day >= cutoff_day {
                continue;
            }
            let events: i64 = client
                .query_one(&format!("SELECT count(*) FROM {name}"), &[])
                .await?
                .get(0);
            client
                .batch_execute(&format!("DROP TABLE IF EXISTS {name}"))
                .await?;
            self.partitions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&day);
            swept.events += count(events);
            swept.partitions += 1;
        }
        // The batches those events came in; deleted in chunks so no lock is held for long.
        loop {
            let deleted = client
                .execute(
                    "DELETE FROM batches WHERE batch_id IN (
                       SELECT batch_id FROM batches WHERE received_at_ms < $1 LIMIT 1000)",
                    &[&(cutoff_day * DAY_MS)],
                )
                .await?;
            swept.batches += deleted;
            if deleted == 0 {
                break;
            }
        }
        let records = int(retention.deletion_records_cutoff_ms(now_ms));
        swept.deletion_records = client
            .execute(
                "DELETE FROM deletion_requests WHERE received_at_ms < $1",
                &[&records],
            )
            .await?;
        swept.tombstones = client
            .execute(
                "DELETE FROM tombstones WHERE deleted_at_ms < $1",
                &[&records],
            )
            .await?;
        Ok(swept)
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Dropped where blocking may not be allowed (a server's runtime shutting down).
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Store for PgStore {
    fn insert(&self, opened: &Opened, received_at_ms: u64) -> Result<Inserted, StoreError> {
        self.block_on(self.insert_batch(opened, received_at_ms))
    }

    fn contains_batch(&self, batch_id: &str) -> Result<bool, StoreError> {
        self.block_on(async {
            let client = self.pool.get().await?;
            Ok(client
                .query_opt("SELECT 1 FROM batches WHERE batch_id = $1", &[&batch_id])
                .await?
                .is_some())
        })
    }

    fn delete_installs(
        &self,
        installs: &[String],
        requested_at_ms: u64,
        received_at_ms: u64,
    ) -> Result<Deletion, StoreError> {
        self.block_on(self.delete(installs, requested_at_ms, received_at_ms))
    }

    fn events_by_category(&self) -> Result<BTreeMap<String, u64>, StoreError> {
        let rows = self.rows("SELECT category, count(*) FROM events GROUP BY category")?;
        Ok(rows
            .iter()
            .map(|r| (r.get::<_, String>(0), count(r.get(1))))
            .collect())
    }

    fn health_reports(&self) -> Result<Vec<serde_json::Value>, StoreError> {
        let rows = self.rows(&format!(
            "SELECT properties FROM events \
             WHERE name = '{}' AND category = 'diagnostics'",
            crate::health::HEALTH_EVENT
        ))?;
        Ok(rows
            .iter()
            .map(|r| r.get::<_, Json<serde_json::Value>>(0).0)
            .collect())
    }

    fn batch_count(&self) -> Result<u64, StoreError> {
        self.count_rows("SELECT count(*) FROM batches")
    }

    fn contains_text(&self, needle: &str) -> Result<bool, StoreError> {
        // strpos, not LIKE: the needle is matched literally. jsonb_each_text reads property
        // and device values unescaped, as the device sent them.
        self.block_on(async {
            let client = self.pool.get().await?;
            let row = client
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM events
                       WHERE strpos(name, $1) > 0 OR strpos(coalesce(install, ''), $1) > 0)
                     OR EXISTS (SELECT 1 FROM events, jsonb_each_text(events.properties) p
                       WHERE strpos(p.key, $1) > 0 OR strpos(coalesce(p.value, ''), $1) > 0)
                     OR EXISTS (SELECT 1 FROM batches
                       WHERE strpos(app_id, $1) > 0 OR strpos(sdk_version, $1) > 0
                          OR strpos(coalesce(install, ''), $1) > 0)
                     OR EXISTS (SELECT 1 FROM batches, jsonb_each_text(batches.device) d
                       WHERE strpos(d.key, $1) > 0 OR strpos(coalesce(d.value, ''), $1) > 0)",
                    &[&needle],
                )
                .await?;
            Ok(row.get(0))
        })
    }

    fn events(&self) -> Result<Vec<serde_json::Value>, StoreError> {
        let rows = self.rows(
            "SELECT batch_id, install, name, category, basis, recorded_at_ms, properties
             FROM events ORDER BY id",
        )?;
        Ok(rows
            .iter()
            .map(|row| {
                serde_json::json!({
                    "batch_id": row.get::<_, String>(0),
                    "install": row.get::<_, Option<String>>(1),
                    "name": row.get::<_, String>(2),
                    "category": row.get::<_, String>(3),
                    "basis": row.get::<_, String>(4),
                    "recorded_at_ms": row.get::<_, i64>(5),
                    "properties": row.get::<_, Json<serde_json::Value>>(6).0,
                })
            })
            .collect())
    }

    fn tombstone_count(&self) -> Result<u64, StoreError> {
        self.count_rows("SELECT count(*) FROM tombstones")
    }

    fn deletion_log(&self) -> Result<Vec<serde_json::Value>, StoreError> {
        let rows = self.rows(
            "SELECT install_pseudonyms, requested_at_ms, received_at_ms, rows_deleted
             FROM deletion_requests ORDER BY id",
        )?;
        Ok(rows
            .iter()
            .map(|row| {
                serde_json::json!({
                    "install_pseudonyms": row.get::<_, Json<serde_json::Value>>(0).0,
                    "requested_at_ms": row.get::<_, i64>(1),
                    "received_at_ms": row.get::<_, i64>(2),
                    "rows_deleted": row.get::<_, i64>(3),
                })
            })
            .collect())
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.rows("SELECT 1").map(drop)
    }

    fn sweep(&self, now_ms: u64, retention: &Retention) -> Result<Swept, StoreError> {
        self.block_on(self.sweep_async(now_ms, retention))
    }
}
