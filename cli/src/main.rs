//! `modicum`: the command line for people who run or check Modicum.

mod corpus;
mod demo;
mod disclosures;
mod keys;
mod load;
mod policy;
mod scrub;
mod serve;
mod uploader;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "modicum",
    version,
    about = "Modicum: telemetry that collects only a modicum"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a simulated fleet of devices under mixed consent and summarize what was kept.
    Demo {
        /// How many simulated devices.
        #[arg(long, default_value_t = 50)]
        devices: u32,
        /// Seeds consent, conditions and network faults; the same seed gives the same run.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Where the embedded server stores: a `postgres://` URL, or a SQLite file; a
        /// temporary SQLite file if absent. The summary counts only what this run stored.
        #[arg(long)]
        db: Option<String>,
    },
    /// Write a collector key pair: DIR/collector.key (private, mode 0600) and DIR/collector.pub.
    Keygen {
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Run the reference ingest service until Ctrl-C or SIGTERM (then it finishes the requests
    /// in progress), logging one structured line per event
    /// to stderr (`RUST_LOG` filters, `MODICUM_LOG_FORMAT=json` for JSON lines).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8737")]
        addr: SocketAddr,
        /// Where batches are stored: a SQLite file (created if missing), or a
        /// `postgres://user@host:port/db` URL that several nodes may share.
        #[arg(long, default_value = "modicum-ingest.sqlite3")]
        db: String,
        /// A private key file; repeat it to keep several keys live during a rotation.
        #[arg(long = "key", default_value = "collector.key")]
        keys: Vec<PathBuf>,
        /// Days stored events are kept; a sweep at start and every hour deletes older ones.
        #[arg(long, default_value_t = 90)]
        retention_days: u32,
        /// Days a deletion's record and its tombstone are kept (three years by default: the
        /// general limitation period for civil claims in the PRC Civil Code).
        #[arg(long, default_value_t = 3 * 365)]
        deletion_retention_days: u32,
    },
    /// Summarize an ingest database (a SQLite file or a `postgres://` URL) as JSON: batches,
    /// events per category, and whether any stored text contains each `--contains` value.
    Inspect {
        #[arg(long, default_value = "modicum-ingest.sqlite3")]
        db: String,
        #[arg(long)]
        contains: Vec<String>,
    },
    /// Release health per app version and day from an ingest database (a SQLite file or a
    /// `postgres://` URL): installs and sessions reported, crashed and abnormal sessions,
    /// crash-free sessions and crash-free installs. `--json` prints one object per row.
    Report {
        #[arg(long, default_value = "modicum-ingest.sqlite3")]
        db: String,
        #[arg(long)]
        json: bool,
    },
    /// Open a sealed batch file with a private key and print it as JSON.
    Decode {
        #[arg(long, default_value = "collector.key")]
        key: PathBuf,
        batch: PathBuf,
    },
    /// Scrub text lines from stdin with the default rules; one output line per input line.
    /// With `--report CORPUS`, print recall and precision per family over a labelled corpus
    /// instead (see `modicum corpus`).
    Scrub {
        #[arg(long)]
        report: Option<PathBuf>,
        /// Another detector's findings on the same corpus, as NAME=FILE (JSON lines of
        /// `{"spans": [{"start", "end", "entity"}]}`, byte offsets): shown side by side.
        #[arg(long, requires = "report")]
        other: Vec<String>,
    },
    /// Write a labelled corpus for the scrubber (JSON lines) to stdout, from a fixed seed.
    Corpus {
        #[arg(long, default_value_t = 14)]
        seed: u64,
        #[arg(long, default_value_t = 3400)]
        lines: usize,
    },
    /// Load an ingest server: many devices' sealed batches, posted by concurrent workers.
    ///
    /// Every batch is a sample session (see `modicum_wire::sample`) made now, with its own
    /// batch id and its device's install pseudonym, sealed to the collector's public key as a
    /// device seals it, all before the clock starts. Then `--concurrency` workers post them to
    /// URL/v1/batches, one request at a time each on a kept-alive connection, in rounds across
    /// devices (each device's batches spread over the run). Prints batches/s and events/s
    /// stored, latency percentiles (request sent to answer read) and the answers by status:
    /// 2xx stored, 409 already stored, 429 over a rate, other, and failed (no answer).
    ///
    /// The server's default limits: per install, bursts of 60 batches then 2 a second (more
    /// batches per device than that are answered 429); per source address, bursts of 20 000
    /// events then 1 000 a second (use `--peers` against a server on loopback).
    Load(load::Args),
    /// Write what a policy lets leave the device as an app store wants it declared: `ios`, a
    /// `PrivacyInfo.xcprivacy`; `android`, Play Console's Data safety CSV; `markdown`, both as
    /// a table. The built-in policy if no POLICY file is given.
    Disclosures {
        store: disclosures::Store,
        policy: Option<PathBuf>,
    },
    /// Check or show policies.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Validate a policy document (JSON, or TOML if the name ends in .toml); exit 1 if invalid.
    Check { file: PathBuf },
    /// Print what leaves the device per data class and age band, as a Markdown table.
    Table {
        /// A policy document; the built-in policy if omitted.
        file: Option<PathBuf>,
    },
    /// Print a TOML policy document as JSON, the form a device reads; exit 1 if invalid.
    Json { file: PathBuf },
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Demo { devices, seed, db } => demo::run(devices, seed, db.as_deref()),
        Command::Keygen { out } => keys::keygen(&out),
        Command::Serve {
            addr,
            db,
            keys,
            retention_days,
            deletion_retention_days,
        } => serve::run(
            addr,
            &db,
            &keys,
            serve::retention(retention_days, deletion_retention_days),
        ),
        Command::Decode { key, batch } => keys::decode(&key, &batch),
        Command::Inspect { db, contains } => serve::inspect(&db, &contains),
        Command::Report { db, json } => serve::report(&db, json),
        Command::Scrub { report: None, .. } => scrub::run(),
        Command::Scrub {
            report: Some(corpus),
            other,
        } => scrub::report(&corpus, &other),
        Command::Corpus { seed, lines } => corpus::run(seed, lines),
        Command::Disclosures { store, policy } => disclosures::run(store, policy.as_deref()),
        Command::Load(args) => load::run(&args),
        Command::Policy {
            command: PolicyCommand::Check { file },
        } => policy::check(&file),
        Command::Policy {
            command: PolicyCommand::Table { file },
        } => policy::table(file.as_deref()),
        Command::Policy {
            command: PolicyCommand::Json { file },
        } => policy::json(&file),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("modicum: {message}");
            ExitCode::FAILURE
        }
    }
}
