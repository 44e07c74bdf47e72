//! The worker's side of uploading: hands out one request at a time from the outbox (and the
//! deletion requests), applies the upload rules to each outcome, and keeps the backoff state.
//! Batches leave the outbox only when the collector confirmed them (or refused them for good),
//! so a lost response means a retry, which the collector deduplicates by batch id.

use std::io;
use std::time::{Duration, Instant, SystemTime};

use ring::rand::{SecureRandom, SystemRandom};

use super::deletion::{self, Queued};
use super::ledger::Entry;
use super::regions::Reached;
use super::Runtime;
use crate::consent::Category;
use crate::envelope::{self, Aead, CollectorKey, Header, Purpose};
use crate::outbox::{OpeningKeys, Outbox, OutboxEntry, Sealed};
use crate::upload::{
    Backoff, Hold, NextUpload, Route, UploadOutcome, UploadRequest, Verdict, WaitReason,
    BATCHES_PATH, DELETIONS_PATH,
};
use crate::wire::{self, encode_deletion, Batch, DeletionPayload, Limits};

/// What an outcome did, for the push helper's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Delivery {
    pub delivered_batches: u32,
    pub delivered_events: u64,
    pub split: bool,
    pub dropped_events: u64,
}

#[derive(Default)]
pub(super) struct Uploads {
    in_flight: Option<InFlight>,
    failures: u32,
    not_before: Option<(Instant, WaitReason)>,
}

struct InFlight {
    id: String,
    target: Target,
    since: Instant,
}

enum Target {
    Batch(OutboxEntry),
    /// A deletion request, on its way to one of its regions.
    Deletion(Queued, String),
}

impl Uploads {
    /// The next request to send, or why there is none.
    pub(super) fn next(
        &mut self,
        shared: &Runtime,
        outbox: &Outbox,
        reached: &mut Reached,
        conditions: crate::upload::Conditions,
    ) -> io::Result<NextUpload> {
        let now = Instant::now();
        let config = &shared.config.upload;
        if let Some(flight) = &self.in_flight {
            if now.duration_since(flight.since) < config.request_timeout {
                return Ok(wait(WaitReason::InFlight, None));
            }
            // Never answered: as if the network had failed.
            self.in_flight = None;
            self.failed(shared, None);
        }
        if let Some((at, reason)) = self.not_before {
            if at > now {
                return Ok(wait(reason, Some(at - now)));
            }
            self.not_before = None;
        }
        let storage = shared.storage.as_ref();
        let deletions = deletion::queued(storage, &shared.config.storage_dir);
        // Defensive: the worker reconciled just before, but a batch it failed to remove must
        // still not go.
        let admission = shared.consent.admission();
        let batches: Vec<OutboxEntry> = outbox
            .list()
            .into_iter()
            .filter(|e| {
                let admits = |c| admission.admits(c, e.created_ms);
                admits(e.category) && e.grants.iter().all(|&g| admits(g))
            })
            .collect();
        if deletions.is_empty() && batches.is_empty() {
            return Ok(NextUpload::Idle);
        }
        if !conditions.connected {
            return Ok(wait(WaitReason::NoNetwork, None));
        }
        // Deletion requests go first, to every region that received data, whatever the
        // consent, route, battery or network cost.
        for queued in deletions {
            if queued.proofs.is_empty() {
                // Queued before requests carried proofs: no collector honours it now, and the
                // secret that would prove it is gone.
                deletion::discard(storage, &queued)?;
                continue;
            }
            let (Some(endpoint), Some(key)) =
                (deletion_endpoint(config, &queued), &shared.config.collector)
            else {
                continue;
            };
            let id = format!(
                "deletion-{}-{}",
                queued.request.requested_at_ms, endpoint.region
            );
            let body = sealed_request(key, &queued)?;
            let url = format!("{}{DELETIONS_PATH}", endpoint.url.trim_end_matches('/'));
            let region = endpoint.region.clone();
            return Ok(self.hand_out(
                id,
                Target::Deletion(queued, region),
                url,
                "application/octet-stream",
                body,
            ));
        }
        if batches.is_empty() {
            return Ok(wait(WaitReason::NoEndpoint, None));
        }
        let cross_border = shared.permits().permit(Category::CrossBorder).is_some();
        let endpoint = match config.route(cross_border) {
            Route::To(endpoint) => endpoint,
            Route::NeedsCrossBorder => return Ok(wait(WaitReason::CrossBorderConsent, None)),
            Route::NoEndpoint => return Ok(wait(WaitReason::NoEndpoint, None)),
        };
        let base = endpoint.url.trim_end_matches('/');
        let mut held = None;
        for entry in batches {
            if let Some(hold) = conditions.hold(config, entry.category) {
                held.get_or_insert(hold);
                continue;
            }
            let body = outbox.read(&entry)?;
            // Durably noted before the batch can reach the region: a later deletion request
            // must go there too, even if this answer is lost.
            reached.note(storage, &endpoint.region)?;
            return Ok(self.hand_out(
                entry.id.clone(),
                Target::Batch(entry),
                format!("{base}{BATCHES_PATH}"),
                "application/octet-stream",
                body,
            ));
        }
        Ok(match held {
            Some(Hold::LowBattery) => wait(WaitReason::LowBattery, None),
            Some(Hold::Unmetered) | None => wait(WaitReason::Unmetered, None),
        })
    }

