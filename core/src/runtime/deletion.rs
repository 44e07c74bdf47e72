//! Deletion requests: what `delete_all` leaves for the uploader, in a folder of its own that
//! no budget eviction or purge ever touches, and that is uploaded whatever the consent.
//!
//! A request goes to every region that received data from this install (see
//! [`super::regions`]), one region at a time; its file lists the regions it has still to reach
//! and is removed once the last one confirmed.
//!
//! The file also holds a proof per pseudonym (see [`crate::transform::DeletionToken`]),
//! computed before the erasure replaces the install secret that makes them: the request is
//! sealed with them at each hand-out (see [`crate::wire::encode_deletion`]). They never leave
//! the device any other way, and are gone with the file.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::storage::{remove_if_present, write_atomic, Storage};
use crate::transform::DeletionToken;
use crate::wire::Proof;

/// Asks the collector to delete everything stored under these install pseudonyms. It names
/// nothing else: no identifier, no event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionRequest {
    pub install_pseudonyms: Vec<String>,
    pub requested_at_ms: u64,
}

/// A request waiting in its file, and the regions it has still to reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Queued {
    pub path: PathBuf,
    pub request: DeletionRequest,
    /// A proof for each of `request.install_pseudonyms`; empty for a request queued before
    /// proofs were made (no collector honours it, so it is removed at its next hand-out).
    pub proofs: Vec<Proof>,
    /// `None` for a request queued before regions were recorded: it goes where batches go.
    pub regions: Option<Vec<String>>,
}

/// The file's content: the request, its proofs and the regions left.
#[derive(Serialize, Deserialize)]
struct File {
    #[serde(flatten)]
    request: DeletionRequest,
    /// Each pseudonym's token, hex.
    #[serde(default)]
    tokens: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    regions: Option<Vec<String>>,
}

pub fn dir(storage: &Path) -> PathBuf {
    storage.join("deletion")
}

/// Writes `request`, with a proof for each of its pseudonyms, for `regions` atomically.
pub(super) fn queue(
    storage: &dyn Storage,
    storage_dir: &Path,
    request: &DeletionRequest,
    proofs: &[Proof],
    regions: Vec<String>,
) -> io::Result<()> {
    let dir = dir(storage_dir);
    storage.create_dir_all(&dir)?;
    let path = dir.join(format!("request-{}.json", request.requested_at_ms));
    write(storage, &path, request, proofs, Some(regions))
}

fn write(
    storage: &dyn Storage,
    path: &Path,
    request: &DeletionRequest,
    proofs: &[Proof],
    regions: Option<Vec<String>>,
) -> io::Result<()> {
    let file = File {
        request: request.clone(),
        tokens: proofs
            .iter()
            .map(|p| p.token.to_hex_for_request())
            .collect(),
        regions,
    };
    write_atomic(
        storage,
        path,
        &serde_json::to_vec(&file).map_err(io::Error::other)?,
    )
}

/// The requests waiting to be uploaded, oldest first. Unreadable files are skipped.
pub fn pending(storage: &dyn Storage, storage_dir: &Path) -> Vec<DeletionRequest> {
    queued(storage, storage_dir)
        .into_iter()
        .map(|q| q.request)
        .collect()
}

/// [`pending`], with the file each request is in and the regions it has still to reach.
pub(super) fn queued(storage: &dyn Storage, storage_dir: &Path) -> Vec<Queued> {
    let dir = dir(storage_dir);
    let Ok(names) = storage.list(&dir) else {
        return Vec::new();
    };
    let mut requests: Vec<Queued> = names
        .into_iter()
        .filter(|name| name.ends_with(".json"))
        .filter_map(|name| {
            let path = dir.join(name);
            let file: File = serde_json::from_slice(&storage.read(&path).ok()?).ok()?;
            let proofs = proofs(&file);
            Some(Queued {
                path,
                request: file.request,
                proofs,
                regions: file.regions,
            })
        })
        .collect();
    requests.sort_by_key(|q| q.request.requested_at_ms);
    requests
}

/// The file's proofs, pseudonym by pseudonym; none unless every token reads back.
fn proofs(file: &File) -> Vec<Proof> {
    let pseudonyms = &file.request.install_pseudonyms;
    if file.tokens.len() != pseudonyms.len() {
        return Vec::new();
    }
    pseudonyms
        .iter()
        .zip(&file.tokens)
        .map(|(pseudonym, token)| {
            Some(Proof {
                install_pseudonym: pseudonym.clone(),
                token: DeletionToken::from_hex(token)?,
            })
        })
        .collect::<Option<_>>()
        .unwrap_or_default()
}

/// Records that `region` confirmed `queued`: the file is rewritten without it, or removed
/// once no region is left (or it never listed any).
pub(super) fn delivered(storage: &dyn Storage, queued: &Queued, region: &str) -> io::Result<()> {
    let left: Vec<String> = queued
        .regions
        .iter()
        .flatten()
        .filter(|r| *r != region)
        .cloned()
        .collect();
    if left.is_empty() {
        return discard(storage, queued);
    }
    write(
        storage,
        &queued.path,
        &queued.request,
        &queued.proofs,
        Some(left),
    )
}

/// Removes `queued` whatever regions it had left: a request that can never be honoured.
pub(super) fn discard(storage: &dyn Storage, queued: &Queued) -> io::Result<()> {
    remove_if_present(storage, &queued.path)?;
    queued.path.parent().map_or(Ok(()), |d| storage.sync_dir(d))
}
