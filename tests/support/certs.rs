//! A throwaway PKI for the TLS tests, generated with rcgen at run time and written as PEM
//! files into a scratch dir: nothing certificate-like is ever committed.
//!
//! - a server CA, and a server certificate it signed for `localhost` and `127.0.0.1`;
//! - from the same CA, one certificate for another name only and one that has expired;
//! - a separate client CA and a client certificate it signed (for `serve --client-ca`);
//! - a client certificate signed by the server CA instead, which `--client-ca` must refuse.

use std::path::Path;
use std::sync::OnceLock;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, date_time_ymd,
};

/// A certificate and its private key, as PEM file paths.
#[derive(Debug, Clone)]
pub struct Identity {
    pub cert: String,
    pub key: String,
}

#[derive(Debug)]
pub struct Pki {
    /// The CA that signed every server certificate below (for `connect --cacert`).
    pub ca: String,
    /// Valid for `localhost` and `127.0.0.1`.
    pub server: Identity,
    /// Valid only for `other.test`: connecting to localhost must report a name mismatch.
    pub other_name: Identity,
    /// Valid for localhost, but its validity ended in 2000.
    pub expired: Identity,
    /// The CA that `serve --client-ca` trusts.
    pub client_ca: String,
    /// Signed by `client_ca`.
    pub client: Identity,
    /// A client certificate signed by the server CA, which the client CA does not vouch for.
    pub stranger: Identity,
    /// Self-signed for localhost and 127.0.0.1 and marked as a CA, as `openssl req -x509`
    /// makes them: the usual test certificate.
    pub self_signed: Identity,
}

/// The PKI, generated once per test run.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| generate(&super::scratch_dir()))
}

fn generate(dir: &Path) -> Pki {
    let write = |name: &str, pem: String| {
        let path = dir.join(name);
        std::fs::write(&path, pem).unwrap();
        path.to_string_lossy().into_owned()
    };
    let (server_ca, server_ca_pem) = certificate_authority("wsx test server CA");
    let (client_ca, client_ca_pem) = certificate_authority("wsx test client CA");

    let leaf = |file: &str,
                names: &[&str],
                issuer: &Issuer<'_, KeyPair>,
                edit: &dyn Fn(&mut CertificateParams)| {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(
            names
                .iter()
                .map(|name| name.to_string())
                .collect::<Vec<_>>(),
        )
        .unwrap();
        params.distinguished_name.push(DnType::CommonName, names[0]);
        edit(&mut params);
        let cert = params.signed_by(&key, issuer).unwrap();
        Identity {
            cert: write(&format!("{file}.crt"), cert.pem()),
            key: write(&format!("{file}.key"), key.serialize_pem()),
        }
    };
    let server_usage = |params: &mut CertificateParams| {
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    };
    let client_usage = |params: &mut CertificateParams| {
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    };
    Pki {
        ca: write("server-ca.crt", server_ca_pem),
        server: leaf(
            "server",
            &["localhost", "127.0.0.1"],
            &server_ca,
            &server_usage,
        ),
        other_name: leaf("other-name", &["other.test"], &server_ca, &server_usage),
        expired: leaf(
            "expired",
            &["localhost", "127.0.0.1"],
            &server_ca,
            &|params| {
                server_usage(params);
                params.not_before = date_time_ymd(1999, 1, 1);
                params.not_after = date_time_ymd(2000, 1, 1);
            },
        ),
        client_ca: write("client-ca.crt", client_ca_pem),
        client: leaf("client", &["wsx-test-client"], &client_ca, &client_usage),
        stranger: leaf(
            "stranger",
            &["wsx-test-stranger"],
            &server_ca,
            &client_usage,
        ),
        self_signed: {
            let key = KeyPair::generate().unwrap();
            let mut params =
                CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                    .unwrap();
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            Identity {
                cert: write("self-signed.crt", params.self_signed(&key).unwrap().pem()),
                key: write("self-signed.key", key.serialize_pem()),
            }
        },
    }
}

/// A self-signed CA: the issuer for leaves, and its certificate as PEM.
fn certificate_authority(name: &str) -> (Issuer<'static, KeyPair>, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::default();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let mut distinguished_name = DistinguishedName::new();
    distinguished_name.push(DnType::CommonName, name);
    params.distinguished_name = distinguished_name;
    let pem = params.self_signed(&key).unwrap().pem();
    (Issuer::new(params, key), pem)
}
