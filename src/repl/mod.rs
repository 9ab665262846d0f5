//! The interactive line editor shared by `connect` and the `serve` console: rustyline on its
//! own thread, history in the XDG state directory, Tab completion of slash commands, `/multi`
//! messages, and incoming events printed above the prompt through rustyline's external
//! printer.

pub mod command;

use std::io::Write;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::Arc;

use nix::sys::termios::{SetArg, Termios, tcgetattr, tcsetattr};
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::FileHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor, Helper};
use tokio::sync::mpsc;

use crate::error::io_reason;
use crate::output::{Printer, Saved};

/// What the person at the prompt did.
#[derive(Debug)]
pub enum Input {
    /// A line as typed (or pasted: a bracketed paste keeps its newlines in the one line).
    Line(String),
    /// The lines of a `/multi` message, joined with `\n`: a text message, never a command.
    Message(String),
    /// Ctrl-D on an empty line, or Ctrl-C: leave normally.
    End,
}

/// The prompt while a `/multi` message is being typed.
const MULTI_PROMPT: &str = "... ";

/// Tab completion of slash command names. Other lines are messages and complete nothing.
struct SlashCommands {
    names: Vec<&'static str>,
}

impl Completer for SlashCommands {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let typed = &line[..pos];
        if !typed.starts_with('/') || typed.contains(char::is_whitespace) {
            return Ok((0, Vec::new()));
        }
        let candidates = self
            .names
            .iter()
            .filter(|name| name.starts_with(typed))
            // The space saves a keystroke before the arguments, as shells do.
            .map(|name| format!("{name} "))
            .collect();
        Ok((0, candidates))
    }
}

impl Hinter for SlashCommands {
    type Hint = String;
}

impl Highlighter for SlashCommands {}

impl Validator for SlashCommands {}

impl Helper for SlashCommands {}

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

/// Starts the editor thread, with Tab completing `commands`. Lines arrive on the returned
/// channel; the guard restores the terminal when dropped.
pub fn start(
    printer: Arc<Printer>,
    prompt: String,
    commands: Vec<&'static str>,
) -> Result<(mpsc::Receiver<Input>, TerminalGuard), String> {
    let saved = tcgetattr(std::io::stdin().as_fd()).ok();
    let config = Config::builder()
        .auto_add_history(false)
        // Like bash: Tab completes what all candidates share, a second Tab lists them.
        .completion_type(CompletionType::List)
        .build();
    let mut editor: Editor<SlashCommands, FileHistory> =
        Editor::with_config(config).map_err(|error| error.to_string())?;
    editor.set_helper(Some(SlashCommands { names: commands }));
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    let external = editor
        .create_external_printer()
        .map_err(|error| error.to_string())?;
    printer.attach_repl(Box::new(external));
    let guard = TerminalGuard {
        saved,
        printer: printer.clone(),
    };

    let (lines_tx, lines_rx) = mpsc::channel(16);
    std::thread::spawn(move || {
        // The lines of a `/multi` message typed so far.
        let mut multi: Option<Vec<String>> = None;
        loop {
            let prompt = if multi.is_some() {
                MULTI_PROMPT
            } else {
                &prompt
            };
            let input = match (editor.readline(prompt), &mut multi) {
                (Ok(line), Some(lines)) if !line.is_empty() => {
                    lines.push(line);
                    continue;
                }
                (Ok(_), Some(lines)) => {
                    let message = lines.join("\n");
                    multi = None;
                    if message.is_empty() {
                        printer.info("nothing to send");
                        continue;
                    }
                    remember(&mut editor, history.as_ref(), &message);
                    Input::Message(message)
                }
                (Ok(line), None) if command::is_multi(&line) => {
                    remember(&mut editor, history.as_ref(), &line);
                    printer.info("type the message; an empty line sends it, Ctrl-C drops it");
                    multi = Some(Vec::new());
                    continue;
                }
                (Ok(line), None) => {
                    remember(&mut editor, history.as_ref(), &line);
                    Input::Line(line)
                }
                (Err(ReadlineError::Interrupted), Some(_)) => {
                    printer.info("message dropped");
                    multi = None;
                    continue;
                }
                (Err(ReadlineError::Eof | ReadlineError::Interrupted), _) => Input::End,
                (Err(error), _) => {
                    printer.warn(&format!("REPL error: {error}"));
                    Input::End
                }
            };
            // No new prompt after the last line: it would be drawn while the session closes
            // and left on the screen, under the shell's own.
            let end = match &input {
                Input::End => true,
                Input::Line(line) => command::ends_session(line),
                Input::Message(_) => false,
            };
            if lines_tx.blocking_send(input).is_err() || end {
                break;
            }
        }
    });
    Ok((lines_rx, guard))
}

/// `/save FILE` (`~/` is the home directory), reported at the prompt. An existing file is
/// kept unless `/save!` asked to replace it.
pub fn save_transcript(printer: &Printer, path: &str, overwrite: bool) {
    let expanded = expand_home(path);
    if !overwrite && expanded.exists() {
        printer.warn(&format!(
            "{path} exists; /save! {path} replaces it, or choose another name"
        ));
        return;
    }
    match printer.save_transcript(&expanded) {
        Ok(Saved { lines, dropped: 0 }) => printer.info(&format!("saved {lines} events to {path}")),
        Ok(Saved { lines, dropped }) => printer.info(&format!(
            "saved the last {lines} events to {path} ({dropped} older ones were not kept)"
        )),
        Err(error) => printer.warn(&format!("cannot write {path}: {}", io_reason(&error))),
    }
}

/// `~` and `~/…` as the shell would read them.
fn expand_home(path: &str) -> PathBuf {
    let home = || dirs::home_dir().unwrap_or_default();
    match path.strip_prefix('~') {
        Some("") => home(),
        Some(rest) if rest.starts_with('/') => home().join(rest.trim_start_matches('/')),
        _ => PathBuf::from(path),
    }
}

fn remember(editor: &mut Editor<SlashCommands, FileHistory>, path: Option<&PathBuf>, line: &str) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use rustyline::history::MemHistory;

    fn complete(line: &str) -> Vec<String> {
        let helper = SlashCommands {
            names: command::names(true),
        };
        let history = MemHistory::new();
        let (start, candidates) = helper
            .complete(line, line.len(), &Context::new(&history))
            .unwrap();
        assert_eq!(start, 0);
        candidates
    }

    #[test]
    fn tab_completes_command_names_only() {
        assert_eq!(complete("/k"), ["/kick "]);
        assert_eq!(complete("/cl"), ["/clients ", "/client ", "/close "]);
        assert_eq!(
            complete("/"),
            command::names(true)
                .iter()
                .map(|name| format!("{name} "))
                .collect::<Vec<_>>()
        );
        assert!(complete("/close 40").is_empty());
        assert!(complete("hello /cl").is_empty());
        assert!(complete("//cl").is_empty());
    }
}
