//! `modicum load`: a load generator for the ingest server. Every batch is sealed before the
//! clock starts, so what is measured is the server (and the loopback network), not sealing.

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::num::NonZero;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use indicatif::{ProgressBar, ProgressStyle};
use modicum_core::clock::now_ms;
use modicum_core::envelope::{self, Aead, CollectorKey};
use modicum_core::wire::{self, sample};
use modicum_server::keys::read_public;
use tokio::net::TcpSocket;

/// How long one request may take before it counts as failed and its connection is replaced.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Latencies are kept in microseconds; anything longer than this is recorded as this.
const LONGEST_US: u64 = 120_000_000;

#[derive(clap::Args)]
pub struct Args {
    /// The ingest server's base URL (plain HTTP); batches go to URL/v1/batches. Repeat it for
    /// several nodes: workers are dealt out among them in turn, as a load balancer would.
    #[arg(long, default_value = "http://127.0.0.1:8737")]
    url: Vec<String>,
    /// The collector's public key: the hex file `modicum keygen` writes.
    #[arg(long, default_value = "collector.pub", value_name = "PATH")]
    key_pub: PathBuf,
    /// Simulated devices, each with its own install pseudonym.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    devices: u32,
    /// Batches each device sends.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    batches: u32,
    /// Workers posting at once, one request at a time each, on kept-alive connections.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=4096))]
    concurrency: u32,
    /// Events in each batch. 25 is about a minute of an active session, the longest an SDK
    /// holds a batch by default.
    #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    events: u32,
    /// Connect from this many loopback addresses (127.0.0.1 to 127.0.0.N), so that the
    /// server's per-address limits see that many senders, as a fleet would look. The addresses
    /// are dealt out to the workers; a worker holding several keeps a connection from each and
    /// takes them in turn. Only for a server on an IPv4 loopback address.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=254))]
    peers: u8,
}

pub fn run(args: &Args) -> Result<(), String> {
    let targets = args
        .url
        .iter()
        .map(|url| Target::parse(url))
        .collect::<Result<Vec<_>, _>>()?;
    // The same source addresses for every node; each node must allow them.
    let per_node = targets
        .iter()
        .map(|target| sources(target, args.peers))
        .collect::<Result<Vec<_>, _>>()?;
    let sources = per_node.into_iter().next().unwrap_or_default();
    let public =
        read_public(&args.key_pub).map_err(|e| format!("{}: {e}", args.key_pub.display()))?;
    let key = CollectorKey::from_public_bytes(&public).map_err(|e| e.to_string())?;
    let total = u64::from(args.devices) * u64::from(args.batches);
    let total = usize::try_from(total).map_err(|_| "too many batches for this machine")?;

    let sealing = Instant::now();
    let bodies = seal_all(&key, args, total)?;
    let bytes: usize = bodies.iter().map(|b| b.body.len()).sum();
    println!(
        "sealed {total} batches ({} devices x {} batches of {} events, {:.1} MiB) in {:.2} s, before the clock starts",
        args.devices,
        args.batches,
        args.events,
        mib(bytes),
        sealing.elapsed().as_secs_f64()
    );
    let concurrency = usize::try_from(args.concurrency).map_err(|e| e.to_string())?;
    let workers: Vec<Vec<Option<IpAddr>>> = (0..concurrency)
        .map(|w| dealt(&sources, w, concurrency))
        .collect();
    println!(
        "posting to {} with {} workers over {} connections from {} source address(es)",
        targets
            .iter()
            .map(Target::url)
            .collect::<Vec<_>>()
            .join(" and "),
        args.concurrency,
        workers.iter().map(Vec::len).sum::<usize>(),
        sources.len()
    );

    let work = Arc::new(Work {
        targets,
        bodies,
        next: AtomicUsize::new(0),
        bar: bar(total, "posting"),
    });
    // One thread drives every connection: the client stays light beside the server it loads
    // on the same cores.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let tallies = runtime.block_on(async {
        let workers: Vec<_> = workers
            .into_iter()
            .enumerate()
            .map(|(w, sources)| tokio::spawn(worker(Arc::clone(&work), w, sources)))
            .collect();
        let mut tallies = Vec::with_capacity(workers.len());
        for handle in workers {
            tallies.push(handle.await.map_err(|e| e.to_string())??);
        }
        Ok::<_, String>(tallies)
    })?;
    let elapsed = started.elapsed();
    work.bar.finish_and_clear();

    let mut summary = Tally::new()?;
    for tally in &tallies {
        summary.merge(tally)?;
    }
    summary.print(elapsed, u64::from(args.events));
    if summary.answered() == 0 {
        return Err(format!(
            "no request was answered: {}",
            summary
                .first_failure
                .as_deref()
                .unwrap_or("no request was sent")
        ));
    }
    Ok(())
}