    fn hand_out(
        &mut self,
        id: String,
        target: Target,
        url: String,
        content_type: &str,
        body: Vec<u8>,
    ) -> NextUpload {
        let mut headers = vec![("Content-Type".to_owned(), content_type.to_owned())];
        if let Target::Batch(_) = target {
            headers.push(("X-Modicum-Batch-Id".to_owned(), id.clone()));
        }
        self.in_flight = Some(InFlight {
            id: id.clone(),
            target,
            since: Instant::now(),
        });
        NextUpload::Send(UploadRequest {
            id,
            url,
            headers,
            body,
        })
    }

    /// Applies the outcome of request `id`. An id that is not the one in flight (answered
    /// twice, or after a restart) changes nothing.
    pub(super) fn finish(
        &mut self,
        shared: &Runtime,
        openings: &mut OpeningKeys,
        outbox: &mut Outbox,
        id: &str,
        outcome: &UploadOutcome,
    ) -> io::Result<Delivery> {
        if self.in_flight.as_ref().is_none_or(|f| f.id != id) {
            return Ok(Delivery::default());
        }
        let Some(flight) = self.in_flight.take() else {
            return Ok(Delivery::default());
        };
        let mut delivery = Delivery::default();
        match outcome.verdict(SystemTime::now()) {
            Verdict::Delivered => {
                self.failures = 0;
                match flight.target {
                    Target::Batch(entry) => {
                        outbox.remove(&entry)?;
                        shared
                            .ledger
                            .add(entry.category, Entry::Uploaded, u64::from(entry.events));
                        delivery.delivered_batches = 1;
                        delivery.delivered_events = u64::from(entry.events);
                    }
                    Target::Deletion(queued, region) => {
                        deletion::delivered(shared.storage.as_ref(), &queued, &region)?
                    }
                }
            }
            Verdict::Split => match flight.target {
                Target::Batch(entry) => {
                    self.failures = 0;
                    if entry.events <= 1 || !split(shared, openings, outbox, &entry)? {
                        delivery.dropped_events =
                            drop_batch(shared, outbox, &entry, Entry::DroppedTooLarge)?;
                    } else {
                        delivery.split = true;
                    }
                }
                // A deletion request names a few pseudonyms; if it is too large the collector
                // is misconfigured, and the request waits for it to be fixed.
                Target::Deletion(..) => self.failed(shared, None),
            },
            Verdict::Rejected => match flight.target {
                Target::Batch(entry) => {
                    delivery.dropped_events =
                        drop_batch(shared, outbox, &entry, Entry::RejectedByCollector)?;
                }
                // The user asked for deletion: never dropped on a refusal, retried later.
                Target::Deletion(..) => self.failed(shared, None),
            },
            Verdict::RetryAfter(pause) => self.failed(shared, Some(pause)),
            Verdict::Retry => self.failed(shared, None),
        }
        Ok(delivery)
    }

    /// Backs off after a failure, or pauses as long as the collector asked.
    fn failed(&mut self, shared: &Runtime, pause: Option<Duration>) {
        self.failures = self.failures.saturating_add(1);
        let (delay, reason) = match pause {
            Some(pause) => (pause, WaitReason::RetryAfter),
            None => {
                let config = &shared.config.upload;
                let backoff = Backoff {
                    base: config.backoff_base,
                    cap: config.backoff_cap,
                };
                (
                    backoff.delay(self.failures, random_u64()),
                    WaitReason::Backoff,
                )
            }
        };
        self.not_before = Some((Instant::now() + delay, reason));
    }
}

