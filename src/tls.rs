//! rustls for both ends: trust roots (system, then webpki as a fallback, or `--cacert`),
//! `-k`, client certificates, the server's certificate and `--client-ca`; and TLS failures
//! turned into one line that says what went wrong and what to try.

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{WebPkiServerVerifier, verify_server_name};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::{ParsedCertificate, WebPkiClientVerifier};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig,
    SignatureScheme,
};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::{Error, Result};

/// What `connect` was told about TLS.
#[derive(Debug, Clone, Default)]
pub struct ClientTlsOptions {
    pub insecure: bool,
    pub ca_file: Option<String>,
    /// `--cert` and `--key`.
    pub identity: Option<(String, String)>,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

pub fn load_certs(path: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(Path::new(path))
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|error| {
            Error::Usage(format!(
                "cannot read certificates from {path}: {}",
                pem_reason(&error)
            ))
        })?;
    if certs.is_empty() {
        return Err(Error::Usage(format!("{path} holds no PEM certificate")));
    }
    Ok(certs)
}

/// A PEM reader's error as wsx words an I/O failure elsewhere: "no such file or directory".
fn pem_reason(error: &rustls::pki_types::pem::Error) -> String {
    match error {
        rustls::pki_types::pem::Error::Io(error) => crate::error::io_reason(error),
        other => other.to_string(),
    }
}

pub fn load_key(path: &str) -> Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_file(Path::new(path)).map_err(|error| {
        // An encrypted key has its own PEM label, which the reader does not take.
        let encrypted = std::fs::read_to_string(path).is_ok_and(|pem| {
            pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
                || pem.contains("Proc-Type: 4,ENCRYPTED")
        });
        if encrypted {
            Error::Usage(format!(
                "{path} holds an encrypted private key, which wsx cannot use; decrypt it first \
                 (openssl pkey -in {path} -out plain.key)"
            ))
        } else {
            Error::Usage(format!(
                "cannot read a private key from {path}: {}",
                pem_reason(&error)
            ))
        }
    })
}

fn roots_from_file(path: &str) -> Result<RootCertStore> {
    roots_from(load_certs(path)?, path)
}

/// `certs`, read from `path`, as trust roots.
fn roots_from(certs: Vec<CertificateDer<'static>>, path: &str) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots
            .add(cert)
            .map_err(|error| Error::Usage(format!("bad CA certificate in {path}: {error}")))?;
    }
    Ok(roots)
}

/// The system's roots, or the bundled webpki roots when the system has none.
fn default_roots() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if roots.is_empty() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    roots
}

pub fn client_config(options: &ClientTlsOptions) -> Result<Arc<ClientConfig>> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| Error::Usage(format!("TLS setup failed: {error}")))?;
    let builder = if options.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
    } else {
        match &options.ca_file {
            Some(path) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(TrustFile::load(path, provider)?)),
            None => builder.with_root_certificates(default_roots()),
        }
    };
    let mut config = match &options.identity {
        Some((cert, key)) => builder
            .with_client_auth_cert(load_certs(cert)?, load_key(key)?)
            .map_err(|error| {
                Error::Usage(format!(
                    "bad client certificate or key: {}",
                    describe_rustls(&error)
                ))
            })?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

pub fn server_config(cert: &str, key: &str, client_ca: Option<&str>) -> Result<Arc<ServerConfig>> {
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| Error::Usage(format!("TLS setup failed: {error}")))?;
    let builder = match client_ca {
        Some(path) => {
            let verifier = WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots_from_file(path)?),
                provider,
            )
            .build()
            .map_err(|error| Error::Usage(format!("bad --client-ca {path}: {error}")))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let config = builder
        .with_single_cert(load_certs(cert)?, load_key(key)?)
        .map_err(|error| Error::Usage(format!("bad server certificate or key: {error}")))?;
    Ok(Arc::new(config))
}

pub fn server_name(host: &str) -> Result<ServerName<'static>> {
    ServerName::try_from(host.to_string())
        .map_err(|_| Error::Usage(format!("'{host}' is not a valid TLS server name")))
}

