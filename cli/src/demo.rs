//! The demo: a simulated fleet recording under mixed consent.
//!
//! Today it runs the fleet through the core in this process and reports what the core holds.
//! Uploading to the embedded ingest server and the wire-size comparison arrive with the
//! ingest server.

use modicum_core::{Category, Config, Event, Modicum, Value};

/// Events each simulated device records.
const EVENTS_PER_DEVICE: u32 = 20;

pub fn run(devices: u32) -> Result<(), String> {
    let root = std::env::temp_dir().join(format!("modicum-demo-{}", std::process::id()));
    let result = run_in(&root, devices);
    let _ = std::fs::remove_dir_all(&root);
    result
}

fn run_in(root: &std::path::Path, devices: u32) -> Result<(), String> {
    println!("Modicum demo: {devices} simulated devices, {EVENTS_PER_DEVICE} events each\n");
    let (mut recorded, mut held, mut consenting, mut leaked) = (0u64, 0u64, 0u32, 0u32);
    for device in 0..devices {
        let config = Config::new(root.join(format!("device-{device}")), "dev.modicum.demo");
        let modicum = Modicum::start(config).map_err(|e| e.to_string())?;
        // Two devices in three grant analytics; the rest never answer, which means no.
        let grants = device % 3 != 2;
        if grants {
            modicum
                .set_consent(Category::Analytics, true)
                .map_err(|e| e.to_string())?;
            consenting += 1;
        }
        for n in 0..EVENTS_PER_DEVICE {
            let event = Event::new("screen_view")
                .with("screen", Value::Text(format!("step-{}", n % 5)))
                .with(
                    "feedback",
                    Value::Text(format!("contact user{device}@example.com")),
                )
                .with("load_ms", Value::Int(i64::from(40 + n)));
            recorded += 1;
            held += u64::from(modicum.record(event).map_err(|e| e.to_string())?);
        }
        let json = modicum.held_json().map_err(|e| e.to_string())?;
        if json.contains("@example.com") {
            leaked += 1;
        }
        if device == 0 {
            let first: serde_json::Value =
                serde_json::from_str(&json).map_err(|e| e.to_string())?;
            println!(
                "What device 0 holds for its first event (minimized):\n  {}\n",
                first[0]
            );
        }
    }
    println!("devices granting analytics   {consenting:>6} of {devices}");
    println!("events recorded              {recorded:>6}");
    println!("events held (minimized)      {held:>6}");
    println!("events dropped for consent   {:>6}", recorded - held);
    println!("devices holding a raw email  {leaked:>6}");
    println!("\nUploading to the embedded ingest server and the wire-size comparison");
    println!("are not built yet; this demo stops at what each device holds.");
    if leaked > 0 {
        return Err(format!("{leaked} devices held a raw email address"));
    }
    Ok(())
}
