//! `modicum serve`: the reference ingest service in the foreground until Ctrl-C.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use modicum_server::keys::{KeyPair, KeyRing};
use modicum_server::service::{self, ServerConfig, Stats};
use modicum_server::store::{SqliteStore, Store};

pub fn run(addr: SocketAddr, db: &Path, keys: &[PathBuf]) -> Result<(), String> {
    let pairs = keys
        .iter()
        .map(|k| KeyPair::read_private(k).map_err(|e| format!("{}: {e}", k.display())))
        .collect::<Result<Vec<_>, _>>()?;
    let ids: Vec<String> = pairs.iter().map(|p| hex::encode(p.key_id().0)).collect();
    let store = SqliteStore::open(db).map_err(|e| format!("{}: {e}", db.display()))?;
    let mut config = ServerConfig::new(KeyRing::new(pairs), Arc::new(store));
    config.addr = addr;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    println!("modicum ingest on http://{addr}/v1/batches");
    println!("database {}; live key ids {}", db.display(), ids.join(", "));
    let stats = Arc::new(Stats::default());
    runtime
        .block_on(service::serve(config, Arc::clone(&stats), async {
            let _ = tokio::signal::ctrl_c().await;
        }))
        .map_err(|e| format!("cannot serve on {addr}: {e}"))?;
    println!("stopped: {:?}", stats.snapshot());
    Ok(())
}

/// Prints what an ingest database holds, as JSON.
pub fn inspect(db: &Path, contains: &[String]) -> Result<(), String> {
    if !db.exists() {
        return Err(format!("{}: no such database", db.display()));
    }
    let store = SqliteStore::open(db).map_err(|e| format!("{}: {e}", db.display()))?;
    let found = contains
        .iter()
        .map(|needle| Ok((needle.clone(), store.contains_text(needle)?)))
        .collect::<Result<std::collections::BTreeMap<_, _>, modicum_server::store::StoreError>>()
        .map_err(|e| e.to_string())?;
    let summary = serde_json::json!({
        "batches": store.batch_count().map_err(|e| e.to_string())?,
        "events_by_category": store.events_by_category().map_err(|e| e.to_string())?,
        "contains": found,
    });
    println!("{summary}");
    Ok(())
}
