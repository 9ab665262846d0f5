//! Pipe-mode input for `connect`: `-x` messages, then stdin line by line, then the close at
//! EOF (after `-w`, or once the server has been quiet for `--linger`), all on a plain thread
//! so a blocking stdin never stalls the connection.

use std::io::BufRead;
use std::sync::Arc;

use crate::config::InputOptions;
use crate::input::{line_to_payload, not_utf8_warning, read_chunks, strip_line_ending};
use crate::output::Printer;
use crate::protocol::{Command, OutboxSender};

/// Starts the input thread. It ends when input is exhausted or the session is gone.
pub fn spawn_input(
    sender: OutboxSender,
    input: InputOptions,
    close_at_end: bool,
    printer: Arc<Printer>,
) {
    std::thread::spawn(move || {
        if send_all(&sender, &input, &printer).is_err() {
            return;
        }
        let close = if let Some(wait) = input.wait {
            std::thread::sleep(wait);
            Command::normal_close()
        } else if close_at_end {
            Command::CloseWhenQuiet(input.linger)
        } else {
            // `-n` or `--echo` without `-w`: the peer, not the end of input, ends the session.
            return;
        };
        let _ = sender.blocking_send(close);
    });
}

/// Sends `-x` messages and stdin lines; `Err` once the session has ended.
fn send_all(sender: &OutboxSender, input: &InputOptions, printer: &Printer) -> Result<(), ()> {
    for payload in &input.execute {
        sender
            .blocking_send(Command::Send(payload.clone()))
            .map_err(|_| ())?;
    }
    if !input.read_stdin {
        return Ok(());
    }
    let stdin = std::io::stdin();
    let mut reader = stdin.lock();
    if input.raw {
        return read_chunks(&mut reader, |payload| {
            sender.blocking_send(Command::Send(payload)).is_ok()
        })
        .map_err(|error| printer.warn(&format!("reading stdin failed: {error}")))
        .or(Ok(()));
    }
    let mut line_number = 0u64;
    loop {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(error) => {
                printer.warn(&format!("reading stdin failed: {error}"));
                return Ok(());
            }
        }
        line_number += 1;
        strip_line_ending(&mut line);
        match line_to_payload(line, input.binary) {
            Ok(payload) => sender
                .blocking_send(Command::Send(payload))
                .map_err(|_| ())?,
            Err(_) => printer.warn(&not_utf8_warning(line_number)),
        }
    }
}