/// Where batches go: the address to connect to, and what goes in the request line and `Host`.
struct Target {
    addr: SocketAddr,
    authority: String,
    path: String,
}

impl Target {
    fn parse(url: &str) -> Result<Target, String> {
        let uri: Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!(
                "{url}: only http:// URLs (the load generator has no TLS)"
            ));
        }
        let authority = uri.authority().ok_or(format!("{url}: no host"))?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let port = authority.port_u16().unwrap_or(80);
        let addr = (host, port)
            .to_socket_addrs()
            .map_err(|e| format!("{url}: {e}"))?
            .next()
            .ok_or(format!("{url}: the host has no address"))?;
        Ok(Target {
            addr,
            authority: authority.to_string(),
            path: format!("{}/v1/batches", uri.path().trim_end_matches('/')),
        })
    }

    fn url(&self) -> String {
        format!("http://{}{}", self.authority, self.path)
    }
}

/// The addresses to connect from; `None` lets the system choose.
fn sources(target: &Target, peers: u8) -> Result<Vec<Option<IpAddr>>, String> {
    if peers == 1 {
        return Ok(vec![None]);
    }
    match target.addr.ip() {
        IpAddr::V4(ip) if ip.is_loopback() => Ok((1..=peers)
            .map(|n| Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))))
            .collect()),
        _ => Err(format!(
            "--peers {peers} needs a server on an IPv4 loopback address (127.x.x.x), not {}",
            target.addr
        )),
    }
}

/// Worker `worker`'s share of `sources`: every `workers`th address from its own, or, with
/// fewer addresses than workers, one shared in turn.
fn dealt(sources: &[Option<IpAddr>], worker: usize, workers: usize) -> Vec<Option<IpAddr>> {
    let own: Vec<_> = sources
        .iter()
        .copied()
        .skip(worker)
        .step_by(workers)
        .collect();
    if own.is_empty() {
        vec![sources[worker % sources.len()]]
    } else {
        own
    }
}

/// One sealed batch, as a device uploads it.
struct Sealed {
    id: String,
    body: Bytes,
}

/// Seals every batch on every core. Batch `i` is device `i % devices`'s `i / devices`th, so
/// posting them in order spreads each device's batches over the whole run, as its per-install
/// rate limit expects of a device.
fn seal_all(key: &CollectorKey, args: &Args, total: usize) -> Result<Vec<Sealed>, String> {
    // Each run is a new fleet: a rerun against the same server is not held to the installs'
    // rate limits of the run before.
    let run = mix(now_ms());
    let threads = std::thread::available_parallelism().map_or(1, NonZero::get);
    let chunk = total.div_ceil(threads).max(1);
    let bar = bar(total, "sealing");
    let sealed = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..total)
            .step_by(chunk)
            .map(|first| {
                let bar = bar.clone();
                scope.spawn(move || {
                    (first..total.min(first + chunk))
                        .map(|i| {
                            let device = u64::try_from(i).map_err(|e| e.to_string())?
                                % u64::from(args.devices);
                            let one = seal_one(key, run, device, i, args.events);
                            bar.inc(1);
                            one
                        })
                        .collect::<Result<Vec<_>, String>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| "a sealing thread panicked".to_owned())?
            })
            .collect::<Result<Vec<_>, String>>()
    })?;
    bar.finish_and_clear();
    Ok(sealed.into_iter().flatten().collect())
}

/// Batch `index`, from install `device` of fleet `run`: a sample session made now.
fn seal_one(
    key: &CollectorKey,
    run: u64,
    device: u64,
    index: usize,
    events: u32,
) -> Result<Sealed, String> {
    let index = u64::try_from(index).map_err(|e| e.to_string())?;
    let count = usize::try_from(events).map_err(|e| e.to_string())?;
    let mut batch = sample::session(mix(run ^ mix(index)), count);
    // The sample's fixed dates moved to now, keeping the gaps between events: the server
    // refuses a batch created outside its freshness window.
    let now = now_ms();
    let start = batch.meta.created_at_ms;
    batch.meta.created_at_ms = now;
    for event in &mut batch.events {
        event.recorded_at_ms = now + event.recorded_at_ms.saturating_sub(start);
    }
    let install = mix(run ^ device.rotate_left(32));
    batch.meta.install = Some(format!("p1_{install:016x}{:016x}", mix(install)));
    let payload = wire::encode(&batch).map_err(|e| e.to_string())?;
    let sealed =
        envelope::seal(key, Aead::Aes128Gcm, &payload, events, now).map_err(|e| e.to_string())?;
    Ok(Sealed {
        id: sealed.id.to_string(),
        body: Bytes::from(sealed.bytes),
    })
}

