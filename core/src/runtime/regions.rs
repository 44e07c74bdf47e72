//! The regions whose collectors may hold data from this install, so a deletion request can
//! reach each of them whatever the consent and route say by then.
//!
//! A region is noted durably before the first batch is handed out for it (the collector may
//! store a batch whose answer is lost), and the list starts over once `delete_all` has queued
//! a request for every region on it. It names regions only: nothing that identifies anyone.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::storage::{read_if_present, write_atomic, Storage};

pub const REGIONS_FILE: &str = "regions.json";

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    reached: BTreeSet<String>,
}

#[derive(Debug)]
pub(super) struct Reached {
    path: PathBuf,
    regions: BTreeSet<String>,
}

impl Reached {
    /// Reads the list. Without one, an install that uploaded before regions were recorded
    /// (`uploaded_before`) may have reached any configured region (`configured`), so all of
    /// them are assumed; a damaged list is read the same way: a deletion request too many
    /// costs a request, one too few leaves data behind.
    pub(super) fn load(
        storage: &dyn Storage,
        storage_dir: &Path,
        uploaded_before: bool,
        configured: impl Iterator<Item = String>,
    ) -> io::Result<Reached> {
        let path = storage_dir.join(REGIONS_FILE);
        let loaded = read_if_present(storage, &path)?
            .map(|bytes| serde_json::from_slice::<File>(&bytes).map(|f| f.reached));
        let mut reached = Reached {
            path,
            regions: BTreeSet::new(),
        };
        match loaded {
            Some(Ok(regions)) => reached.regions = regions,
            None if !uploaded_before => {}
            None | Some(Err(_)) => {
                reached.regions = configured.collect();
                reached.save(storage)?;
            }
        }
        Ok(reached)
    }

    /// Notes that `region` is about to receive data; durable before it returns.
    pub(super) fn note(&mut self, storage: &dyn Storage, region: &str) -> io::Result<()> {
        if self.regions.contains(region) {
            return Ok(());
        }
        self.regions.insert(region.to_owned());
        let saved = self.save(storage);
        if saved.is_err() {
            // Not durable, so not noted: the batch is not handed out, and the next try writes again.
            self.regions.remove(region);
        }
        saved
    }

    pub(super) fn regions(&self) -> Vec<String> {
        self.regions.iter().cloned().collect()
    }

    /// Starts over, once a deletion request covers every region noted so far.
    pub(super) fn clear(&mut self, storage: &dyn Storage) -> io::Result<()> {
        self.regions.clear();
        self.save(storage)
    }

    fn save(&self, storage: &dyn Storage) -> io::Result<()> {
        let file = File {
            reached: self.regions.clone(),
        };
        write_atomic(
            storage,
            &self.path,
            &serde_json::to_vec(&file).map_err(io::Error::other)?,
        )
    }
}
