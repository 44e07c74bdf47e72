//! Running the service: in the foreground until a shutdown signal (`modicum serve`), or on a
//! thread of its own with its own tokio runtime (the demo, tests, benchmarks).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::config::ServerConfig;
use crate::listener::{self, STOP_GRACE};
use crate::service::build;
use crate::stats::{Stats, StatsSnapshot};

/// Serves in the foreground until `shutdown` completes, then finishes the requests in
/// progress (for `modicum serve`, which stops on Ctrl-C).
pub async fn serve(
    config: ServerConfig,
    stats: Arc<Stats>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let sweeping = sweeping(&config);
    let (app, connections) = build(config, Arc::clone(&stats));
    let served = listener::run(listener, app, connections, stats, shutdown).await;
    if let Some(task) = sweeping {
        task.abort();
    }
    served
}

/// Starts the retention sweep, if the config asks for one; inside a tokio runtime.
fn sweeping(config: &ServerConfig) -> Option<tokio::task::JoinHandle<()>> {
    let every = config.sweep_every?;
    Some(tokio::spawn(crate::sweep::periodically(
        Arc::clone(&config.store),
        config.retention,
        every,
    )))
}

/// A server running on a thread of its own, with its own tokio runtime: for the demo and
/// tests, which are not async. Stops when dropped.
pub struct RunningServer {
    addr: SocketAddr,
    stats: Arc<Stats>,
    stop: Option<tokio::sync::watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<io::Result<()>>>,
}

/// Binds `config.addr` (port 0 picks a free port) and serves on a background thread; returns
/// once the socket is listening, so a client may connect at once.
pub fn spawn(config: ServerConfig) -> io::Result<RunningServer> {
    let listener = std::net::TcpListener::bind(config.addr)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("modicum-server")
        .enable_all()
        .build()?;
    let stats = Arc::new(Stats::default());
    let sweeping = {
        let _entered = runtime.enter();
        sweeping(&config)
    };
    let (app, connections) = build(config, Arc::clone(&stats));
    let served = Arc::clone(&stats);
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let thread = std::thread::Builder::new()
        .name("modicum-server".into())
        .spawn(move || {
            let result = runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                let served = listener::run(listener, app, connections, served, async move {
                    let _ = stopped.wait_for(|&stop| stop).await;
                })
                .await;
                if let Some(task) = sweeping {
                    task.abort();
                }
                served
            });
            runtime.shutdown_timeout(STOP_GRACE);
            result
        })?;
    Ok(RunningServer {
        addr,
        stats,
        stop: Some(stop),
        thread: Some(thread),
    })
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:port`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// Stops accepting, lets the requests in progress finish (for up to 5 s), and waits for
    /// the thread.
    pub fn stop(mut self) -> io::Result<()> {
        self.shut_down()
    }

    fn shut_down(&mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the server thread panicked")),
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
}
