//! A real pseudo-terminal with a terminal emulator (vt100) reading the screen, for REPL
//! tests: what a person would see, not what the program wrote.

use std::fs::File;
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use nix::pty::{Winsize, openpty};

use super::{DEADLINE, wait_status, wsx};

pub struct Terminal {
    pub child: Child,
    writer: Arc<Mutex<File>>,
    screen: Arc<Mutex<vt100::Parser>>,
}

const ROWS: u16 = 30;
const COLS: u16 = 120;

impl Terminal {
    /// Runs `wsx args…` with stdin, stdout and stderr on a fresh pty.
    pub fn spawn(args: &[&str]) -> Terminal {
        Self::spawn_with_env(args, &[])
    }

    /// As `spawn`, with extra environment variables (`TERM=dumb`, …).
    pub fn spawn_with_env(args: &[&str], env: &[(&str, &str)]) -> Terminal {
        let size = Winsize {
            ws_row: ROWS,
            ws_col: COLS,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = openpty(Some(&size), None).expect("openpty");
        let slave = pty.slave;
        // Through `setsid -c`, so the pty becomes wsx's controlling terminal as a real one
        // is: Ctrl-C outside the line editor is a SIGINT, as a person's would be.
        let base = wsx();
        let mut command = std::process::Command::new("setsid");
        command.arg("-c").arg(base.get_program());
        for (name, value) in base.get_envs() {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        let child = command
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave))
            .spawn()
            .expect("spawn wsx on a pty");
        let master = File::from(pty.master);
        let writer = Arc::new(Mutex::new(master.try_clone().unwrap()));
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            NonZeroU16::new(ROWS).unwrap(),
            NonZeroU16::new(COLS).unwrap(),
            0,
        )));
        let (reader_screen, reader_writer) = (screen.clone(), writer.clone());
        thread::spawn(move || read_screen(master, reader_screen, reader_writer));
        Terminal {
            child,
            writer,
            screen,
        }
    }

    /// Types text as keystrokes (use "\r" for Enter, "\x04" for Ctrl-D).
    pub fn type_keys(&self, keys: &str) {
        let mut writer = self.writer.lock().unwrap();
        writer.write_all(keys.as_bytes()).unwrap();
        writer.flush().unwrap();
    }

    /// The first `ws://` URL on the screen (what `listening on` printed).
    pub fn url_on_screen(&self) -> String {
        self.contents()
            .split_whitespace()
            .find(|word| word.starts_with("ws://"))
            .expect("a ws:// URL on the screen")
            .to_string()
    }

    pub fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// The rows of the screen, trailing blanks trimmed.
    pub fn rows(&self) -> Vec<String> {
        let parser = self.screen.lock().unwrap();
        parser
            .screen()
            .rows(0, COLS)
            .map(|row| row.trim_end().to_string())
            .collect()
    }

    /// The row the cursor is on.
    pub fn cursor_row(&self) -> String {
        let parser = self.screen.lock().unwrap();
        let (row, _) = parser.screen().cursor_position();
        parser
            .screen()
            .rows(0, COLS)
            .nth(row as usize)
            .unwrap_or_default()
            .trim_end()
            .to_string()
    }

    /// Waits until the screen shows `needle`.
    pub fn wait_for(&self, needle: &str) {
        self.wait_until(&format!("screen shows {needle:?}"), |screen| {
            screen.contains(needle)
        });
    }

    pub fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) {
        let until = Instant::now() + DEADLINE;
        while Instant::now() < until {
            if done(&self.contents()) {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "timed out waiting until {what}; screen:\n{}",
            self.contents()
        );
    }

    pub fn wait_exit(&mut self) -> ExitStatus {
        wait_status(&mut self.child, DEADLINE)
            .unwrap_or_else(|| panic!("wsx did not exit; screen:\n{}", self.contents()))
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Feeds everything the program writes to the emulator, and answers the cursor position
/// query (ESC [ 6 n) that line editors send, as a real terminal would.
fn read_screen(mut master: File, screen: Arc<Mutex<vt100::Parser>>, writer: Arc<Mutex<File>>) {
    let mut buffer = [0u8; 4096];
    loop {
        let read = match master.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        let chunk = &buffer[..read];
        let mut parser = screen.lock().unwrap();
        let mut rest = chunk;
        while let Some(at) = find(rest, b"\x1b[6n") {
            parser.process(&rest[..at]);
            let (row, col) = parser.screen().cursor_position();
            let reply = format!("\x1b[{};{}R", row + 1, col + 1);
            let _ = writer.lock().unwrap().write_all(reply.as_bytes());
            rest = &rest[at + 4..];
        }
        parser.process(rest);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
