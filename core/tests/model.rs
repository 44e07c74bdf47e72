//! A model-based test of what may leave the device. Random sequences of operations run against
//! the real [`Modicum`] (real worker, journal, outbox and HPKE), through a storage seam that can
//! fail any write with `ENOSPC` or `EIO`, or stop every write from a chosen point on as a killed
//! process would (optionally cutting that last write short), followed by a restart. Every
//! request handed out is opened with an independent HPKE implementation and checked against a
//! reference model of what the user allowed:
//!
//! 1. nothing recorded under a category is handed out after a withdrawal of that category
//!    returns, or after the restart that follows a withdrawal that was saved;
//! 2. no field a withdrawn grant let through leaves afterwards;
//! 3. every `record` is counted exactly once in the ledger (checked within each process life:
//!    a crash loses the counts made since the ledger was last saved);
//! 4. no event is delivered under two batch ids;
//! 5. a pseudonym from before `reset_identifiers` never appears on an event recorded after it,
//!    nor does an install pseudonym travel with events of another secret;
//! 6. a queued deletion request is handed out whatever the consent and route say, and reaches
//!    every region that received data.
//!
//! Also: numbers arrive as the same numbers (bit for bit), never as text.
//!
//! It runs at least `MODICUM_MODEL_SEQUENCES` sequences (2 000 by default), and keeps going
//! until `MODICUM_MODEL_SECONDS` have passed if that is set; `MODICUM_MODEL_SEED` replays a run.
//! A failure prints the smallest sequence proptest could shrink it to.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use modicum_core::collect::providers::Clock;
use modicum_core::envelope::CollectorKey;
use modicum_core::upload::{
    Conditions, Endpoint, NextUpload, UploadOutcome, UploadRequest, WaitReason,
};
use modicum_core::wire::WireValue;
use modicum_core::{
    AgeBand, Category, Config, DataClass, Event, LedgerEntry, Modicum, Policy, Providers, Value,
};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, RngAlgorithm, TestError, TestRng, TestRunner};
use support::faults::{Faults, FaultyStorage, KeyStore, LifeKeys};
use support::PrivateKey;

/// Time moves only when the test says: one second per step, well inside one pseudonym period.
struct StepClock(AtomicU64);

impl Clock for StepClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

// ---------------------------------------------------------------------------------------------
// Operations.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Stored,
    Duplicate,
    TooLarge,
    Busy,
    ServerError,
    /// No answer, and nothing stored.
    Unreachable,
    /// Stored, but the answer was lost.
    AnsweredButLost,
}

#[derive(Debug, Clone)]
enum Op {
    Record {
        category: Category,
        install: Option<u8>,
        place: bool,
        note: bool,
        ratio: Option<u8>,
    },
    Consent(Category, bool),
    Version(u32),
    Age(AgeBand, bool),
    Seal,
    Flush,
    Upload(Answer),
    Reset,
    DeleteAll,
    /// The process dies at the `after`-th write from now (the last one cut short if `torn`),
    /// during `during`, and starts again.
    Crash {
        after: u8,
        torn: bool,
        during: Box<Op>,
    },
    /// The `after`-th write from now fails once with `errno`.
    Fault {
        after: u8,
        errno: i32,
    },
}

const RATIOS: [f64; 6] = [
    -0.0,
    16.285714285714285,
    0.1 + 0.2,
    // The integer digits of a card number: dropped, never turned into text.
    4_111_111_111_111_111.0,
    1e-7,
    // Refused by `record` as invalid, and still counted.
    f64::NAN,
];

fn category() -> impl Strategy<Value = Category> {
    prop_oneof![
        4 => Just(Category::Analytics),
        2 => Just(Category::Diagnostics),
        1 => Just(Category::Essential),
    ]
}

fn consented() -> impl Strategy<Value = Category> {
    prop_oneof![
        Just(Category::Analytics),
        Just(Category::Diagnostics),
        Just(Category::Identifiers),
        Just(Category::Location),
        Just(Category::LocationPrecise),
        Just(Category::CrossBorder),
    ]
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        6 => Just(Answer::Stored),
        1 => Just(Answer::Duplicate),
        1 => Just(Answer::TooLarge),
        1 => Just(Answer::Busy),
        1 => Just(Answer::ServerError),
        1 => Just(Answer::Unreachable),
        1 => Just(Answer::AnsweredButLost),
    ]
}

