//! wss:// both ways with certificates generated for the run: trust through `--cacert`, the
//! one-line diagnosis of each certificate problem, `-k`, and client certificates required by
//! `serve --client-ca`.

use std::process::Output;

use crate::support::certs::{Identity, pki};
use crate::support::{Server, run, text};

/// `wsx serve --echo` over TLS with `identity`, plus `extra` flags.
fn wss_echo_server(identity: &Identity, extra: &[&str]) -> Server {
    let mut args = vec!["--echo", "--cert", &identity.cert, "--key", &identity.key];
    args.extend_from_slice(extra);
    Server::start(&args)
}

fn localhost_url(server: &Server) -> String {
    format!("wss://localhost:{}/", server.port)
}

/// Asserts a failed connect: exit 1 and a single line on stderr, which it returns.
fn one_line_failure(output: &Output) -> String {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(output.stdout.is_empty(), "{output:?}");
    stderr
}

#[test]
fn wss_round_trip_trusting_the_ca() {
    let pki = pki();
    let server = wss_echo_server(&pki.server, &[]);
    assert!(
        server.url.starts_with("wss://127.0.0.1:"),
        "listening line: {}",
        server.url
    );
    // By name and by address: the certificate covers both.
    for url in [localhost_url(&server), server.url.clone()] {
        let output = run(&["connect", &url, "--cacert", &pki.ca], b"hello\nsecond\n");
        assert!(output.status.success(), "{url}: {output:?}");
        assert_eq!(text(&output.stdout), "hello\nsecond\n", "{url}");
    }
    // --ca is the same option.
    let output = run(
        &["connect", &localhost_url(&server), "--ca", &pki.ca],
        b"alias\n",
    );
    assert_eq!(text(&output.stdout), "alias\n", "{output:?}");
}

#[test]
fn unknown_issuer_is_named_with_the_remedies() {
    let pki = pki();
    let server = wss_echo_server(&pki.server, &[]);
    let output = run(&["connect", &localhost_url(&server)], b"hello\n");
    let stderr = one_line_failure(&output);
    assert!(stderr.contains("unknown issuer"), "{stderr}");
    assert!(stderr.contains("--cacert"), "{stderr}");
    assert!(stderr.contains("-k"), "{stderr}");
}

#[test]
fn the_wrong_cacert_file_is_named() {
    let pki = pki();
    let server = wss_echo_server(&pki.server, &[]);
    // The CA of client certificates: not the one that signed the server's.
    let output = run(
        &[
            "connect",
            &localhost_url(&server),
            "--cacert",
            &pki.client_ca,
        ],
        b"hello\n",
    );
    let stderr = one_line_failure(&output);
    assert!(
        stderr.contains(&format!("is not signed by a CA in {}", pki.client_ca)),
        "{stderr}"
    );
}

#[test]
fn insecure_accepts_an_untrusted_certificate() {
    let pki = pki();
    let server = wss_echo_server(&pki.server, &[]);
    let output = run(&["connect", &localhost_url(&server), "-k"], b"hello\n");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(text(&output.stdout), "hello\n");
    // Even a certificate for another name, which -k is there for.
    let other = wss_echo_server(&pki.other_name, &[]);
    let output = run(&["connect", &localhost_url(&other), "--insecure"], b"x\n");
    assert_eq!(text(&output.stdout), "x\n", "{output:?}");
}

#[test]
fn name_mismatch_is_named() {
    let pki = pki();
    let server = wss_echo_server(&pki.other_name, &[]);
    let output = run(
        &["connect", &localhost_url(&server), "--cacert", &pki.ca],
        b"hello\n",
    );
    let stderr = one_line_failure(&output);
    assert!(
        stderr.contains("not valid for the name localhost (it is for other.test)"),
        "{stderr}"
    );
}

