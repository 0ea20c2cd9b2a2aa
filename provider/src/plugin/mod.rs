//! The go-plugin server: how a core starts, finds and stops this provider.
//!
//! Sequence: check the magic cookie, pick a listener (unix socket, else tcp on
//! loopback in the host's port range; on Windows always tcp, as go-plugin does
//! there), set up auto-mTLS when the host sent its certificate, print the one
//! handshake line on stdout, then serve gRPC until the host calls
//! `GRPCController.Shutdown` or sends SIGTERM. `--debug` serves without TLS and
//! prints a `TF_REATTACH_PROVIDERS` value instead.

mod conn;
mod tls;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use tokio::net::TcpListener;
#[cfg(unix)]
use tokio::net::UnixListener;
use tokio::sync::{mpsc, Notify};
use tokio_stream::wrappers::ReceiverStream;

use crate::framework::{Provider, Server};
use conn::Conn;
pub use tls::PluginTls;

/// The cookie every Terraform-compatible core sets for its providers.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// The go-plugin core protocol version (first field of the handshake line).
const CORE_PROTOCOL_VERSION: u32 = 1;
/// The plugin protocol this provider speaks.
pub const PROTOCOL_VERSION: u32 = 6;
/// The provider's address in registries and reattach configuration.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/ode/ode";

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "This binary is a plugin. These are not meant to be executed directly.\n\
         Please execute the program that consumes these plugins (terraform or tofu), which \
         will load any plugins automatically.\n\
         To debug the provider, run it with --debug."
    )]
    NotAPluginHost,
    #[error("the host does not speak plugin protocol version 6 (offered: {0})")]
    ProtocolVersion(String),
    #[error("could not listen: {0}")]
    Listen(std::io::Error),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("gRPC server: {0}")]
    Grpc(#[from] tonic::transport::Error),
}

/// Where the server listens.
enum Listener {
    #[cfg(unix)]
    Unix(UnixListener, PathBuf),
    Tcp(TcpListener),
}

