//! Unix sockets: `serve unix:PATH` listens on one (mode 0600 unless `--socket-mode`), and
//! `connect --unix-socket PATH` dials one, the URL still giving Host and path, as curl's flag
//! does.

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use crate::support::{Client, Lines, run, scratch_dir, text, wsx};

/// `wsx serve unix:PATH ARGS…`, once it says it is listening.
struct UnixServer {
    child: std::process::Child,
    stderr: Lines,
    path: std::path::PathBuf,
}

impl UnixServer {
    fn start(args: &[&str]) -> UnixServer {
        Self::start_at(scratch_dir().join("wsx.sock"), args)
    }

    fn start_at(path: std::path::PathBuf, args: &[&str]) -> UnixServer {
        let mut child = wsx()
            .arg("serve")
            .arg(format!("unix:{}", path.display()))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = Lines::new(child.stderr.take().unwrap());
        let line = stderr.wait_for("listening on ");
        assert!(
            line.ends_with(&format!("listening on unix:{}", path.display())),
            "{line}"
        );
        UnixServer {
            child,
            stderr,
            path,
        }
    }
}

impl Drop for UnixServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn connect_and_serve_over_a_unix_socket() {
    let mut server = UnixServer::start(&["--echo"]);
    let mode = std::fs::metadata(&server.path)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let socket = server.path.display().to_string();
    let output = run(
        &[
            "connect",
            "ws://localhost/chat?room=1",
            "--unix-socket",
            &socket,
        ],
        b"over the socket\n",
    );
    assert!(output.status.success(), "{output:?}");
    assert_eq!(text(&output.stdout), "over the socket\n");
    let line = server.stderr.wait_for("connected from");
    assert!(
        line.contains("connected from unix to ws://localhost/chat?room=1"),
        "{line}"
    );
}

#[test]
fn curl_reaches_the_page_over_the_socket_and_the_mode_can_be_set() {
    crate::support::require_debian_packages(&[("curl", "curl")]);
    let server = UnixServer::start(&["--echo", "--socket-mode", "660"]);
    let mode = std::fs::metadata(&server.path)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o660);
    let output = Command::new("curl")
        .args(["-s", "--unix-socket"])
        .arg(&server.path)
        .arg("http://localhost/")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(text(&output.stdout).contains("id=\"connect\""));
}

/// A publish over the socket is handed to the publish desk like a TCP one, and a kept-alive
/// connection goes on publishing from there.
#[test]
fn curl_publishes_over_the_socket() {
    crate::support::require_debian_packages(&[("curl", "curl")]);
    let mut server = UnixServer::start(&["--broadcast"]);
    let socket = server.path.display().to_string();
    let mut reader = Client::start(&["ws://localhost/room", "--unix-socket", &socket]);
    server.stderr.wait_for("connected from");
    let output = Command::new("curl")
        .args(["-sS", "-v", "--unix-socket", &socket, "-d", "pushed"])
        .args(["http://localhost/room", "http://localhost/room"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        text(&output.stdout),
        "{\"delivered\":1}\n{\"delivered\":1}\n"
    );
    assert!(
        text(&output.stderr).contains("Re-using existing connection"),
        "{output:?}"
    );
    assert_eq!(reader.stdout.take(2), ["pushed", "pushed"]);
    assert!(reader.finish().success());
}

#[test]
fn a_missing_socket_is_a_one_line_connect_failure() {
    let path = scratch_dir().join("nobody.sock");
    let output = run(
        &[
            "connect",
            "ws://localhost/",
            "--unix-socket",
            &path.display().to_string(),
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("nobody.sock"), "{stderr}");
}

#[test]
fn a_stale_socket_file_is_replaced_and_a_live_one_is_not() {
    let first = UnixServer::start(&["--echo"]);
    // A second server on the same live socket fails with one line.
    let output = run(&["serve", &format!("unix:{}", first.path.display())], b"");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        text(&output.stderr).contains("already listening"),
        "{output:?}"
    );
    drop(first);
}