#[test]
fn an_encrypted_key_is_named_as_such() {
    let pki = pki();
    // What `openssl pkcs8 -topk8` writes: PKCS#8 with an encryption header of its own.
    let key = crate::support::scratch_dir().join("encrypted.key");
    std::fs::write(
        &key,
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n",
    )
    .unwrap();
    let key = key.display().to_string();
    let output = run(
        &["serve", "0", "--cert", &pki.server.cert, "--key", &key],
        b"",
    );
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("encrypted private key"), "{stderr}");
    let output = run(
        &[
            "connect",
            "wss://localhost:1/",
            "--cert",
            &pki.client.cert,
            "--key",
            &key,
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(
        text(&output.stderr).contains("encrypted private key"),
        "{output:?}"
    );
}

#[test]
fn expired_certificate_is_named() {
    let pki = pki();
    let server = wss_echo_server(&pki.expired, &[]);
    let output = run(
        &["connect", &localhost_url(&server), "--cacert", &pki.ca],
        b"hello\n",
    );
    let stderr = one_line_failure(&output);
    assert!(stderr.contains("expired"), "{stderr}");
}

#[test]
fn client_ca_refuses_a_client_without_a_certificate() {
    let pki = pki();
    let mut server = wss_echo_server(&pki.server, &["--client-ca", &pki.client_ca]);
    let output = run(
        &["connect", &localhost_url(&server), "--cacert", &pki.ca],
        b"hello\n",
    );
    let stderr = one_line_failure(&output);
    let lower = stderr.to_lowercase();
    assert!(
        lower.contains("alert") && lower.contains("certificate"),
        "{stderr}"
    );
    assert!(stderr.contains("--cert"), "{stderr}");
    server.stderr.wait_for(
        "TLS handshake failed: the client sent no certificate, which --client-ca requires",
    );
}

#[test]
fn client_ca_refuses_a_certificate_from_another_ca() {
    let pki = pki();
    let mut server = wss_echo_server(&pki.server, &["--client-ca", &pki.client_ca]);
    let output = run(
        &[
            "connect",
            &localhost_url(&server),
            "--cacert",
            &pki.ca,
            "--cert",
            &pki.stranger.cert,
            "--key",
            &pki.stranger.key,
        ],
        b"hello\n",
    );
    let stderr = one_line_failure(&output);
    assert!(stderr.contains("alert"), "{stderr}");
    assert!(
        stderr.contains("did not accept the client certificate"),
        "{stderr}"
    );
    server
        .stderr
        .wait_for("TLS handshake failed: the client certificate is signed by an unknown issuer");
}

#[test]
fn client_ca_accepts_a_client_certificate() {
    let pki = pki();
    let server = wss_echo_server(&pki.server, &["--client-ca", &pki.client_ca]);
    let output = run(
        &[
            "connect",
            &localhost_url(&server),
            "--cacert",
            &pki.ca,
            "--cert",
            &pki.client.cert,
            "--key",
            &pki.client.key,
        ],
        b"with a certificate\n",
    );
    assert!(output.status.success(), "{output:?}");
    assert_eq!(text(&output.stdout), "with a certificate\n");
}

#[test]
fn a_self_signed_certificate_is_trusted_by_naming_it() {
    let pki = pki();
    let server = wss_echo_server(&pki.self_signed, &[]);
    let output = run(&["connect", &localhost_url(&server)], b"hi\n");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("is self-signed"), "{stderr}");
    assert!(
        stderr.contains("--cacert FILE (the certificate itself)"),
        "{stderr}"
    );
    // As curl and Node do: the certificate itself in --cacert is enough, by name or address.
    for url in [localhost_url(&server), server.url.clone()] {
        let output = run(
            &["connect", &url, "--cacert", &pki.self_signed.cert],
            b"hi\n",
        );
        assert!(output.status.success(), "{url}: {output:?}");
        assert_eq!(text(&output.stdout), "hi\n");
    }
}

#[test]
fn the_wrong_scheme_is_pointed_out() {
    let pki = pki();
    let secure = wss_echo_server(&pki.server, &[]);
    let plain_url = secure.url.replacen("wss://", "ws://", 1);
    let output = run(&["connect", &plain_url], b"");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("is it a wss:// server?"),
        "{output:?}"
    );
    let plain = Server::start(&["--echo"]);
    let secure_url = plain.url.replacen("ws://", "wss://", 1);
    let output = run(&["connect", &secure_url, "-k"], b"");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("is it a plain ws:// server?"),
        "{output:?}"
    );
}