fn simple_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => (category(), proptest::option::of(0u8..3), any::<bool>(), any::<bool>(),
               proptest::option::of(0u8..u8::try_from(RATIOS.len()).unwrap()))
            .prop_map(|(category, install, place, note, ratio)| Op::Record {
                category, install, place, note, ratio
            }),
        6 => (consented(), any::<bool>()).prop_map(|(c, g)| Op::Consent(c, g)),
        1 => (0u32..3).prop_map(Op::Version),
        1 => (prop_oneof![Just(AgeBand::Adult), Just(AgeBand::Minor), Just(AgeBand::Child)],
              any::<bool>()).prop_map(|(a, g)| Op::Age(a, g)),
        3 => Just(Op::Seal),
        1 => Just(Op::Flush),
        5 => answer().prop_map(Op::Upload),
        1 => Just(Op::Reset),
        1 => Just(Op::DeleteAll),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        16 => simple_op(),
        3 => (0u8..24, any::<bool>(), simple_op()).prop_map(|(after, torn, during)| Op::Crash {
            after, torn, during: Box::new(during)
        }),
        3 => (0u8..12, prop_oneof![Just(libc::ENOSPC), Just(libc::EIO)])
            .prop_map(|(after, errno)| Op::Fault { after, errno }),
    ]
}

/// Where the collectors are, for one sequence.
#[derive(Debug, Clone, Copy)]
enum Regions {
    /// Only the home region's collector.
    Home,
    /// Only a collector abroad: data waits for `cross_border`, deletion requests do not.
    AbroadOnly,
    Both,
}

fn regions() -> impl Strategy<Value = Regions> {
    prop_oneof![
        Just(Regions::Home),
        Just(Regions::AbroadOnly),
        Just(Regions::Both)
    ]
}

// ---------------------------------------------------------------------------------------------
// The reference model.

/// An event `record` accepted.
#[derive(Debug, Clone)]
struct Recorded {
    category: Category,
    step: u64,
    /// Which install secret was in force (counted by the changes of the install pseudonym).
    epoch: u64,
    ratio: Option<f64>,
}

/// A category stopped being permitted at `step`. `certain` when the call that did it returned
/// `Ok`, so the decision was saved; otherwise it binds only until the next restart, unless the
/// restarted core still does not permit the category.
#[derive(Debug, Clone)]
struct Revocation {
    category: Category,
    step: u64,
    life: u32,
    certain: bool,
}

struct Model {
    step: u64,
    life: u32,
    next_seq: i64,
    events: HashMap<i64, Recorded>,
    revocations: Vec<Revocation>,
    permitted: BTreeSet<Category>,
    /// Events handed out in a request that may have been stored, by the batch id it was in.
    stored_in: HashMap<i64, String>,
    /// Batch ids the collector stored.
    stored_batches: BTreeSet<String>,
    /// The epoch each pseudonym (field or install) was seen with.
    pseudonyms: HashMap<String, u64>,
    epoch: u64,
    install: String,
    /// Regions handed a batch since the last erasure.
    reached: BTreeSet<String>,
    /// Regions an erasure owes a deletion request.
    owed: BTreeSet<String>,
    /// Record calls per category in this life, and the ledger when the life began.
    calls: BTreeMap<Category, u64>,
    ledger_base: BTreeMap<Category, BTreeMap<LedgerEntry, u64>>,
    steps_run: u64,
}

/// The first outcomes of a `record` call: exactly one of these per call.
const FIRST_OUTCOMES: [LedgerEntry; 6] = [
    LedgerEntry::DroppedForConsent,
    LedgerEntry::DroppedQueueFull,
    LedgerEntry::DroppedBufferFull,
    LedgerEntry::DroppedInvalid,
    LedgerEntry::DroppedStorage,
    LedgerEntry::Kept,
];

