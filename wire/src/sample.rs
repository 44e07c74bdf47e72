//! A deterministic, realistic batch for measurements and the demo: one device's session of
//! screen views, taps, HTTP request metrics, purchases, connectivity changes and the odd crash,
//! as minimization leaves them. Also renders the same events the way row-oriented SDKs send
//! them (JSON objects with the device context repeated in each), for comparison.

use std::collections::BTreeMap;

use super::{Batch, BatchMeta, WireEvent, WireValue};
use crate::{Basis, Category};

/// `events` events of one session, seeded by `seed`.
pub fn session(seed: u64, events: usize) -> Batch {
    let mut rng = Rng(seed | 1);
    let start = 1_795_300_000_000 + rng.below(86_400_000);
    let session = format!("p1_{:016x}{:016x}", rng.next(), rng.next());
    let mut at = start;
    let events = (0..events)
        .map(|_| {
            at += 200 + rng.below(4_000);
            event(&mut rng, at, &session)
        })
        .collect();
    Batch {
        meta: meta(&mut rng, start),
        events,
    }
}

fn meta(rng: &mut Rng, start: u64) -> BatchMeta {
    let text = |s: &str| WireValue::Text(s.into());
    let (brand, model) = rng.pick(&[
        ("google", "Pixel 9"),
        ("samsung", "SM-S921B"),
        ("xiaomi", "2311DRK48G"),
    ]);
    let device = BTreeMap::from([
        ("brand".into(), text(brand)),
        ("model".into(), text(model)),
        ("os".into(), text("Android")),
        ("os_version".into(), text("15")),
        ("app_version".into(), text("4.12.0")),
        ("locale".into(), text("de-DE")),
        ("time_zone".into(), text("Europe/Berlin")),
        ("cpu_arch".into(), text("arm64")),
        ("ram".into(), WireValue::Int(8_589_934_592)),
        ("storage_total".into(), WireValue::Int(137_438_953_472)),
        ("screen_width".into(), WireValue::Int(1080)),
        ("screen_height".into(), WireValue::Int(2424)),
    ]);
    BatchMeta {
        app_id: "com.example.shop".into(),
        install: Some(format!("p1_{:016x}{:016x}", rng.next(), rng.next())),
        sdk_version: "modicum-android/0.1.0".into(),
        created_at_ms: start,
        device,
    }
}

const SCREENS: [&str; 8] = [
    "home", "search", "product", "cart", "checkout", "profile", "settings", "orders",
];
const TARGETS: [&str; 6] = ["add_to_cart", "buy_now", "back", "filter", "share", "menu"];
const URLS: [&str; 5] = [
    "api.example.com/v1/products/{id}",
    "api.example.com/v1/search",
    "api.example.com/v1/cart",
    "cdn.example.com/images/{id}",
    "api.example.com/v1/orders/{id}",
];

