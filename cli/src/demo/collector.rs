//! The demo's side of the wire: the uploader that counts what is stored against JSON + gzip,
//! and forged deletion requests a hostile app could send.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Pseudonyms a forged request names, each.
pub(super) const FORGED_CLAIMS: u64 = 3;

/// Sends deletion requests naming other users' pseudonyms, sealed to the collector as any app
/// could, with tokens the forger made up; how many were sent.
pub(super) fn forge_deletions(
    collector: &KeyPair,
    uploader: &Counting,
    url: &str,
    others: &[String],
) -> Result<u64, String> {
    let key =
        CollectorKey::from_public_bytes(collector.public_bytes()).map_err(|e| e.to_string())?;
    let mut sent = 0;
    for (n, names) in others
        .chunks_exact(usize::try_from(FORGED_CLAIMS).expect("a small constant"))
        .take(2)
        .enumerate()
    {
        let proofs = names
            .iter()
            .map(|name| Proof {
                install_pseudonym: name.clone(),
                token: DeletionToken::from_hex(&format!("{:064x}", n + 1)).expect("64 hex digits"),
            })
            .collect();
        let payload = DeletionPayload {
            requested_at_ms: 1,
            proofs,
        };
        let bytes = modicum_core::wire::encode_deletion(&payload).map_err(|e| e.to_string())?;
        let sealed = envelope::seal_for(Purpose::Deletion, &key, Aead::Aes128Gcm, &bytes, 3, 1)
            .map_err(|e| e.to_string())?;
        let request = UploadRequest {
            id: format!("forged-{n}"),
            url: format!("{url}{}", modicum_core::upload::DELETIONS_PATH),
            headers: vec![],
            body: sealed.bytes,
        };
        match uploader.http.upload(&request) {
            UploadOutcome::Response { status: 200, .. } => sent += 1,
            other => return Err(format!("a forged deletion request was answered {other:?}")),
        }
    }
    Ok(sent)
}

/// The real HTTP uploader, counting the bytes of every stored batch against the same events
/// as JSON + gzip (opened with the collector's key, as the server does).
pub(super) struct Counting {
    pub(super) http: HttpUploader,
    pub(super) keys: KeyRing,
    pub(super) sealed: AtomicU64,
    pub(super) json_gzip: AtomicU64,
    /// The last batch stored that names its install, as sent: what an eavesdropper could
    /// replay after the install's deletion.
    pub(super) last_stored: std::sync::Mutex<Option<UploadRequest>>,
}

impl Counting {
    pub(super) fn new(pair: KeyPair) -> Counting {
        Counting {
            http: HttpUploader::new(Duration::from_secs(10)),
            keys: KeyRing::new([pair]),
            sealed: AtomicU64::new(0),
            json_gzip: AtomicU64::new(0),
            last_stored: std::sync::Mutex::new(None),
        }
    }
}

impl Uploader for Counting {
    fn upload(&self, request: &UploadRequest) -> UploadOutcome {
        let outcome = self.http.upload(request);
        let stored = matches!(outcome, UploadOutcome::Response { status: 200, .. });
        if stored && request.url.ends_with(modicum_core::upload::BATCHES_PATH) {
            if let Ok(opened) = open_batch(&self.keys, &request.body, Limits::default()) {
                self.sealed
                    .fetch_add(request.body.len() as u64, Ordering::Relaxed);
                let rows = sample::as_json_rows(&opened.batch);
                let mut gz =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                let _ = gz.write_all(&rows);
                let size = gz.finish().map_or(0, |v| v.len() as u64);
                self.json_gzip.fetch_add(size, Ordering::Relaxed);
                // A batch that names its install: what a deletion covers (a release health
                // report names none, so no deletion reaches it).
                if opened.batch.meta.install.is_some() {
                    if let Ok(mut last) = self.last_stored.lock() {
                        *last = Some(request.clone());
                    }
                }
            }
        }
        outcome
    }
}
