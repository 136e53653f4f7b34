//! A slow line in front of a server: a TCP proxy on 127.0.0.1 that forwards every connection to
//! an upstream port on 127.0.0.1, both ways and byte for byte (TLS passes through untouched),
//! delaying each chunk it reads by a latency the test may change at any time.
//!
//! A chunk read at `t` is written on at `t + latency` (the latency when it was read), while the
//! next chunks are already being read: the delay of a long line, not a slower line. A TLS
//! handshake and a request with its response over a new connection therefore cost a few
//! latencies. The proxy runs on its own thread and runtime, so a test that blocks its own
//! runtime for a while (starting a Synapse is synchronous) does not hold the traffic up; it
//! stops, with every connection, when dropped.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// A running delay proxy.
#[derive(Debug)]
pub struct DelayProxy {
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    /// The port it forwards to (127.0.0.1).
    pub upstream_port: u16,
    latency_ms: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl DelayProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `127.0.0.1:upstream_port`, without
    /// latency until [`DelayProxy::set_latency`]. Upstream need not be listening yet: each
    /// connection is forwarded when it comes (and closed if upstream refuses it).
    pub fn start(upstream_port: u16) -> Self {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("the delay proxy cannot listen");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let latency_ms = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = oneshot::channel();
        let latency = Arc::clone(&latency_ms);
        let thread = std::thread::Builder::new()
            .name(format!("delay-proxy-{port}"))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener).unwrap();
                    let mut connections = JoinSet::new();
                    tokio::select! {
                        _ = stopped => {}
                        () = accept(listener, upstream_port, latency, &mut connections) => {}
                    }
                    // Dropping the set aborts every connection's task, closing its sockets.
                });
            })
            .unwrap();
        Self {
            port,
            upstream_port,
            latency_ms,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Sets the delay of every chunk read from now on, in both directions.
    pub fn set_latency(&self, latency: Duration) {
        let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.latency_ms.store(ms, Ordering::Relaxed);
    }

    /// The delay of each chunk now.
    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.load(Ordering::Relaxed))
    }
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept(
    listener: TcpListener,
    upstream_port: u16,
    latency: Arc<AtomicU64>,
    connections: &mut JoinSet<()>,
) {
    loop {
        match listener.accept().await {
            Ok((inbound, _)) => {
                connections.spawn(forward(inbound, upstream_port, Arc::clone(&latency)));
            }
            // Out of file descriptors and the like: try again in a moment.
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
        while connections.try_join_next().is_some() {}
    }
}

/// One connection: both directions until each has ended, or either fails.
async fn forward(inbound: TcpStream, upstream_port: u16, latency: Arc<AtomicU64>) {
    let Ok(outbound) = TcpStream::connect(("127.0.0.1", upstream_port)).await else {
        return;
    };
    let _ = inbound.set_nodelay(true);
    let _ = outbound.set_nodelay(true);
    let (from_client, to_client) = inbound.into_split();
    let (from_server, to_server) = outbound.into_split();
    let _ = tokio::try_join!(
        pipe(from_client, to_server, Arc::clone(&latency)),
        pipe(from_server, to_client, latency),
    );
}

/// Copies `from` to `to`, each chunk `latency` later than it was read; passes the end of the
/// stream on after the last chunk.
async fn pipe(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    latency: Arc<AtomicU64>,
) -> io::Result<()> {
    let (chunks, mut due_chunks) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let reading = async move {
        let mut buffer = vec![0_u8; 64 * 1024];
        loop {
            let read = from.read(&mut buffer).await?;
            if read == 0 {
                // Dropping `chunks` lets the writer finish and pass the end on.
                return Ok::<_, io::Error>(());
            }
            let due = Instant::now() + Duration::from_millis(latency.load(Ordering::Relaxed));
            if chunks.send((due, buffer[..read].to_vec())).is_err() {
                return Ok(());
            }
        }
    };
    let writing = async move {
        while let Some((due, chunk)) = due_chunks.recv().await {
            tokio::time::sleep_until(due).await;
            to.write_all(&chunk).await?;
        }
        to.shutdown().await
    };
    tokio::try_join!(reading, writing).map(|_| ())
}
