//! `modicum serve`: the reference ingest service in the foreground until Ctrl-C.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use modicum_server::keys::{KeyPair, KeyRing};
use modicum_server::service::{self, ServerConfig, Stats};
use modicum_server::store::{self, Retention};

pub fn retention(events_days: u32, deletion_records_days: u32) -> Retention {
    let day = Duration::from_secs(24 * 60 * 60);
    Retention {
        events: day * events_days,
        deletion_records: day * deletion_records_days,
    }
}

pub fn run(
    addr: SocketAddr,
    db: &str,
    keys: &[PathBuf],
    retention: Retention,
) -> Result<(), String> {
    logging();
    let pairs = keys
        .iter()
        .map(|k| KeyPair::read_private(k).map_err(|e| format!("{}: {e}", k.display())))
        .collect::<Result<Vec<_>, _>>()?;
    let ids: Vec<String> = pairs.iter().map(|p| hex::encode(p.key_id().0)).collect();
    let store = store::open(db).map_err(|e| format!("{}: {e}", shown(db)))?;
    let mut config = ServerConfig::new(KeyRing::new(pairs), store);
    config.addr = addr;
    config.retention = retention;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    println!("modicum ingest on http://{addr}/v1/batches");
    println!("database {}; live key ids {}", shown(db), ids.join(", "));
    tracing::info!(%addr, db = %shown(db), keys = %ids.join(","), "serving");
    let stats = Arc::new(Stats::default());
    runtime
        .block_on(service::serve(config, Arc::clone(&stats), stop_signal()))
        .map_err(|e| format!("cannot serve on {addr}: {e}"))?;
    println!("stopped: {:?}", stats.snapshot());
    Ok(())
}

/// Ctrl-C, or SIGTERM: what a service manager or an orchestrator sends to stop a node, which
/// then finishes the requests in progress before it exits.
async fn stop_signal() {
    let interrupted = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminated) => {
                tokio::select! {
                    _ = interrupted => {}
                    _ = terminated.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupted.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupted.await;
    }
    tracing::info!("stopping: finishing the requests in progress");
}

/// A database as logs show it: a URL without its password.
fn shown(db: &str) -> String {
    match db.split_once("://").and_then(|(scheme, rest)| {
        let (credentials, host) = rest.rsplit_once('@')?;
        let user = credentials.split(':').next().unwrap_or_default();
        Some(format!("{scheme}://{user}@{host}"))
    }) {
        Some(without_password) => without_password,
        None => db.to_owned(),
    }
}

/// One line per event on stderr: text, or JSON when `MODICUM_LOG_FORMAT=json`; `RUST_LOG`
/// filters (info by default).
fn logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = if std::env::var("MODICUM_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().try_init()
    } else {
        builder.with_ansi(false).try_init()
    };
    // Already installed (a second serve in one process): the first one logs.
    let _ = installed;
}

/// Prints what an ingest database holds, as JSON.
pub fn inspect(db: &str, contains: &[String]) -> Result<(), String> {
    let store = existing(db)?;
    let found = contains
        .iter()
        .map(|needle| Ok((needle.clone(), store.contains_text(needle)?)))
        .collect::<Result<std::collections::BTreeMap<_, _>, store::StoreError>>()
        .map_err(|e| e.to_string())?;
    let summary = serde_json::json!({
        "batches": store.batch_count().map_err(|e| e.to_string())?,
        "events_by_category": store.events_by_category().map_err(|e| e.to_string())?,
        "contains": found,
    });
    println!("{summary}");
    Ok(())
}

/// `modicum report`: the release health table (or JSON lines) of an ingest database.
pub fn report(db: &str, json: bool) -> Result<(), String> {
    let store = existing(db)?;
    let (rows, unusable) =
        modicum_server::health::release_health(store.as_ref()).map_err(|e| e.to_string())?;
    if json {
        for row in &rows {
            let mut value = serde_json::to_value(row).map_err(|e| e.to_string())?;
            value["crash_free_sessions"] = serde_json::json!(row.crash_free_sessions());
            value["crash_free_installs"] = serde_json::json!(row.crash_free_installs());
            println!("{value}");
        }
        return Ok(());
    }
    if rows.is_empty() {
        println!("no release health reports stored");
    } else {
        print!("{}", modicum_server::health::table(&rows));
    }
    if unusable > 0 {
        println!("{unusable} reports could not be read (a field dropped by policy, or impossible counts)");
    }
    Ok(())
}

/// Opens a database that must exist already: a missing file is an error, not a new database.
fn existing(db: &str) -> Result<Arc<dyn store::Store>, String> {
    let is_url = db.contains("://");
    if !is_url && !Path::new(db).exists() {
        return Err(format!("{db}: no such database"));
    }
    store::open(db).map_err(|e| format!("{}: {e}", shown(db)))
}