/// SplitMix64's finalizer: well-spread seeds and pseudonyms from counters.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn mib(bytes: usize) -> f64 {
    u32::try_from(bytes >> 10).map_or(f64::INFINITY, f64::from) / 1024.0
}

/// A progress bar on stderr; indicatif hides it when stderr is not a terminal.
fn bar(len: usize, what: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(u64::try_from(len).unwrap_or(u64::MAX));
    if let Ok(style) = ProgressStyle::with_template(
        "{msg:8} [{bar:40}] {human_pos}/{human_len} {elapsed_precise} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what);
    bar
}

/// What the workers share: the batches, and the index of the next one to post.
struct Work {
    /// The nodes; worker `w` posts to `targets[w % targets.len()]`.
    targets: Vec<Target>,
    bodies: Vec<Sealed>,
    next: AtomicUsize,
    bar: ProgressBar,
}

impl Work {
    fn take(&self) -> Option<&Sealed> {
        self.bodies.get(self.next.fetch_add(1, Ordering::Relaxed))
    }
}

/// Posts batches one after another until none are left, on one connection from each of
/// `sources` in turn, opening a new one when the server closes it or a request fails.
async fn worker(
    work: Arc<Work>,
    index: usize,
    sources: Vec<Option<IpAddr>>,
) -> Result<Tally, String> {
    let target = &work.targets[index % work.targets.len()];
    let mut tally = Tally::new()?;
    let mut connections: Vec<Option<Connection>> = sources.iter().map(|_| None).collect();
    let turns = sources.iter().copied().zip(0..).cycle();
    for ((source, k), sealed) in turns.zip(std::iter::from_fn(|| work.take())) {
        match post(&mut connections[k], target, source, sealed).await {
            Ok((status, took)) => tally.record(status, took),
            Err(e) => {
                connections[k] = None;
                tally.failed += 1;
                tally.first_failure.get_or_insert(e);
            }
        }
        work.bar.inc(1);
    }
    Ok(tally)
}

type Connection = SendRequest<Full<Bytes>>;

/// One request, timed from sending its head to reading the whole answer.
async fn post(
    connection: &mut Option<Connection>,
    target: &Target,
    source: Option<IpAddr>,
    sealed: &Sealed,
) -> Result<(u16, Duration), String> {
    if connection.as_ref().is_some_and(SendRequest::is_closed) {
        *connection = None;
    }
    let sender = match connection {
        Some(sender) => sender,
        None => connection.insert(
            connect(target.addr, source)
                .await
                .map_err(|e| format!("cannot connect to {}: {e}", target.addr))?,
        ),
    };
    sender.ready().await.map_err(|e| e.to_string())?;
    // The headers a device sends (see the core's uploads).
    let request = Request::post(&target.path)
        .header(HOST, &target.authority)
        .header(CONTENT_TYPE, "application/octet-stream")
        .header("X-Modicum-Batch-Id", &sealed.id)
        .body(Full::new(sealed.body.clone()))
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let exchange = async {
        let response = sender.send_request(request).await?;
        let status = response.status().as_u16();
        // Read to the end, so the connection is free for the next request.
        response.into_body().collect().await?;
        Ok::<_, hyper::Error>(status)
    };
    match tokio::time::timeout(REQUEST_TIMEOUT, exchange).await {
        Ok(Ok(status)) => Ok((status, started.elapsed())),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} s", REQUEST_TIMEOUT.as_secs())),
    }
}

