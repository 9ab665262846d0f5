//! `wsx serve`: listen, accept each client on its own task, and run the chosen mode: the
//! operator console (default), `--echo`, `--broadcast`, or `--exec` (a program per client).
//! No client ever waits on another, or on the operator.

mod connection;
mod console;
mod exec;
mod hub;
mod instances;
mod policy;
pub mod publish;
mod relay;
mod server;
mod workers;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize};

use std::os::unix::fs::PermissionsExt;

use tokio::net::{TcpListener, UnixListener};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

use crate::config::{ListenAddr, ServeConfig};
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::protocol::SessionOptions;
use hub::Hub;
pub use server::Server;
use server::Stop;

pub fn run(config: ServeConfig, printer: Arc<Printer>) -> Result<ExitCode> {
    // Accepting, the console and signals; the connections run on the workers' runtimes.
    let runtime = crate::single_thread_runtime()?;
    runtime.block_on(serve(config, printer))
}

async fn serve(config: ServeConfig, printer: Arc<Printer>) -> Result<ExitCode> {
    let tls = match &config.tls {
        Some(files) => Some(TlsAcceptor::from(crate::tls::server_config(
            &files.cert,
            &files.key,
            files.client_ca.as_deref(),
        )?)),
        None => None,
    };
    let scheme = if tls.is_some() { "wss" } else { "ws" };
    // Before listening: a server that cannot share its channels does not start.
    let redis = match &config.redis {
        Some(url) => Some((url.clone(), instances::connect(url).await?)),
        None => None,
    };
    let (listener, listening) = Listener::bind(&config.listen, scheme).await?;

    let (stop_tx, mut stop_rx) = mpsc::unbounded_channel();
    let (desk, handoffs) = mpsc::unbounded_channel();
    // Connections the accept loop peeked at before they go to a worker.
    let (sorted_tx, mut sorted_rx) = mpsc::unbounded_channel();
    let session = SessionOptions {
        count: None,
        ..config.session.clone()
    };
    let server = Arc::new_cyclic(|weak| Server {
        instances: redis.map(|(url, connected)| {
            instances::Instances::start(url, connected, weak.clone(), printer.clone())
        }),
        hub: Hub::new(),
        publishes: publish::Batches::default(),
        desk,
        desk_thread: std::thread::current().id(),
        session,
        printer: printer.clone(),
        active: AtomicUsize::new(0),
        received: AtomicU64::new(0),
        stop: stop_tx,
        tls,
        origin_policy: policy::OriginPolicy {
            allowed: config.origins.clone(),
            guarded: config.mode.acts_for_operator(),
            flag: if matches!(config.mode, crate::config::ServeMode::Proxy(_)) {
                "--allow-origin"
            } else {
                "--origin"
            },
            // A browser cannot reach a Unix socket, and its Host names nothing.
            listening_on_loopback: listener.is_loopback(),
        },
        config,
    });
    // A reader of stdout that goes away (`wsx serve | head -1`) stops the server as Ctrl-C
    // does, rather than ending the process under its clients.
    let stop = server.stop.clone();
    printer.on_stdout_closed(move || {
        let _ = stop.send(Stop {
            code: 1001,
            reason: "server shutting down".into(),
        });
    });
    tokio::spawn(publish::desk(server.clone(), handoffs));
    let open_file_limit = raise_open_file_limit();
    let mut workers = workers::Workers::start(&server)?;
    // SIGTERM (a service manager, `kill`) stops the server as Ctrl-C does: clients get 1001
    // and --exec children are stopped instead of orphaned.
    let mut terminate = signal(SignalKind::terminate())
        .map_err(|error| Error::io("cannot watch for SIGTERM", error))?;
    // Only now, when nothing can fail any more: scripts take this line to mean "ready".
    let listening = match &server.config.mode {
        crate::config::ServeMode::Proxy(settings) => {
            format!("{listening} -> {}", settings.upstream_url)
        }
        _ => listening,
    };
    printer.notice(&format!("listening on {listening}"));
    let _console = console::start(server.clone())?;
    let mut last_accept_warning = None;
    let stop = loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(socket) => {
                    let deadline = tokio::time::Instant::now() + server.config.handshake_timeout;
                    if let Some(socket) = publish::sort(&server, socket, deadline, &sorted_tx) {
                        workers.assign(socket, deadline, &server);
                    }
                }
                Err(error) => {
                    // Out of descriptors and the like: report (once a second at most),
                    // breathe, keep serving the clients already connected.
                    if last_accept_warning.is_none_or(|at: std::time::Instant| at.elapsed().as_secs() >= 1) {
                        last_accept_warning = Some(std::time::Instant::now());
                        printer.warn(&accept_failure(&error, open_file_limit));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            Some((socket, deadline)) = sorted_rx.recv() => workers.assign(socket, deadline, &server),
            Some(stop) = stop_rx.recv() => break stop,
            _ = tokio::signal::ctrl_c() => break Stop { code: 1001, reason: "server shutting down".into() },
            _ = terminate.recv() => break Stop { code: 1001, reason: "server shutting down".into() },
        }
    };
    listener.close();
    server.hub.close_all(stop.code, &stop.reason);
    workers.finish(server.session.close_timeout).await;
    printer.flush();
    Ok(ExitCode::SUCCESS)
}