/// Removes a batch that will never be delivered, counting its events under `why`.
fn drop_batch(
    shared: &Runtime,
    outbox: &mut Outbox,
    entry: &OutboxEntry,
    why: Entry,
) -> io::Result<u64> {
    outbox.remove(entry)?;
    shared
        .ledger
        .add(entry.category, why, u64::from(entry.events));
    Ok(u64::from(entry.events))
}

/// `queued` as the collector reads it: its payload sealed to `key` as a deletion request,
/// afresh at each hand-out (a new envelope id each time; the collector's deletion is
/// idempotent).
fn sealed_request(key: &CollectorKey, queued: &Queued) -> io::Result<Vec<u8>> {
    let payload = DeletionPayload {
        requested_at_ms: queued.request.requested_at_ms,
        proofs: queued.proofs.clone(),
    };
    let bytes = encode_deletion(&payload).map_err(io::Error::other)?;
    let count = u32::try_from(payload.proofs.len()).map_err(io::Error::other)?;
    let sealed = envelope::seal_for(
        Purpose::Deletion,
        key,
        Aead::Aes128Gcm,
        &bytes,
        count,
        payload.requested_at_ms,
    )
    .map_err(io::Error::other)?;
    Ok(sealed.bytes)
}

/// Where a deletion request goes next: the first of its regions that has an endpoint, or for
/// a request that lists none (queued before regions were noted) the endpoint batches use,
/// taken as if `cross_border` were granted.
fn deletion_endpoint<'a>(
    config: &'a crate::upload::UploadConfig,
    queued: &Queued,
) -> Option<&'a crate::upload::Endpoint> {
    match &queued.regions {
        Some(regions) => regions
            .iter()
            .find_map(|r| config.endpoints.iter().find(|e| &e.region == r)),
        None => match config.route(true) {
            Route::To(endpoint) => Some(endpoint),
            Route::NeedsCrossBorder | Route::NoEndpoint => None,
        },
    }
}

fn wait(reason: WaitReason, retry_in: Option<Duration>) -> NextUpload {
    NextUpload::Wait { reason, retry_in }
}

fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    // Without randomness the delay is the ceiling's worth of zero jitter: still a backoff.
    let _ = SystemRandom::new().fill(&mut bytes);
    u64::from_be_bytes(bytes)
}

/// Opens `entry` with its wrapped opening key, splits its events in two and reseals each half
/// to the collector key, replacing the batch in the outbox. False if the batch cannot be
/// opened (no opening key, or the data key changed), so it cannot be split.
fn split(
    shared: &Runtime,
    openings: &mut OpeningKeys,
    outbox: &mut Outbox,
    entry: &OutboxEntry,
) -> io::Result<bool> {
    let Some(key) = &shared.config.collector else {
        return Ok(false);
    };
    let (sealed, Some(wrapped)) = outbox.read_parts(entry)? else {
        return Ok(false);
    };
    let Ok((header, _)) = Header::parse(&sealed) else {
        return Ok(false);
    };
    let Some(opening) = openings.unwrap(&header.batch_id, &wrapped) else {
        return Ok(false);
    };
    let Ok(payload) = envelope::reopen(&opening, &sealed) else {
        return Ok(false);
    };
    let Ok(batch) = wire::decode_as(header.format, &payload, Limits::default(), None) else {
        return Ok(false);
    };
    let mut events = batch.events;
    let second = events.split_off(events.len() / 2);
    let mut halves = Vec::with_capacity(2);
    for events in [events, second] {
        let half = Batch {
            meta: batch.meta.clone(),
            events,
        };
        let count = u32::try_from(half.events.len()).map_err(io::Error::other)?;
        let payload = wire::encode(&half).map_err(io::Error::other)?;
        let resealed = envelope::seal(key, Aead::Aes128Gcm, &payload, count, entry.created_ms)
            .map_err(io::Error::other)?;
        let wrapped_opening = openings.wrap(&resealed.id, &resealed.opening)?;
        halves.push(Sealed {
            entry: OutboxEntry {
                events: count,
                id: resealed.id.to_string(),
                size: resealed.bytes.len() as u64,
                ..entry.clone()
            },
            bytes: resealed.bytes,
            wrapped_opening,
        });
    }
    outbox.replace(entry, halves)?;
    Ok(true)
}
