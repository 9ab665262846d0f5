//! The interactive line editor shared by `connect` and the `serve` console: rustyline on its
//! own thread, history in the XDG state directory, and incoming events printed above the
//! prompt through rustyline's external printer.

pub mod command;

use std::io::Write;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::Arc;

use nix::sys::termios::{SetArg, Termios, tcgetattr, tcsetattr};
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{Config, Editor};
use tokio::sync::mpsc;

use crate::output::Printer;

/// What the person at the prompt did.
#[derive(Debug)]
pub enum Input {
    Line(String),
    /// Ctrl-D on an empty line, or Ctrl-C: leave normally.
    End,
}

/// Puts the terminal back as it was when the REPL started. The editor thread may still be
/// inside `readline` (in raw mode) when the session ends, so this restores the saved mode
/// rather than waiting for rustyline to do it.
pub struct TerminalGuard {
    saved: Option<Termios>,
    printer: Arc<Printer>,
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        self.printer.detach_repl();
        if let Some(saved) = &self.saved {
            let stdin = std::io::stdin();
            let _ = tcsetattr(stdin.as_fd(), SetArg::TCSANOW, saved);
            // Clear the half-drawn prompt line so the last messages start at column 0.
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(b"\r\x1b[K");
            let _ = stdout.flush();
        }
    }
}

/// `$XDG_STATE_HOME/wsx/history` (or the platform's equivalent).
fn history_path() -> Option<PathBuf> {
    let dir = dirs::state_dir().or_else(dirs::data_local_dir)?;
    Some(dir.join("wsx").join("history"))
}

/// Starts the editor thread. Lines arrive on the returned channel; the guard restores the
/// terminal when dropped.
pub fn start(
    printer: Arc<Printer>,
    prompt: String,
) -> Result<(mpsc::Receiver<Input>, TerminalGuard), String> {
    let saved = tcgetattr(std::io::stdin().as_fd()).ok();
    let config = Config::builder().auto_add_history(false).build();
    let mut editor: Editor<(), FileHistory> =
        Editor::with_config(config).map_err(|error| format!("cannot start the REPL: {error}"))?;
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    let external = editor
        .create_external_printer()
        .map_err(|error| format!("cannot start the REPL: {error}"))?;
    printer.attach_repl(Box::new(external));
    let guard = TerminalGuard {
        saved,
        printer: printer.clone(),
    };

    let (lines_tx, lines_rx) = mpsc::channel(16);
    std::thread::spawn(move || {
        loop {
            let input = match editor.readline(&prompt) {
                Ok(line) => {
                    remember(&mut editor, history.as_ref(), &line);
                    Input::Line(line)
                }
                Err(ReadlineError::Eof | ReadlineError::Interrupted) => Input::End,
                Err(error) => {
                    printer.warn(&format!("REPL error: {error}"));
                    Input::End
                }
            };
            let end = matches!(input, Input::End);
            if lines_tx.blocking_send(input).is_err() || end {
                break;
            }
        }
    });
    Ok((lines_rx, guard))
}

fn remember(editor: &mut Editor<(), FileHistory>, path: Option<&PathBuf>, line: &str) {
    if line.trim().is_empty() || editor.add_history_entry(line).is_err() {
        return;
    }
    if let Some(path) = path {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        // Appended at once: the process may end while the thread is still in readline.
        let _ = editor.append_history(path);
    }
}