/// One sequence's world: the running core and what survives it.
struct World {
    dir: tempfile::TempDir,
    keys: Arc<KeyStore>,
    clock: Arc<StepClock>,
    faults: Arc<Faults>,
    regions: Regions,
    collector: CollectorKey,
    m: Option<Modicum>,
}

/// How long the model waits for a change of consent to be saved: it asks, as a careful app
/// does, so a withdrawal it was told is saved must survive any crash after.
const WAIT: Duration = Duration::from_secs(10);

const HOME: &str = "cn";
const ABROAD: &str = "eu";

fn policy() -> Policy {
    // Location arrives with version 2 of the terms: a grant made under version 1 does not
    // cover it until the user agrees again.
    Policy::from_json(
        r#"{
          "version": 2,
          "essential": {"purpose": "crash reporting"},
          "introduced_in": {"location": 2},
          "rules": [
            {"class": "id.install", "when": {"granted": "identifiers"}, "action": "hash"},
            {"class": "location", "when": {"granted": "location_precise", "age": ["adult"]},
             "action": "keep"},
            {"class": "location", "when": {"granted": "location"}, "action": "generalize",
             "method": "grid", "cell_m": 1000},
            {"class": "text", "action": "scrub"},
            {"class": "custom", "action": "keep"}
          ]
        }"#,
    )
    .expect("the model's policy is valid")
}

impl World {
    fn new(regions: Regions, collector: CollectorKey) -> World {
        World {
            dir: tempfile::tempdir().expect("a temporary directory"),
            keys: Arc::new(KeyStore::default()),
            clock: Arc::new(StepClock(AtomicU64::new(
                1_000 * 2_592_000_000 + 86_400_000,
            ))),
            faults: Faults::new(),
            regions,
            collector,
            m: None,
        }
    }

    fn config(&self) -> Config {
        let mut config = Config::new(self.dir.path().join("store"), "dev.modicum.model");
        config.policy = policy();
        config.collector = Some(self.collector.clone());
        config.batch_max_events = 4;
        config.batch_max_age = Duration::from_secs(3600);
        config.durability_window = Duration::from_secs(3600);
        config.upload.home_region = Some(HOME.into());
        let endpoint = |region: &str| Endpoint {
            region: region.into(),
            url: format!("http://127.0.0.1:9/{region}"),
        };
        config.upload.endpoints = match self.regions {
            Regions::Home => vec![endpoint(HOME)],
            Regions::AbroadOnly => vec![endpoint(ABROAD)],
            Regions::Both => vec![endpoint(ABROAD), endpoint(HOME)],
        };
        config.upload.backoff_base = Duration::from_millis(1);
        config.upload.backoff_cap = Duration::from_millis(4);
        config.upload.unmetered_only = Vec::new();
        config
    }

    fn start(&mut self) -> Result<(), String> {
        self.faults = Faults::new();
        *self.keys.faults.lock().unwrap() = Some(Arc::clone(&self.faults));
        let providers = Providers {
            secrets: Arc::new(LifeKeys(Arc::clone(&self.keys))),
            clock: Arc::<StepClock>::clone(&self.clock),
            device: None,
            network: None,
            storage: Arc::new(FaultyStorage(Arc::clone(&self.faults))),
        };
        let m = Modicum::start_with(self.config(), providers).map_err(|e| format!("start: {e}"))?;
        self.m = Some(m);
        Ok(())
    }

    fn m(&self) -> &Modicum {
        self.m.as_ref().expect("running")
    }

    /// Kills the process: every write fails from now on, then the core is dropped (its last
    /// attempts to save anything fail too).
    fn kill(&mut self) {
        self.faults.kill();
        self.m = None;
    }
}

fn ideal() -> Conditions {
    Conditions::ideal()
}