impl Listener {
    fn network(&self) -> &'static str {
        match self {
            #[cfg(unix)]
            Listener::Unix(..) => "unix",
            Listener::Tcp(_) => "tcp",
        }
    }
    fn address(&self) -> String {
        match self {
            #[cfg(unix)]
            Listener::Unix(_, p) => p.display().to_string(),
            Listener::Tcp(l) => l.local_addr().map(|a| a.to_string()).unwrap_or_default(),
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[cfg(unix)]
fn socket_path() -> PathBuf {
    let dir = env("PLUGIN_UNIX_SOCKET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let nonce: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    dir.join(format!("plugin-ode-{}-{nonce:x}.sock", std::process::id()))
}

async fn listen() -> Result<Listener, ServeError> {
    #[cfg(unix)]
    {
        let path = socket_path();
        match UnixListener::bind(&path) {
            Ok(l) => return Ok(Listener::Unix(l, path)),
            Err(e) => tracing::debug!(error = %e, "unix socket unavailable, using tcp"),
        }
    }
    let min: u16 = env("PLUGIN_MIN_PORT")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10000);
    let max: u16 = env("PLUGIN_MAX_PORT")
        .and_then(|v| v.parse().ok())
        .unwrap_or(25000);
    let mut last = None;
    for port in min..=max {
        match TcpListener::bind(("127.0.0.1", port)).await {
            Ok(l) => return Ok(Listener::Tcp(l)),
            Err(e) => last = Some(e),
        }
    }
    Err(ServeError::Listen(last.unwrap_or_else(|| {
        std::io::Error::other("empty port range")
    })))
}

/// Accepts connections (and runs TLS handshakes concurrently) into a stream for tonic.
fn incoming(
    listener: Listener,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> ReceiverStream<Result<Conn, std::io::Error>> {
    let (tx, rx) = mpsc::channel(16);
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    tokio::spawn(async move {
        loop {
            let raw: Box<dyn conn::Io> = match &listener {
                #[cfg(unix)]
                Listener::Unix(l, _) => match l.accept().await {
                    Ok((s, _)) => Box::new(s),
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                },
                Listener::Tcp(l) => match l.accept().await {
                    Ok((s, _)) => {
                        let _ = s.set_nodelay(true);
                        Box::new(s)
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                },
            };
            let tx = tx.clone();
            match &acceptor {
                None => {
                    if tx.send(Ok(Conn(raw))).await.is_err() {
                        break;
                    }
                }
                Some(acceptor) => {
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        match acceptor.accept(raw).await {
                            Ok(s) => {
                                let _ = tx.send(Ok(Conn(Box::new(s)))).await;
                            }
                            // A peer without the pinned certificate is dropped here.
                            Err(e) => tracing::warn!(error = %e, "TLS handshake rejected"),
                        }
                    });
                }
            }
        }
    });
    ReceiverStream::new(rx)
}

/// Serves `provider` to the core that started this process.
pub async fn serve<P: Provider>(provider: P) -> Result<(), ServeError> {
    if std::env::var(MAGIC_COOKIE_KEY).as_deref() != Ok(MAGIC_COOKIE_VALUE) {
        return Err(ServeError::NotAPluginHost);
    }
    let offered = env("PLUGIN_PROTOCOL_VERSIONS").unwrap_or_default();
    if !offered.split(',').any(|v| v.trim() == "6") {
        return Err(ServeError::ProtocolVersion(offered));
    }
    let tls = match env("PLUGIN_CLIENT_CERT") {
        Some(pem) => Some(PluginTls::new(&pem)?),
        None => None,
    };
    let listener = listen().await?;
    let cert = tls
        .as_ref()
        .map(|t| base64::engine::general_purpose::STANDARD_NO_PAD.encode(&t.cert_der))
        .unwrap_or_default();
    let line = format!(
        "{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|{}|{}|grpc|{cert}\n",
        listener.network(),
        listener.address()
    );
    run(
        provider,
        listener,
        tls.map(|t| t.config),
        false,
        move || {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(line.as_bytes());
            let _ = out.flush();
        },
    )
    .await
}

/// Serves without TLS and prints how to attach a core (`--debug`).
pub async fn serve_debug<P: Provider>(provider: P) -> Result<(), ServeError> {
    let listener = listen().await?;
    let reattach = serde_json::json!({
        PROVIDER_ADDRESS: {
            "Protocol": "grpc",
            "ProtocolVersion": PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": {"Network": listener.network(), "String": listener.address()},
        }
    });
    let msg = format!(
        "Provider started in debug mode. To attach a core, run it with:\n\n\
         \tTF_REATTACH_PROVIDERS='{reattach}'\n\n\
         Stop the provider with Ctrl-C.\n"
    );
    run(provider, listener, None, true, move || {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(msg.as_bytes());
        let _ = out.flush();
    })
    .await
}

async fn run<P: Provider>(
    provider: P,
    listener: Listener,
    tls: Option<Arc<rustls::ServerConfig>>,
    debug: bool,
    announce: impl FnOnce(),
) -> Result<(), ServeError> {
    let socket: Option<PathBuf> = match &listener {
        #[cfg(unix)]
        Listener::Unix(_, p) => Some(p.clone()),
        Listener::Tcp(_) => None,
    };
    let shutdown = Arc::new(Notify::new());
    let server = Arc::new(Server::new(provider));
    let routes = crate::tfproto::router(server, shutdown.clone());
    let stream = incoming(listener, tls);

    let stop = stop_signal(shutdown.clone(), debug);
    announce();
    let result = tonic::transport::Server::builder()
        .add_routes(routes)
        .serve_with_incoming_shutdown(stream, stop)
        .await;
    if let Some(p) = socket {
        let _ = std::fs::remove_file(p);
    }
    result.map_err(ServeError::from)
}

/// Resolves when the server should stop: the host's Shutdown call, SIGTERM, or (in
/// debug mode only: the host handles Ctrl-C for the plugins it manages) SIGINT.
#[cfg(unix)]
async fn stop_signal(shutdown: Arc<Notify>, debug: bool) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).ok();
    let mut int = signal(SignalKind::interrupt()).ok();
    loop {
        tokio::select! {
            _ = shutdown.notified() => break,
            _ = async { term.as_mut()?.recv().await }, if term.is_some() => break,
            _ = async { int.as_mut()?.recv().await }, if int.is_some() => {
                if debug { break; }
                tracing::debug!("ignoring SIGINT; the host decides when to stop");
            }
        }
    }
}

/// Resolves when the server should stop: the host's Shutdown call (a Windows host
/// ends its plugins by killing the process), or Ctrl-C in debug mode.
#[cfg(not(unix))]
async fn stop_signal(shutdown: Arc<Notify>, debug: bool) {
    loop {
        tokio::select! {
            _ = shutdown.notified() => break,
            r = tokio::signal::ctrl_c() => {
                if debug || r.is_err() { break; }
                tracing::debug!("ignoring Ctrl-C; the host decides when to stop");
            }
        }
    }
}