/// One line for a failed TLS handshake, with a hint where one fits. `sent_client_cert`
/// tells a refused client certificate apart from a missing one.
/// `trusted` is the `--cacert` file, when one was given.
pub fn describe_failure(
    error: &io::Error,
    host: &str,
    sent_client_cert: bool,
    trusted: Option<&str>,
) -> String {
    match rustls_error(error) {
        // The user named what to trust, and this is not it: pointing at --cacert again
        // would not help.
        Some(rustls::Error::InvalidCertificate(problem))
            if trusted.is_some() && is_untrusted_issuer(problem) =>
        {
            format!(
                "TLS: the certificate of {host} is not signed by a CA in {file}, nor is it a \
                 certificate listed there; check the file, or skip verification with -k",
                file = trusted.unwrap_or_default()
            )
        }
        Some(tls) => describe_tls_error(tls, host, sent_client_cert),
        None => format!(
            "TLS handshake with {host} failed: {}",
            crate::error::io_reason(error)
        ),
    }
}

fn rustls_error(error: &io::Error) -> Option<&rustls::Error> {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
}

/// The certificate does not chain to anything trusted (self-signed ones included).
fn is_untrusted_issuer(problem: &CertificateError) -> bool {
    match problem {
        CertificateError::UnknownIssuer => true,
        CertificateError::Other(other) => other.to_string().contains("CaUsedAsEndEntity"),
        _ => false,
    }
}

/// What is wrong with a certificate, as the rest of a sentence ("the certificate … ").
fn certificate_problem(problem: &CertificateError, host: &str) -> String {
    match problem {
        CertificateError::UnknownIssuer => "is signed by an unknown issuer".to_string(),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "has expired".to_string()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "is not valid yet".to_string()
        }
        CertificateError::NotValidForNameContext { presented, .. } if !presented.is_empty() => {
            // webpki presents the names in their debug form: `DnsName("a.test")`.
            let names: Vec<&str> = presented
                .iter()
                .map(|name| {
                    name.split_once('(')
                        .map_or(name.as_str(), |(_, inner)| inner.trim_end_matches(')'))
                        .trim_matches('"')
                })
                .collect();
            format!(
                "is not valid for the name {host} (it is for {})",
                names.join(", ")
            )
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!("is not valid for the name {host}")
        }
        CertificateError::Revoked => "has been revoked".to_string(),
        CertificateError::BadSignature => "has a signature that does not verify".to_string(),
        // webpki's reasons come only as debug names inside `Other`.
        CertificateError::Other(other) => match other.to_string().as_str() {
            text if text.contains("CaUsedAsEndEntity") => {
                "is self-signed (a CA certificate used as an end-entity certificate)".to_string()
            }
            text if text.contains("UnsupportedCertVersion") => {
                "is an X.509 v1 certificate; only v3 is supported".to_string()
            }
            text => format!("was rejected ({text})"),
        },
        other => format!("was rejected ({other:?})"),
    }
}

/// A rustls error in words, certificate problems spelled out.
fn describe_rustls(error: &rustls::Error) -> String {
    match error {
        rustls::Error::InvalidCertificate(problem) => {
            format!(
                "the certificate {}",
                certificate_problem(problem, "its host")
            )
        }
        other => other.to_string(),
    }
}

/// A failed TLS handshake as `serve` logs it.
pub fn describe_server_failure(error: &io::Error) -> String {
    match rustls_error(error) {
        Some(rustls::Error::InvalidCertificate(problem)) => format!(
            "the client certificate {}; --client-ca accepts certificates its CA signed",
            certificate_problem(problem, "the client")
        ),
        Some(rustls::Error::NoCertificatesPresented) => {
            "the client sent no certificate, which --client-ca requires".to_string()
        }
        Some(other) => describe_rustls(other),
        None => crate::error::io_reason(error),
    }
}

