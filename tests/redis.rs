//! `serve --redis`: instances share their channels through a real `redis-server`, started by
//! the test on a Unix socket in its scratch directory (no port to collide on).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Client, DEADLINE, Server, run, scratch_dir, text};

struct Redis {
    child: Child,
    socket: PathBuf,
}

impl Redis {
    fn start() -> Redis {
        Redis::start_at(scratch_dir().join("redis.sock"))
    }

    fn start_at(socket: PathBuf) -> Redis {
        crate::support::require_debian_packages(&[("redis-server", "redis-server")]);
        let child = Command::new("redis-server")
            .args(["--port", "0", "--unixsocket"])
            .arg(&socket)
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run redis-server");
        // Ready when the socket accepts.
        let until = Instant::now() + DEADLINE;
        while std::os::unix::net::UnixStream::connect(&socket).is_err() {
            assert!(Instant::now() < until, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Redis { child, socket }
    }

    fn url(&self) -> String {
        format!("redis+unix://{}", self.socket.display())
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn publish(server: &Server, path: &str, body: &str) -> String {
    crate::support::require_debian_packages(&[("curl", "curl")]);
    let output = Command::new("curl")
        .args(["-s", "-d", body])
        .arg(format!("http://{}{path}", server.addr()))
        .output()
        .unwrap();
    text(&output.stdout)
}

#[test]
fn redis_away_at_start_is_one_line_and_no_listening() {
    let socket = scratch_dir().join("nobody.sock");
    let url = format!("redis+unix://{}", socket.display());
    let output = run(&["serve", "0", "--broadcast", "--redis", &url], b"");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("could not connect to Redis at") && stderr.contains("nobody.sock"),
        "{stderr}"
    );
    assert!(!stderr.contains("listening on"), "{stderr}");
}

#[test]
fn two_instances_share_a_channel_each_message_once_in_order() {
    let redis = Redis::start();
    let url = redis.url();
    let mut one = Server::start(&["--broadcast", "--redis", &url]);
    let mut two = Server::start(&["--broadcast", "--redis", &url]);
    let mut on_one = Client::start(&[&format!("{}/room", one.url)]);
    one.stderr.wait_for("[1] connected");
    let mut on_two = Client::start(&[&format!("{}/room", two.url)]);
    two.stderr.wait_for("[1] connected");
    let mut elsewhere = Client::start(&[&format!("{}/other", two.url), "--jsonl"]);
    two.stderr.wait_for("[2] connected");

    assert_eq!(publish(&one, "/room", "p1").trim(), "{\"delivered\":1}");
    assert_eq!(publish(&two, "/room", "p2").trim(), "{\"delivered\":1}");
    on_one.send_line("from a client of one");
    for index in 0..20 {
        assert!(publish(&two, "/room", &format!("burst {index}")).contains("delivered"));
    }
    let expected: Vec<String> = ["p1", "p2", "from a client of one"]
        .into_iter()
        .map(String::from)
        .chain((0..20).map(|index| format!("burst {index}")))
        .collect();
    // The client of two gets everything, once, in order.
    assert_eq!(on_two.stdout.take(expected.len()), expected);
    // The client of one gets all but its own broadcast.
    let for_one: Vec<String> = expected
        .iter()
        .filter(|message| *message != "from a client of one")
        .cloned()
        .collect();
    assert_eq!(on_one.stdout.take(for_one.len()), for_one);
    // Nothing twice, nothing for another channel.
    assert!(on_one.finish().success());
    assert!(on_two.finish().success());
    assert_eq!(on_two.stdout.next_line(Duration::from_millis(300)), None);
    assert!(elsewhere.finish().success());
    elsewhere.stdout.wait_for("\"close\"");
    assert!(!elsewhere.stdout.seen.join("\n").contains("\"message\""));
}

#[test]
fn losing_redis_keeps_local_delivery_and_its_return_restores_sharing() {
    let mut redis = Redis::start();
    let url = redis.url();
    let mut one = Server::start(&["--broadcast", "--redis", &url]);
    let mut two = Server::start(&["--broadcast", "--redis", &url]);
    let mut on_one = Client::start(&[&format!("{}/r", one.url)]);
    one.stderr.wait_for("[1] connected");
    let mut on_two = Client::start(&[&format!("{}/r", two.url)]);
    two.stderr.wait_for("[1] connected");
    assert!(publish(&one, "/r", "before").contains("\"delivered\":1"));
    assert_eq!(on_two.stdout.take(1), ["before"]);
    assert_eq!(on_one.stdout.take(1), ["before"]);

    redis.stop();
    one.stderr.wait_for("lost Redis at");
    // Local delivery goes on.
    assert!(publish(&one, "/r", "while away").contains("\"delivered\":1"));
    assert_eq!(on_one.stdout.take(1), ["while away"]);

    let _redis = Redis::start_at(redis.socket.clone());
    one.stderr.wait_for("is back");
    two.stderr.wait_for("is back");
    assert!(publish(&one, "/r", "after").contains("\"delivered\":1"));
    // two missed what was published while Redis was away, and gets what follows.
    assert_eq!(on_two.stdout.take(1), ["after"]);
    assert_eq!(on_one.stdout.take(1), ["after"]);
}
