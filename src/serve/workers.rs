//! Thread per core: each accepted connection is handed to one of `--threads` single-threaded
//! runtimes and stays there for its whole life. Compared with one work-stealing runtime this
//! avoids waking idle threads to share out work (futex calls and context switches on every
//! burst), which on small messages cost a fifth of the server's time; connections still
//! spread over the threads, round-robin.

use std::any::Any;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::net::{TcpStream, UnixStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{Server, connection};
use crate::error::{Error, Result};
use crate::protocol::BoxedTransport;

/// An accepted connection on its way to a worker: a std socket, free of any runtime.
pub enum Accepted {
    Tcp(std::net::TcpStream, std::net::SocketAddr),
    Unix(std::os::unix::net::UnixStream),
}

/// A connection as accepted, or as taken over by a worker's runtime.
pub enum Socket {
    Tcp(TcpStream, std::net::SocketAddr),
    Unix(UnixStream),
}

impl Accepted {
    /// A plain TCP or Unix socket taken back out of its box and released from this runtime,
    /// for another runtime to take over; any other transport (TLS) stays where it is.
    pub fn unbox(stream: BoxedTransport) -> Unboxed {
        let any: &dyn Any = &*stream;
        if !(any.is::<TcpStream>() || any.is::<UnixStream>()) {
            return Unboxed::Kept(stream);
        }
        let any: Box<dyn Any> = stream;
        let socket = match any.downcast::<TcpStream>() {
            Ok(tcp) => tcp.peer_addr().map(|addr| Socket::Tcp(*tcp, addr)),
            Err(any) => match any.downcast::<UnixStream>() {
                Ok(unix) => Ok(Socket::Unix(*unix)),
                Err(_) => unreachable!("checked to be a TCP or Unix socket"),
            },
        };
        match socket.and_then(Socket::release) {
            Ok(accepted) => Unboxed::Freed(accepted),
            Err(error) => Unboxed::Lost(error),
        }
    }

    /// The socket, registered with the runtime this runs on.
    pub fn take_over(self) -> std::io::Result<Socket> {
        Ok(match self {
            Accepted::Tcp(stream, addr) => Socket::Tcp(TcpStream::from_std(stream)?, addr),
            Accepted::Unix(stream) => Socket::Unix(UnixStream::from_std(stream)?),
        })
    }

    /// The client's address as logs and `/clients` show it.
    fn peer(&self) -> String {
        match self {
            Accepted::Tcp(_, addr) => addr.to_string(),
            Accepted::Unix(_) => UNIX_PEER.to_string(),
        }
    }
}

/// What [`Accepted::unbox`] made of a transport.
pub enum Unboxed {
    Freed(Accepted),
    /// Not a plain socket: it stays on this runtime.
    Kept(BoxedTransport),
    /// The socket could not leave this runtime's reactor; the connection is gone.
    Lost(std::io::Error),
}

impl Socket {
    /// The client's address as logs and `/clients` show it.
    pub fn peer(&self) -> String {
        match self {
            Socket::Tcp(_, addr) => addr.to_string(),
            Socket::Unix(_) => UNIX_PEER.to_string(),
        }
    }

    /// The socket, leaving this runtime's reactor for another runtime to take over.
    fn release(self) -> std::io::Result<Accepted> {
        match self {
            Socket::Tcp(stream, addr) => {
                stream.into_std().map(|stream| Accepted::Tcp(stream, addr))
            }
            Socket::Unix(stream) => stream.into_std().map(Accepted::Unix),
        }
    }

    /// The byte stream a connection runs over.
    pub fn into_transport(self) -> BoxedTransport {
        match self {
            Socket::Tcp(stream, _) => {
                let _ = stream.set_nodelay(true);
                Box::new(stream)
            }
            Socket::Unix(stream) => Box::new(stream),
        }
    }
}

pub struct Workers {
    inboxes: Vec<mpsc::UnboundedSender<(Accepted, Instant)>>,
    next: usize,
    /// Dropped by each worker once all its connections have ended.
    finished: mpsc::Receiver<()>,
    /// Tells the workers to drop whatever connections they still hold.
    abandon: watch::Sender<bool>,
    threads: Vec<JoinHandle<()>>,
}

impl Workers {
    /// `--threads` workers.
    pub fn start(server: &Arc<Server>) -> Result<Workers> {
        let count = server.config.threads;
        let (finished_tx, finished) = mpsc::channel(1);
        let (abandon, _) = watch::channel(false);
        let mut workers = Workers {
            inboxes: Vec::with_capacity(count),
            next: 0,
            finished,
            abandon,
            threads: Vec::with_capacity(count),
        };
        for index in 0..count {
            let runtime = crate::single_thread_runtime()?;
            let (inbox, accepted) = mpsc::unbounded_channel();
            let server = server.clone();
            let finished = finished_tx.clone();
            let abandon = workers.abandon.subscribe();
            let thread = std::thread::Builder::new()
                .name(format!("wsx-worker-{index}"))
                .spawn(move || {
                    runtime.block_on(work(server, accepted, abandon));
                    // The runtime drops here, and with it any connection still open, so
                    // --exec children are stopped rather than orphaned.
                    drop(runtime);
                    drop(finished);
                })
                .map_err(|error| Error::io("cannot start a worker thread", error))?;
            workers.inboxes.push(inbox);
            workers.threads.push(thread);
        }
        Ok(workers)
    }

    /// Hands an accepted connection to the next worker, which has until `deadline` to open it.
    pub fn assign(&mut self, socket: Socket, deadline: Instant, server: &Server) {
        let addr = socket.peer();
        // Leaving this runtime's reactor; the worker registers it with its own.
        let accepted = match socket.release() {
            Ok(accepted) => accepted,
            Err(error) => {
                server.printer.warn(&format!(
                    "{addr}: cannot hand the connection over: {}",
                    crate::error::io_reason(&error)
                ));
                return;
            }
        };
        let worker = self.next % self.inboxes.len();
        self.next = self.next.wrapping_add(1);
        let _ = self.inboxes[worker].send((accepted, deadline));
    }

    /// Lets the workers finish the connections they hold, for at most `grace`; then drops
    /// what is left.
    pub async fn finish(mut self, grace: Duration) {
        self.inboxes.clear();
        if tokio::time::timeout(grace, self.finished.recv())
            .await
            .is_err()
        {
            let _ = self.abandon.send(true);
        }
        let threads = std::mem::take(&mut self.threads);
        let _ = tokio::task::spawn_blocking(move || {
            for thread in threads {
                let _ = thread.join();
            }
        })
        .await;
    }
}

/// How a client on a Unix socket is named where a TCP client shows its address: such
/// peers are unnamed.
pub const UNIX_PEER: &str = "unix";

async fn work(
    server: Arc<Server>,
    mut accepted: mpsc::UnboundedReceiver<(Accepted, Instant)>,
    mut abandon: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    let mut accepting = true;
    while accepting || !connections.is_empty() {
        tokio::select! {
            next = accepted.recv(), if accepting => match next {
                Some((accepted, deadline)) => {
                    let addr = accepted.peer();
                    match accepted.take_over() {
                        Ok(socket) => {
                            connections.spawn(connection::handle(server.clone(), socket, deadline));
                        }
                        Err(error) => server.printer.warn(&format!(
                            "{addr}: cannot take the connection over: {}",
                            crate::error::io_reason(&error)
                        )),
                    }
                }
                None => accepting = false,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            // Also when the sender is gone: nobody is waiting for these connections any more.
            _ = abandon.changed() => return,
        }
    }
}
