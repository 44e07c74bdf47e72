//! Deletion requests: what `delete_all` leaves for the uploader, in a folder of its own that
//! no budget eviction or purge ever touches, and that is uploaded whatever the consent.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::secret_store::sync_dir;

/// Asks the collector to delete everything stored under these install pseudonyms. It names
/// nothing else: no identifier, no event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionRequest {
    pub install_pseudonyms: Vec<String>,
    pub requested_at_ms: u64,
}

pub fn dir(storage: &Path) -> PathBuf {
    storage.join("deletion")
}

/// Writes `request` atomically (temporary file, sync, rename).
pub fn queue(storage: &Path, request: &DeletionRequest) -> io::Result<PathBuf> {
    let dir = dir(storage);
    fs::create_dir_all(&dir)?;
    let path = dir.join(format!("request-{}.json", request.requested_at_ms));
    let tmp = path.with_extension("tmp");
    let mut file = fs::File::create(&tmp)?;
    file.write_all(&serde_json::to_vec(request).map_err(io::Error::other)?)?;
    file.sync_all()?;
    fs::rename(&tmp, &path)?;
    sync_dir(&dir)?;
    Ok(path)
}

/// The requests waiting to be uploaded, oldest first. Unreadable files are skipped.
pub fn pending(storage: &Path) -> Vec<DeletionRequest> {
    pending_files(storage).into_iter().map(|(_, r)| r).collect()
}

/// [`pending`], with the file each request is in.
pub fn pending_files(storage: &Path) -> Vec<(PathBuf, DeletionRequest)> {
    let Ok(entries) = fs::read_dir(dir(storage)) else {
        return Vec::new();
    };
    let mut requests: Vec<(PathBuf, DeletionRequest)> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|p| Some((p.clone(), serde_json::from_slice(&fs::read(&p).ok()?).ok()?)))
        .collect();
    requests.sort_by_key(|(_, r)| r.requested_at_ms);
    requests
}

/// Removes an uploaded request.
pub fn remove(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => path.parent().map_or(Ok(()), sync_dir),
    }
}