/// Raises the soft limit on open files to the hard limit, so that a server can hold as many
/// connections as the system allows without the user running `ulimit -n` first. Returns the
/// limit in force.
fn raise_open_file_limit() -> u64 {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return 0;
    };
    if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        return hard;
    }
    soft
}

fn accept_failure(error: &std::io::Error, open_file_limit: u64) -> String {
    match error.raw_os_error() {
        Some(code) if code == nix::libc::EMFILE || code == nix::libc::ENFILE => format!(
            "cannot accept more connections: too many open files (limit {open_file_limit}); \
             raise the hard limit (ulimit -Hn) to serve more"
        ),
        _ => format!("accept failed: {}", crate::error::io_reason(error)),
    }
}

/// The listening socket: TCP, or a Unix socket that is removed when the server stops.
enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, std::path::PathBuf),
}

impl Listener {
    /// Binds, and says where (`ws://127.0.0.1:PORT` with the real port, or `unix:PATH`).
    async fn bind(listen: &ListenAddr, scheme: &str) -> Result<(Listener, String)> {
        match listen {
            ListenAddr::Tcp { host, port } => {
                let target = format_host_port(host, *port);
                let listener = TcpListener::bind((host.as_str(), *port))
                    .await
                    .map_err(|error| Error::io(format!("cannot listen on {target}"), error))?;
                let local = listener
                    .local_addr()
                    .map_err(|error| Error::io("cannot read the listening address", error))?;
                Ok((Listener::Tcp(listener), format!("{scheme}://{local}")))
            }
            ListenAddr::Unix { path, mode } => {
                let context = || format!("cannot listen on unix:{}", path.display());
                remove_stale_socket(path).map_err(|error| Error::io(context(), error))?;
                let listener =
                    UnixListener::bind(path).map_err(|error| Error::io(context(), error))?;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(*mode))
                    .map_err(|error| Error::io(context(), error))?;
                let shown = format!("unix:{}", path.display());
                Ok((Listener::Unix(listener, path.clone()), shown))
            }
        }
    }

    fn is_loopback(&self) -> bool {
        match self {
            Listener::Tcp(listener) => listener
                .local_addr()
                .is_ok_and(|local| local.ip().is_loopback()),
            Listener::Unix(..) => false,
        }
    }

    async fn accept(&self) -> std::io::Result<workers::Socket> {
        match self {
            Listener::Tcp(listener) => {
                let (stream, addr) = listener.accept().await?;
                Ok(workers::Socket::Tcp(stream, addr))
            }
            Listener::Unix(listener, _) => {
                let (stream, _) = listener.accept().await?;
                Ok(workers::Socket::Unix(stream))
            }
        }
    }

    fn close(self) {
        if let Listener::Unix(listener, path) = self {
            drop(listener);
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A socket file left by a server that is gone (nothing accepts on it) is removed; one that
/// a live server holds, or any other file, is left alone and binding then fails.
fn remove_stale_socket(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(metadata) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !metadata.file_type().is_socket() {
        return Ok(());
    }
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            "a server is already listening there",
        )),
        Err(_) => std::fs::remove_file(path),
    }
}

fn format_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}