pub fn describe_tls_error(tls: &rustls::Error, host: &str, sent_client_cert: bool) -> String {
    match tls {
        rustls::Error::InvalidCertificate(problem) => {
            if let CertificateError::Other(other) = problem
                && other.to_string().contains("CaUsedAsEndEntity")
            {
                return format!(
                    "TLS: the certificate of {host} is self-signed (a CA certificate used \
                     as a server certificate); trust it with --cacert FILE (the \
                     certificate itself), or skip verification with -k"
                );
            }
            // A name or date problem is not cured by trusting another CA.
            let hint = if is_untrusted_issuer(problem) {
                "trust its CA with --cacert FILE, or skip verification with -k"
            } else {
                "skip verification with -k if you must"
            };
            format!(
                "TLS: the certificate of {host} {}; {hint}",
                certificate_problem(problem, host)
            )
        }
        rustls::Error::AlertReceived(alert) => {
            let about_client_cert = format!("{alert:?}").contains("Certificate")
                || *alert == rustls::AlertDescription::UnknownCA;
            let hint = match (about_client_cert, sent_client_cert) {
                (false, _) => "",
                (true, false) => " (the server requires a client certificate: --cert and --key)",
                (true, true) => " (the server did not accept the client certificate)",
            };
            format!("TLS handshake with {host} failed: the server sent alert {alert:?}{hint}")
        }
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => format!(
            "TLS handshake with {host} failed: the answer is not TLS; is it a plain ws:// server?"
        ),
        other => format!("TLS handshake with {host} failed: {other}"),
    }
}

/// Remembers the first TLS error that passes through the stream. A TLS 1.3 server checks
/// the client certificate only after its own Finished, so the client learns of a refusal
/// on its first read, in the middle of the WebSocket upgrade; this lets that failure still
/// be reported as the TLS failure it is.
pub struct TlsErrorProbe<S> {
    inner: S,
    seen: Arc<Mutex<Option<rustls::Error>>>,
}

impl<S> TlsErrorProbe<S> {
    pub fn new(inner: S) -> Self {
        TlsErrorProbe {
            inner,
            seen: Arc::default(),
        }
    }

    /// Where the first TLS error will be, readable after the stream has moved on.
    pub fn seen(&self) -> Arc<Mutex<Option<rustls::Error>>> {
        self.seen.clone()
    }

    fn record<T>(&self, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if let Poll::Ready(Err(error)) = &poll
            && let Some(tls) = rustls_error(error)
        {
            let mut seen = self
                .seen
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            seen.get_or_insert_with(|| tls.clone());
        }
        poll
    }
}

// The TLS stream inside cannot tell either (see `ReadReady`).
impl<S> crate::protocol::ReadReady for TlsErrorProbe<S> {}

impl<S: AsyncRead + Unpin> AsyncRead for TlsErrorProbe<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        self.record(poll)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TlsErrorProbe<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.record(poll)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.record(poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.record(poll)
    }
}

/// `--cacert FILE`: certificates chaining to a CA in the file are trusted, as usual; and, as
/// curl and Node do, a server certificate that is itself in the file is trusted too (the
/// common self-signed test certificate, often marked as a CA), once its name matches.
#[derive(Debug)]
struct TrustFile {
    webpki: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

impl TrustFile {
    fn load(path: &str, provider: Arc<CryptoProvider>) -> Result<TrustFile> {
        let pinned = load_certs(path)?;
        let roots = roots_from(pinned.clone(), path)?;
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|error| Error::Usage(format!("bad --cacert {path}: {error}")))?;
        Ok(TrustFile { webpki, pinned })
    }
}

impl ServerCertVerifier for TrustFile {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let pinned = self
            .pinned
            .iter()
            .any(|cert| cert.as_ref() == end_entity.as_ref());
        match verdict {
            Err(_) if pinned => {
                verify_server_name(&ParsedCertificate::try_from(end_entity)?, server_name)?;
                Ok(ServerCertVerified::assertion())
            }
            verdict => verdict,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// `-k`: trusts any certificate, but still checks the handshake signatures.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