fn event(rng: &mut Rng, at: u64, session: &str) -> WireEvent {
    let text = |s: &str| WireValue::Text(s.into());
    let screen = rng.pick(&SCREENS);
    let roll = rng.below(100);
    let (name, category, mut properties) = match roll {
        0..=39 => ("screen_view", Category::Analytics, BTreeMap::from([
            ("screen".into(), text(screen)),
            ("load_ms".into(), WireValue::Int(40 + rng.below_i64(900))),
            ("first".into(), WireValue::Bool(rng.below(4) == 0)),
        ])),
        40..=64 => ("tap", Category::Analytics, BTreeMap::from([
            ("screen".into(), text(screen)),
            ("target".into(), text(rng.pick(&TARGETS))),
        ])),
        65..=84 => {
            let status = rng.pick(&[200, 200, 200, 200, 200, 200, 304, 404, 500]);
            ("http_request", Category::Diagnostics, BTreeMap::from([
                ("method".into(), text(if rng.below(5) == 0 { "POST" } else { "GET" })),
                ("url".into(), text(rng.pick(&URLS))),
                ("status".into(), WireValue::Int(status)),
                ("duration_ms".into(), WireValue::Int(30 + rng.below_i64(1_500))),
                ("bytes_received".into(), WireValue::Int(200 + rng.below_i64(80_000))),
            ]))
        }
        85..=94 => ("purchase", Category::Analytics, BTreeMap::from([
            ("items".into(), WireValue::Int(1 + rng.below_i64(4))),
            ("price".into(), WireValue::Double((199 + rng.below(20_000)) as f64 / 100.0)),
            ("currency".into(), text("EUR")),
            ("result".into(), text(if rng.below(10) == 0 { "error" } else { "success" })),
        ])),
        95..=98 => ("network_change", Category::Diagnostics, BTreeMap::from([
            ("connection".into(), text(if rng.below(2) == 0 { "wifi" } else { "cellular" })),
            ("metered".into(), WireValue::Bool(rng.below(2) == 0)),
        ])),
        _ => ("crash", Category::Diagnostics, BTreeMap::from([
            ("kind".into(), text("java.lang.IllegalStateException")),
            ("message".into(), text("Fragment ProductFragment{a3f9c2e} not attached to a context.")),
            ("frames".into(), text(concat!(
                "at androidx.fragment.app.Fragment.requireContext(Fragment.java:972)\n",
                "at com.example.shop.ui.ProductFragment.onPriceLoaded(ProductFragment.kt:118)\n",
                "at com.example.shop.data.PriceRepository$load$1.invokeSuspend(PriceRepository.kt:54)\n",
                "at kotlin.coroutines.jvm.internal.BaseContinuationImpl.resumeWith(ContinuationImpl.kt:33)\n",
                "at android.os.Handler.handleCallback(Handler.java:959)\n",
                "at android.os.Looper.loop(Looper.java:317)\n",
                "at android.app.ActivityThread.main(ActivityThread.java:8705)",
            ))),
            ("thread".into(), text("main")),
        ])),
    };
    properties.insert("session".into(), text(session));
    WireEvent {
        name: name.into(),
        category,
        basis: Basis::Consent,
        recorded_at_ms: at,
        properties,
    }
}

/// The same events as the JSON rows row-oriented SDKs send: one object per event, with its
/// own ISO 8601 timestamp and the device context repeated, in one array.
pub fn as_json_rows(batch: &Batch) -> Vec<u8> {
    let rows: Vec<serde_json::Value> = batch
        .events
        .iter()
        .map(|e| {
            serde_json::json!({
                "event": e.name,
                "category": e.category,
                "timestamp": iso8601(e.recorded_at_ms),
                "properties": e.properties,
                "context": {
                    "app": {"id": batch.meta.app_id},
                    "library": batch.meta.sdk_version,
                    "device": batch.meta.device,
                    "install": batch.meta.install,
                },
            })
        })
        .collect();
    serde_json::to_vec(&rows).unwrap_or_default()
}

fn iso8601(ms: u64) -> String {
    let (days, rest) = (ms / 86_400_000, ms % 86_400_000);
    let (year, month, day) = crate::date::utc_date(days);
    let (h, m, s, milli) = (
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1_000 % 60,
        rest % 1_000,
    );
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

/// A small xorshift: samples need variety, not cryptographic randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// [`Rng::below`] as an i64, for `n` up to `i64::MAX`.
    fn below_i64(&mut self, n: i64) -> i64 {
        let n = n.unsigned_abs();
        // Below `n`, which came from an i64: it always fits, so the fallback is never taken.
        i64::try_from(self.below(n)).unwrap_or(0)
    }

    /// One of `items`, uniformly (the same draw as `below(items.len())`).
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        let i = self.below(items.len() as u64);
        // Below `items.len()`, a usize: it always fits, so the fallback is never taken.
        items[usize::try_from(i).unwrap_or(0)]
    }
}
