//! Modicum from Rust, end to end: start, consent, record, seal, and the pull-upload loop,
//! against the reference ingest server running on a free loopback port.
//!
//! `cargo run -p modicum-core --example quickstart`
//!
//! The device never owns the network: `next_upload` hands out one request at a time, the app
//! sends it with whatever HTTP stack it has, and reports the outcome with `upload_finished`.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use modicum_core::{
    Category, CollectorKey, Conditions, Config, Endpoint, Event, Modicum, NextUpload,
    UploadOutcome, UploadRequest, Value,
};
use modicum_server::keys::{KeyPair, KeyRing};
use modicum_server::service::{self, ServerConfig};
use modicum_server::store::{SqliteStore, Store};

pub fn main() -> Result<(), Box<dyn Error>> {
    // The collector: a fresh key pair (apps embed its public half) and the ingest server.
    let pair = KeyPair::generate()?;
    let collector = CollectorKey::from_public_bytes(pair.public_bytes())?;
    let store = Arc::new(SqliteStore::in_memory()?);
    let mut server = ServerConfig::new(KeyRing::new([pair]), store.clone());
    server.addr = "127.0.0.1:0".parse()?;
    let server = service::spawn(server)?;

    // The device: where it keeps its journal and outbox, and where it uploads.
    let dir = std::env::temp_dir().join(format!("modicum-quickstart-{}", std::process::id()));
    let mut config = Config::new(&dir, "com.example.quickstart");
    config.collector = Some(collector);
    config.upload.endpoints = vec![Endpoint {
        region: "default".into(),
        url: server.url(),
    }];
    let modicum = Modicum::start(config)?;

    // Nothing is collected until the user agrees.
    modicum.set_consent(Category::Analytics, true)?;
    modicum.record(
        Event::new("checkout")
            .with("items", Value::Int(3))
            .with("note", Value::Text("mail me at ann@example.org".into())),
    )?;
    // Held events, minimized, as they will be sealed (the email is already gone).
    println!("held: {}", modicum.held_json()?);

    // Seal now rather than wait for a full batch, then upload until there is nothing left.
    modicum.seal_now(Duration::from_secs(5))?;
    let mut sent = 0;
    loop {
        match modicum.next_upload(Conditions::ideal())? {
            NextUpload::Send(request) => {
                let outcome = post(&request);
                println!("sent {} -> {outcome:?}", request.url);
                modicum.upload_finished(&request.id, outcome)?;
                sent += 1;
            }
            NextUpload::Wait { reason, retry_in } => {
                // A real app schedules a job; this example stops.
                println!("waiting: {reason:?}, ask again in {retry_in:?}");
                break;
            }
            NextUpload::Idle => break,
        }
    }

    let stored = store.events()?;
    println!(
        "{sent} upload(s); the collector stored {} event(s):",
        stored.len()
    );
    for event in &stored {
        println!("  {event}");
    }
    modicum.shutdown(Duration::from_secs(5))?;
    server.stop()?;
    std::fs::remove_dir_all(&dir)?;
    if stored.len() != 1 || stored[0].to_string().contains("ann@example.org") {
        return Err("the collector did not receive exactly the minimized event".into());
    }
    Ok(())
}

/// One POST with `ureq`; on a phone this is HttpURLConnection or URLSession.
fn post(request: &UploadRequest) -> UploadOutcome {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut call = agent.post(&request.url);
    for (name, value) in &request.headers {
        call = call.header(name, value);
    }
    match call.send(&request.body[..]) {
        Ok(response) => UploadOutcome::Response {
            status: response.status().as_u16(),
            retry_after: response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        },
        Err(e) => UploadOutcome::NetworkError {
            message: e.to_string(),
        },
    }
}
