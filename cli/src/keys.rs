//! `modicum keygen` and `modicum decode`.

use std::path::Path;

use modicum_core::wire::Limits;
use modicum_server::keys::{KeyPair, KeyRing};
use modicum_server::open::open_batch;

/// Writes `collector.key` (private, 0600) and `collector.pub` into `dir`.
pub fn keygen(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let pair = KeyPair::generate().map_err(|e| e.to_string())?;
    let (private, public) = (dir.join("collector.key"), dir.join("collector.pub"));
    pair.write_files(&private, &public)
        .map_err(|e| format!("cannot write {}: {e}", private.display()))?;
    println!(
        "private key  {} (keep it on the collector only)",
        private.display()
    );
    println!("public key   {} (configure apps with it)", public.display());
    println!("key id       {}", hex::encode(pair.key_id().0));
    Ok(())
}

/// Opens a sealed batch file with a private key and prints it as JSON.
pub fn decode(key: &Path, batch: &Path) -> Result<(), String> {
    let pair = KeyPair::read_private(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let bytes = std::fs::read(batch).map_err(|e| format!("{}: {e}", batch.display()))?;
    let opened = open_batch(&KeyRing::new([pair]), &bytes, Limits::default())
        .map_err(|e| format!("{}: {e}", batch.display()))?;
    let json = serde_json::json!({
        "batch_id": opened.batch_id,
        "key_id": opened.key_id,
        "meta": opened.batch.meta,
        "events": opened.batch.events,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?
    );
    Ok(())
}