async fn connect(addr: SocketAddr, source: Option<IpAddr>) -> io::Result<Connection> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    if let Some(ip) = source {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    let stream = socket.connect(addr).await?;
    // Small requests and answers: without it, Nagle's algorithm and delayed ACKs add tens of
    // milliseconds to some of them.
    stream.set_nodelay(true)?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(io::Error::other)?;
    tokio::spawn(connection);
    Ok(sender)
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// What a worker saw: latencies of stored batches, answers by status, and failures (no
/// connection, a broken one, or no answer in time). Refusals are left out of the latencies:
/// a 429 is answered before the batch is opened, and would make a limited run look fast.
struct Tally {
    latency_us: Histogram<u64>,
    statuses: BTreeMap<u16, u64>,
    failed: u64,
    first_failure: Option<String>,
}

impl Tally {
    fn new() -> Result<Tally, String> {
        Ok(Tally {
            latency_us: Histogram::new_with_bounds(1, LONGEST_US, 3).map_err(|e| e.to_string())?,
            statuses: BTreeMap::new(),
            failed: 0,
            first_failure: None,
        })
    }

    fn record(&mut self, status: u16, took: Duration) {
        if is_success(status) {
            let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
            self.latency_us.saturating_record(us.max(1));
        }
        *self.statuses.entry(status).or_default() += 1;
    }

    fn merge(&mut self, other: &Tally) -> Result<(), String> {
        self.latency_us
            .add(&other.latency_us)
            .map_err(|e| e.to_string())?;
        for (&status, &n) in &other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.failed += other.failed;
        if self.first_failure.is_none() {
            self.first_failure.clone_from(&other.first_failure);
        }
        Ok(())
    }

    fn answered(&self) -> u64 {
        self.statuses.values().sum()
    }

    fn count(&self, wanted: impl Fn(u16) -> bool) -> u64 {
        self.statuses
            .iter()
            .filter(|(&status, _)| wanted(status))
            .map(|(_, n)| n)
            .sum()
    }

    fn print(&self, elapsed: Duration, events_per_batch: u64) {
        let seconds = elapsed.as_secs_f64();
        let stored = self.count(is_success);
        let per_second = |n: u64| n as f64 / seconds;
        let ms = |us: u64| Duration::from_micros(us).as_secs_f64() * 1e3;
        println!("elapsed     {seconds:.2} s");
        println!(
            "batches/s   {:.1} stored ({:.1} answered)",
            per_second(stored),
            per_second(self.answered())
        );
        println!(
            "events/s    {:.0} stored",
            per_second(stored * events_per_batch)
        );
        println!(
            "latency     p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms (stored batches)",
            ms(self.latency_us.value_at_quantile(0.50)),
            ms(self.latency_us.value_at_quantile(0.99)),
            ms(self.latency_us.max())
        );
        let is_other = |s: u16| !is_success(s) && s != 409 && s != 429;
        let others: Vec<String> = self
            .statuses
            .iter()
            .filter(|(&s, _)| is_other(s))
            .map(|(s, n)| format!("{s}: {n}"))
            .collect();
        println!(
            "statuses    2xx {stored}  409 {}  429 {}  other {}{}  failed {}",
            self.count(|s| s == 409),
            self.count(|s| s == 429),
            self.count(is_other),
            if others.is_empty() {
                String::new()
            } else {
                format!(" ({})", others.join(", "))
            },
            self.failed
        );
        if let Some(failure) = &self.first_failure {
            println!("first failure: {failure}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_names_where_to_connect_and_what_to_ask_for() {
        let target = Target::parse("http://127.0.0.1:9000").unwrap();
        assert_eq!(target.addr, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(target.url(), "http://127.0.0.1:9000/v1/batches");
        let behind_a_prefix = Target::parse("http://[::1]:9000/ingest/").unwrap();
        assert_eq!(behind_a_prefix.addr, "[::1]:9000".parse().unwrap());
        assert_eq!(behind_a_prefix.authority, "[::1]:9000");
        assert_eq!(behind_a_prefix.path, "/ingest/v1/batches");
        assert!(Target::parse("https://127.0.0.1:9000").is_err());
    }

    #[test]
    fn addresses_are_dealt_out_to_the_workers() {
        let four: Vec<_> = (1..=4)
            .map(|n| Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))))
            .collect();
        assert_eq!(dealt(&four, 1, 2), vec![four[1], four[3]]);
        assert_eq!(dealt(&four, 3, 4), vec![four[3]]);
        assert_eq!(dealt(&four[..2], 3, 4), vec![four[1]]);
    }

    #[test]
    fn several_source_addresses_only_towards_loopback() {
        let local = Target::parse("http://127.0.0.1:9000").unwrap();
        assert_eq!(sources(&local, 1).unwrap(), vec![None]);
        let three = sources(&local, 3).unwrap();
        assert_eq!(three.len(), 3);
        assert_eq!(three[2], Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3))));
        let v6 = Target::parse("http://[::1]:9000").unwrap();
        assert!(sources(&v6, 2).is_err());
    }
}