fn region_of(url: &str) -> String {
    url.trim_start_matches("http://127.0.0.1:9/")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn outcome(answer: Answer) -> UploadOutcome {
    let status = |status| UploadOutcome::Response {
        status,
        retry_after: None,
    };
    match answer {
        Answer::Stored => status(200),
        Answer::Duplicate => status(409),
        Answer::TooLarge => status(413),
        Answer::Busy => status(429),
        Answer::ServerError => status(500),
        Answer::Unreachable | Answer::AnsweredButLost => UploadOutcome::NetworkError {
            message: "the model's network".into(),
        },
    }
}

type Check = Result<(), String>;

impl Model {
    fn new() -> Model {
        Model {
            step: 0,
            life: 0,
            next_seq: 1,
            events: HashMap::new(),
            revocations: Vec::new(),
            permitted: BTreeSet::new(),
            stored_in: HashMap::new(),
            stored_batches: BTreeSet::new(),
            pseudonyms: HashMap::new(),
            epoch: 0,
            install: String::new(),
            reached: BTreeSet::new(),
            owed: BTreeSet::new(),
            calls: BTreeMap::new(),
            ledger_base: BTreeMap::new(),
            steps_run: 0,
        }
    }

    /// Whether an event recorded at `recorded` may carry data of `category` when handed out
    /// now: no revocation in force came after it.
    fn revoked_since(&self, category: Category, recorded: u64) -> Option<&Revocation> {
        self.revocations
            .iter()
            .find(|r| r.category == category && r.step > recorded)
    }

    /// Notes which categories stopped being permitted by the call just made.
    fn note_permitted(&mut self, w: &World, certain: bool) {
        let now: BTreeSet<Category> = w.m().permitted().into_iter().collect();
        for &category in self.permitted.difference(&now) {
            self.revocations.push(Revocation {
                category,
                step: self.step,
                life: self.life,
                certain,
            });
        }
        self.permitted = now;
    }

    /// The install secret changed if the install pseudonym did.
    fn note_install(&mut self, w: &World) -> Check {
        let install = w
            .m()
            .install_pseudonym()
            .map_err(|e| format!("install pseudonym: {e}"))?;
        if install != self.install {
            if !self.install.is_empty() {
                self.epoch += 1;
            }
            self.install = install;
        }
        Ok(())
    }

    fn begin_life(&mut self, w: &World) -> Check {
        self.life += 1;
        let recovered = w.m().recovered().map_err(|e| format!("recovered: {e}"))?;
        let now: BTreeSet<Category> = w.m().permitted().into_iter().collect();
        // A withdrawal that may not have been saved binds no longer if the category is back.
        self.revocations
            .retain(|r| r.certain || r.life == self.life || !now.contains(&r.category));
        for r in &mut self.revocations {
            r.certain = true;
        }
        let previous = std::mem::take(&mut self.permitted);
        for &category in previous.difference(&now) {
            self.revocations.push(Revocation {
                category,
                step: self.step,
                life: self.life,
                certain: true,
            });
        }
        self.permitted = now;
        if recovered.finished_erasure {
            self.owed.extend(std::mem::take(&mut self.reached));
        }
        self.note_install(w)?;
        self.calls.clear();
        self.ledger_base = w.m().ledger().snapshot();
        Ok(())
    }

    fn record(&mut self, w: &World, op: &Op) -> Check {
        let Op::Record {
            category,
            install,
            place,
            note,
            ratio,
        } = op
        else {
            unreachable!()
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut event = Event::new(format!("e{seq}"))
            .in_category(*category)
            .with("seq", Value::Int(seq));
        if let Some(k) = install {
            event = event.with_class(
                "install",
                Value::Text(format!("user-{k}")),
                DataClass::IdInstall,
            );
        }
        if *place {
            event = event.with_class(
                "where",
                Value::Location {
                    lat: 39.9042,
                    lon: 116.4074,
                },
                DataClass::Location,
            );
        }
        if *note {
            event = event.with("note", Value::Text("mail ann@example.org".into()));
        }
        let ratio = ratio.map(|i| RATIOS[usize::from(i)]);
        if let Some(r) = ratio {
            event = event.with("ratio", Value::Double(r));
        }
        *self.calls.entry(*category).or_default() += 1;
        if let Ok(true) = w.m().record(event) {
            self.events.insert(
                seq,
                Recorded {
                    category: *category,
                    step: self.step,
                    epoch: self.epoch,
                    ratio,
                },
            );
        }
        Ok(())
    }

    /// Asks for the next request, checks it, and answers it.
    fn upload(
        &mut self,
        w: &World,
        private: &PrivateKey,
        conditions: Conditions,
        answer: Answer,
    ) -> Result<Option<NextUpload>, String> {
        let next = match w.m().next_upload(conditions) {
            Ok(next) => next,
            // A storage failure while handing out: nothing went out.
            Err(_) => return Ok(None),
        };
        let NextUpload::Send(request) = &next else {
            return Ok(Some(next));
        };
        // The collector is consistent: bytes it once stored it never finds too large or
        // refuses later; it says it has them (409).
        let answer = match answer {
            Answer::TooLarge if self.stored_batches.contains(&request.id) => Answer::Duplicate,
            answer => answer,
        };
        let stored = matches!(
            answer,
            Answer::Stored | Answer::Duplicate | Answer::AnsweredButLost
        );
        self.check_request(w, private, request, stored)?;
        if stored {
            self.stored_batches.insert(request.id.clone());
        }
        let _ = w.m().upload_finished(&request.id, outcome(answer));
        Ok(Some(next))
    }

    fn check_request(
        &mut self,
        w: &World,
        private: &PrivateKey,
        request: &UploadRequest,
        stored: bool,
    ) -> Check {
        let region = region_of(&request.url);
        if request.url.ends_with("/v1/deletions") {
            if stored {
                self.owed.remove(&region);
            }
            return Ok(());
        }
        // Oracle: data goes abroad only with `cross_border` in force.
        if region != HOME && !self.permitted.contains(&Category::CrossBorder) {
            return Err(format!("a batch went to {region} without cross_border"));
        }
        let _ = w;
        self.reached.insert(region);
        let batch = support::open_batch(private, &request.body);
        let mut epochs = BTreeSet::new();
        for event in &batch.events {
            let Some(WireValue::Int(seq)) = event.properties.get("seq") else {
                return Err(format!("an event without its seq: {event:?}"));
            };
            let Some(recorded) = self.events.get(seq).cloned() else {
                return Err(format!("event {seq} was never accepted by record"));
            };
            epochs.insert(recorded.epoch);
            // Oracle 1.
            if let Some(r) = self.revoked_since(recorded.category, recorded.step) {
                return Err(format!(
                    "event {seq} ({:?}, step {}) handed out at step {} after its category was \
                     withdrawn at step {}",
                    recorded.category, recorded.step, self.step, r.step
                ));
            }
            // Oracle 2: the fields a grant let through.
            for (field, grants) in [
                ("install", &[Category::Identifiers][..]),
                (
                    "where",
                    &[Category::Location, Category::LocationPrecise][..],
                ),
            ] {
                if !event.properties.contains_key(field) {
                    continue;
                }
                // The field came through one of these grants; each must still be unrevoked
                // unless the other alone could have let it through (precise location is kept
                // whole, coarse location generalized: tell them apart by the value).
                let grant = match (field, event.properties.get(field)) {
                    ("where", Some(WireValue::Location { lat, .. })) if *lat == 39.9042 => {
                        Category::LocationPrecise
                    }
                    ("where", _) => Category::Location,
                    _ => grants[0],
                };
                if let Some(r) = self.revoked_since(grant, recorded.step) {
                    return Err(format!(
                        "event {seq} still carries `{field}` after {grant:?} was withdrawn at \
                         step {}",
                        r.step
                    ));
                }
            }
            // Numbers stay numbers.
            match (recorded.ratio, event.properties.get("ratio")) {
                (Some(r), _) if r == RATIOS[3] => {
                    if event.properties.contains_key("ratio") {
                        return Err(format!("event {seq}: a card number left as a number"));
                    }
                }
                (Some(r), Some(WireValue::Double(d))) if d.to_bits() == r.to_bits() => {}
                (None, None) => {}
                (r, got) => {
                    return Err(format!("event {seq}: ratio {r:?} arrived as {got:?}"));
                }
            }
            if let Some(WireValue::Text(note)) = event.properties.get("note") {
                if note.contains('@') {
                    return Err(format!("event {seq}: unscrubbed text {note:?}"));
                }
            }
            // Oracle 5: a field pseudonym belongs to one secret.
            if let Some(WireValue::Text(p)) = event.properties.get("install") {
                self.pseudonym(p, recorded.epoch, *seq)?;
            }
            // Oracle 4.
            if stored {
                let id = &request.id;
                if let Some(first) = self.stored_in.insert(*seq, id.clone()) {
                    if &first != id {
                        return Err(format!(
                            "event {seq} delivered under two batch ids: {first} and {id}"
                        ));
                    }
                }
            }
        }
        // Oracle 5: the install pseudonym names events of its own secret only.
        if let Some(install) = &batch.meta.install {
            if epochs.len() > 1 {
                return Err(format!(
                    "install pseudonym {install} on events of several secrets {epochs:?}"
                ));
            }
            if let Some(&epoch) = epochs.iter().next() {
                self.pseudonym(install, epoch, -1)?;
            }
        }
        Ok(())
    }

    fn pseudonym(&mut self, pseudonym: &str, epoch: u64, seq: i64) -> Check {
        match self.pseudonyms.insert(pseudonym.to_owned(), epoch) {
            Some(before) if before != epoch => Err(format!(
                "pseudonym {pseudonym} seen under secret {before} and again on event {seq} of \
                 secret {epoch}"
            )),
            _ => Ok(()),
        }
    }

    /// Oracle 3, within this life: after a flush, each category's record calls are counted
    /// as collected, and each has exactly one first outcome.
    fn check_ledger(&self, w: &World) -> Check {
        if w.m().flush(Duration::from_secs(10)).is_err() || w.faults.dead() {
            return Ok(());
        }
        let now = w.m().ledger().snapshot();
        let delta = |category: Category, entry: LedgerEntry| {
            let get = |s: &BTreeMap<Category, BTreeMap<LedgerEntry, u64>>| {
                s.get(&category)
                    .and_then(|m| m.get(&entry))
                    .copied()
                    .unwrap_or(0)
            };
            get(&now) - get(&self.ledger_base)
        };
        for category in Category::ALL {
            let calls = self.calls.get(&category).copied().unwrap_or(0);
            let collected = delta(category, LedgerEntry::Collected);
            let outcomes: u64 = FIRST_OUTCOMES.iter().map(|&e| delta(category, e)).sum();
            if collected != calls || outcomes != calls {
                return Err(format!(
                    "{category:?}: {calls} record calls, {collected} collected, {outcomes} first \
                     outcomes in this life"
                ));
            }
        }
        Ok(())
    }
}

/// Runs one sequence; `Err` names the first broken promise.
fn run(regions: Regions, ops: &[Op], private: &PrivateKey, key: &CollectorKey) -> Check {
    let mut w = World::new(regions, key.clone());
    let mut model = Model::new();
    w.start()?;
    model.begin_life(&w)?;
    for op in ops {
        model.step += 1;
        model.steps_run += 1;
        w.clock.0.fetch_add(1_000, Ordering::SeqCst);
        match op {
            Op::Crash {
                after,
                torn,
                during,
            } => {
                model.check_ledger(&w)?;
                let writes = w.faults.writes.load(Ordering::SeqCst);
                w.faults.torn.store(*torn, Ordering::SeqCst);
                w.faults
                    .die_at
                    .store(writes + u64::from(*after), Ordering::SeqCst);
                apply(&mut w, &mut model, private, during, true)?;
                w.kill();
                w.start()?;
                model.begin_life(&w)?;
            }
            Op::Fault { after, errno } => {
                let writes = w.faults.writes.load(Ordering::SeqCst);
                *w.faults.fail_at.lock().unwrap() = Some((writes + u64::from(*after), *errno));
            }
            op => apply(&mut w, &mut model, private, op, false)?,
        }
    }
    model.check_ledger(&w)?;
    // Oracle 6: with every condition against it, what an erasure owes still goes out.
    *w.faults.fail_at.lock().unwrap() = None;
    let hostile = Conditions {
        connected: true,
        metered: true,
        battery_low: true,
    };
    for _ in 0..200 {
        match model.upload(&w, private, hostile, Answer::Stored)? {
            Some(NextUpload::Send(_)) | None => {}
            Some(NextUpload::Wait {
                reason: WaitReason::Backoff | WaitReason::RetryAfter,
                retry_in,
            }) => std::thread::sleep(retry_in.unwrap_or_default()),
            Some(_) => break,
        }
    }
    if !model.owed.is_empty() {
        return Err(format!(
            "no deletion request reached {:?}, which received data",
            model.owed
        ));
    }
    Ok(())
}

/// Applies one operation (not a crash or a fault).
fn apply(w: &mut World, model: &mut Model, private: &PrivateKey, op: &Op, dying: bool) -> Check {
    match op {
        Op::Record { .. } => model.record(w, op)?,
        Op::Consent(category, granted) => {
            let saved = w
                .m()
                .set_consent(*category, *granted)
                .and_then(|saving| saving.wait(WAIT));
            model.note_permitted(w, saved.is_ok());
        }
        Op::Version(v) => {
            let saved = w
                .m()
                .agree_to_version(*v)
                .and_then(|saving| saving.wait(WAIT));
            model.note_permitted(w, saved.is_ok());
        }
        Op::Age(band, guardian) => {
            let saved = w
                .m()
                .set_age(*band, *guardian)
                .and_then(|saving| saving.wait(WAIT));
            model.note_permitted(w, saved.is_ok());
        }
        Op::Seal => {
            let _ = w.m().seal_now(Duration::from_secs(10));
        }
        Op::Flush => {
            let _ = w.m().flush(Duration::from_secs(10));
        }
        Op::Upload(answer) => {
            model.upload(w, private, ideal(), *answer)?;
        }
        Op::Reset => {
            let _ = w.m().reset_identifiers();
            model.note_install(w)?;
        }
        Op::DeleteAll => {
            let result = w.m().delete_all();
            model.note_permitted(w, result.is_ok());
            if result.is_ok() {
                model.owed.extend(std::mem::take(&mut model.reached));
            }
            model.note_install(w)?;
        }
        Op::Crash { .. } | Op::Fault { .. } => {}
    }
    let _ = dying;
    Ok(())
}

/// Sequences that once found a flaw (in the code or in the model), run first every time.
fn regressions() -> Vec<(Regions, Vec<Op>)> {
    use Answer::*;
    use Category::*;
    let record = |category, install: Option<u8>, place, note, ratio: Option<u8>| Op::Record {
        category,
        install,
        place,
        note,
        ratio,
    };
    vec![
        (
            // A round that fails while an upload's outcome is written: the essential event
            // it held got no first outcome.
            Regions::Home,
            vec![
                Op::Consent(Diagnostics, true),
                record(Essential, None, false, false, None),
                Op::Fault {
                    after: 1,
                    errno: libc::ENOSPC,
                },
                Op::Upload(Stored),
                Op::Fault {
                    after: 5,
                    errno: libc::ENOSPC,
                },
                record(Diagnostics, None, false, false, None),
                Op::DeleteAll,
            ],
        ),
        (
            // An essential event sealed at once while writes fail, then a crash mid-record:
            // the event was delivered under two batch ids.
            Regions::Home,
            vec![
                Op::Version(2),
                Op::Consent(Location, true),
                record(Essential, None, true, false, None),
                Op::Fault {
                    after: 1,
                    errno: libc::ENOSPC,
                },
                Op::Flush,
                Op::Consent(Location, false),
                record(Essential, None, false, false, None),
                Op::Fault {
                    after: 4,
                    errno: libc::ENOSPC,
                },
                Op::Crash {
                    after: 3,
                    torn: false,
                    during: Box::new(record(Analytics, None, false, false, None)),
                },
                record(Essential, None, false, false, None),
            ],
        ),
        (
            // A batch stored with its answer lost, then "too large" on the retry: a collector
            // that stored the bytes says 409 instead, or the split would deliver events twice.
            Regions::Both,
            vec![
                Op::Consent(Diagnostics, true),
                record(Diagnostics, Some(0), false, true, Some(0)),
                record(Diagnostics, None, false, false, None),
                Op::Seal,
                Op::Fault {
                    after: 6,
                    errno: libc::ENOSPC,
                },
                Op::Crash {
                    after: 10,
                    torn: false,
                    during: Box::new(Op::Consent(Analytics, true)),
                },
                record(Analytics, None, false, true, Some(3)),
                Op::Upload(AnsweredButLost),
                Op::Consent(CrossBorder, true),
                Op::Consent(Location, false),
                Op::Upload(TooLarge),
                Op::Flush,
                record(Analytics, None, true, false, None),
                Op::Upload(Stored),
                Op::Consent(Location, false),
                record(Analytics, None, true, true, Some(2)),
                Op::Age(AgeBand::Adult, false),
                Op::Upload(Busy),
                Op::DeleteAll,
                Op::Consent(Analytics, false),
                record(Analytics, None, true, false, None),
                Op::Seal,
                record(Analytics, None, false, true, None),
                Op::Upload(Duplicate),
                Op::Consent(Location, true),
            ],
        ),
    ]
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn main() {
    let sequences = env_u64("MODICUM_MODEL_SEQUENCES").unwrap_or(2_000);
    let seconds = env_u64("MODICUM_MODEL_SECONDS").unwrap_or(0);
    let seed = env_u64("MODICUM_MODEL_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    });
    let (private, key) = support::collector(b"model test");
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let started = Instant::now();
    let steps = Arc::new(AtomicU64::new(0));
    let ran = Arc::new(AtomicU64::new(0));
    let until = started + Duration::from_secs(seconds);
    for (i, (regions, ops)) in regressions().into_iter().enumerate() {
        if let Err(broke) = run(regions, &ops, &private, &key) {
            println!("regression {i} broke: {broke}");
            println!(
                "test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out"
            );
            std::process::exit(1);
        }
    }
    let mut total = 0;
    let mut failure = None;
    // Rounds of runs until both bounds are met: at least `sequences`, for at least `seconds`.
    while failure.is_none() && (total < sequences || Instant::now() < until) {
        let cases = if total < sequences {
            (sequences - total).min(500)
        } else {
            500
        };
        let config = RunnerConfig {
            cases: u32::try_from(cases).unwrap(),
            failure_persistence: None,
            max_shrink_iters: 2_000,
            ..RunnerConfig::default()
        };
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);
        seed_bytes[8..16].copy_from_slice(&(total + 1).to_le_bytes());
        let mut runner = TestRunner::new_with_rng(config, rng);
        let strategy = (regions(), proptest::collection::vec(op(), 1..48));
        let result = runner.run(&strategy, |(regions, ops)| {
            ran.fetch_add(1, Ordering::Relaxed);
            let mut model_steps = 0;
            let result = run(regions, &ops, &private, &key);
            model_steps += ops.len() as u64;
            steps.fetch_add(model_steps, Ordering::Relaxed);
            result.map_err(TestCaseError::fail)
        });
        total += cases;
        if let Err(e) = result {
            failure = Some(e);
        }
    }
    let elapsed = started.elapsed();
    println!(
        "model: {} sequences ({} with shrinking), {} steps, seed {seed}, {:.1} s",
        total.min(ran.load(Ordering::Relaxed)),
        ran.load(Ordering::Relaxed),
        steps.load(Ordering::Relaxed),
        elapsed.as_secs_f64()
    );
    match failure {
        None => {
            println!(
                "test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; \
                 finished in {:.2}s",
                elapsed.as_secs_f64()
            );
        }
        Some(TestError::Fail(reason, (regions, ops))) => {
            println!("the smallest failing sequence ({regions:?} collectors):");
            for (i, op) in ops.iter().enumerate() {
                println!("  {:>3}. {op:?}", i + 1);
            }
            println!("broke: {reason}");
            println!("replay with MODICUM_MODEL_SEED={seed}");
            println!(
                "test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out"
            );
            std::process::exit(1);
        }
        Some(TestError::Abort(reason)) => {
            println!("aborted: {reason}");
            println!(
                "test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out"
            );
            std::process::exit(1);
        }
    }
}
