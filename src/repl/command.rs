//! Slash commands typed at the REPL prompt. A line that does not start with `/` is a message;
//! `//` starts a message with a literal `/`. (`/multi` never gets here: the editor thread
//! handles it, since it changes how the next lines are read.)

use base64::Engine as _;

use crate::protocol::message::is_sendable_close_code;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplCommand {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close {
        code: u16,
        reason: String,
    },
    Quit,
    Help,
    /// Write the transcript so far to this file (`/save!`: replacing one that exists).
    Save {
        path: String,
        overwrite: bool,
    },
    /// serve only: send to one client (proxy: `/client`, as if from upstream).
    To {
        client: u64,
        text: String,
    },
    /// proxy only: send to a client's upstream, as if from that client.
    ToUpstream {
        client: u64,
        text: String,
    },
    /// serve only: list connected clients.
    Clients,
    /// serve only: close one client.
    Kick {
        client: u64,
        code: u16,
        reason: String,
    },
}

impl ReplCommand {
    /// Commands that only make sense in the `serve` console.
    pub fn is_serve_only(&self) -> bool {
        matches!(
            self,
            ReplCommand::To { .. }
                | ReplCommand::ToUpstream { .. }
                | ReplCommand::Clients
                | ReplCommand::Kick { .. }
        )
    }
}

/// `/quit` or `/close`: after this line the prompt is not shown again.
pub fn ends_session(line: &str) -> bool {
    matches!(
        parse(line),
        Ok(ReplCommand::Quit | ReplCommand::Close { .. })
    )
}

/// Starts a multi-line message: the lines that follow, up to an empty one, are one message.
pub fn is_multi(line: &str) -> bool {
    line.trim_end() == "/multi"
}

/// The commands Tab completes, in the order `/help` lists them (aliases left out).
pub fn names(serve: bool) -> Vec<&'static str> {
    let mut names = vec!["/binary", "/ping", "/pong", "/multi", "/save", "/save!"];
    if serve {
        names.extend(["/to", "/clients", "/kick", "/client", "/upstream"]);
    }
    names.extend(["/close", "/quit", "/help"]);
    names
}

/// RFC 6455 §5.5: control frame payloads are at most 125 bytes; a Close spends 2 on its code.
const MAX_CONTROL_PAYLOAD: usize = 125;
const MAX_CLOSE_REASON: usize = MAX_CONTROL_PAYLOAD - 2;

pub fn parse(line: &str) -> Result<ReplCommand, String> {
    if let Some(literal) = line.strip_prefix("//") {
        return Ok(ReplCommand::Text(format!("/{literal}")));
    }
    let Some(command_line) = line.strip_prefix('/') else {
        return Ok(ReplCommand::Text(line.to_string()));
    };
    let (name, rest) = match command_line.split_once(char::is_whitespace) {
        Some((name, rest)) => (name, rest.trim_start()),
        None => (command_line, ""),
    };
    match name {
        "help" | "?" => Ok(ReplCommand::Help),
        "quit" | "exit" | "q" => Ok(ReplCommand::Quit),
        "ping" => control_payload(rest).map(ReplCommand::Ping),
        "pong" => control_payload(rest).map(ReplCommand::Pong),
        "binary" | "bin" if rest.trim().is_empty() => {
            Err("/binary needs data: /binary 68 69, or /binary b64:aGk=".into())
        }
        "binary" | "bin" => parse_binary(rest).map(ReplCommand::Binary),
        "close" => parse_close(rest),
        "save" | "save!" if rest.is_empty() => Err("/save needs a file name: /save FILE".into()),
        "save" | "save!" => Ok(ReplCommand::Save {
            path: rest.trim_end().to_string(),
            overwrite: name == "save!",
        }),
        "to" | "client" | "upstream" if !rest.trim().contains(' ') => Err(format!(
            "/{name} needs a client and a message: /{name} 2 hello"
        )),
        "to" | "client" => {
            let (id, text) = rest.split_once(' ').unwrap_or((rest, ""));
            Ok(ReplCommand::To {
                client: parse_client(id)?,
                text: text.to_string(),
            })
        }
        "upstream" => {
            let (id, text) = rest.split_once(' ').unwrap_or((rest, ""));
            Ok(ReplCommand::ToUpstream {
                client: parse_client(id)?,
                text: text.to_string(),
            })
        }
        "clients" | "list" => Ok(ReplCommand::Clients),
        "kick" => {
            let (id, rest) = rest
                .trim_start()
                .split_once(' ')
                .unwrap_or((rest.trim(), ""));
            let client = parse_client(id)?;
            // As /close: the code, then the rest of the line as the reason.
            let (code, reason) = match parse_close(rest)? {
                ReplCommand::Close { code, reason } => (code, reason),
                _ => (1000, String::new()),
            };
            Ok(ReplCommand::Kick {
                client,
                code,
                reason,
            })
        }
        "" => Err("empty command; type //text to send a line starting with /".into()),
        other => Err(format!("unknown command /{other} (try /help)")),
    }
}

fn control_payload(text: &str) -> Result<Vec<u8>, String> {
    if text.len() > MAX_CONTROL_PAYLOAD {
        return Err(format!(
            "control frame payload is {} bytes; at most {MAX_CONTROL_PAYLOAD} allowed",
            text.len()
        ));
    }
    Ok(text.as_bytes().to_vec())
}

/// `/binary de ad be ef`, `/binary deadbeef` or `/binary b64:3q2+7w==`.
pub fn parse_binary(text: &str) -> Result<Vec<u8>, String> {
    if let Some(encoded) = text
        .strip_prefix("b64:")
        .or_else(|| text.strip_prefix("base64:"))
    {
        return base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| "not valid base64 (A–Z, a–z, 0–9, + and /, padded with =)".into());
    }
    let digits: String = text.split_whitespace().collect();
    let digits = digits.strip_prefix("0x").unwrap_or(&digits);
    hex::decode(digits).map_err(|error| format!("invalid hex: {error} (or use b64:<data>)"))
}

fn parse_close(rest: &str) -> Result<ReplCommand, String> {
    let (code, reason) = match rest.split_once(char::is_whitespace) {
        Some((code, reason)) => (code, reason.trim()),
        None => (rest, ""),
    };
    let code = if code.is_empty() {
        1000
    } else {
        parse_code(code)?
    };
    if reason.len() > MAX_CLOSE_REASON {
        return Err(format!(
            "close reason is {} bytes; at most {MAX_CLOSE_REASON} allowed",
            reason.len()
        ));
    }
    Ok(ReplCommand::Close {
        code,
        reason: reason.to_string(),
    })
}

fn parse_code(text: &str) -> Result<u16, String> {
    let code: u16 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a close code"))?;
    if !is_sendable_close_code(code) {
        return Err(format!(
            "{code} cannot be sent; use 1000-1003, 1007-1014 or 3000-4999"
        ));
    }
    Ok(code)
}

fn parse_client(text: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("'{text}' is not a client id (see /clients)"))
}

pub fn help(serve: bool) -> String {
    let mut text = String::from(
        "commands:\n\
         \x20 <text>                 send a text message (to every client in serve)\n\
         \x20 //text                 send a text message that starts with /\n\
         \x20 /binary <hex>          send a binary message (or /binary b64:<data>)\n\
         \x20 /ping [text]           send a ping; its pong shows the round trip\n\
         \x20 /pong [text]           send an unsolicited pong\n\
         \x20 /multi                 type a message of several lines; an empty line sends it\n\
         \x20 /save FILE             write the session so far to FILE as JSON lines\n\
         \x20 /save! FILE            the same, replacing FILE if it exists\n",
    );
    if serve {
        text.push_str(
            "  /to <id> <text>        send to one client\n\
             \x20 /clients               list connected clients\n\
             \x20 /kick <id> [code [reason]]  close one client (default 1000)\n\
             \x20 /client <id> <text>    proxy: to that client, as if from upstream\n\
             \x20 /upstream <id> <text>  proxy: to its upstream, as if from that client\n\
             \x20 /close [code [reason]] close every client and stop\n",
        );
    } else {
        text.push_str("  /close [code [reason]] close with that code (default 1000) and exit\n");
    }
    text.push_str(
        "  /quit, Ctrl-D          close normally and exit\n\
         \x20 /help                  this list\n\
         \x20 Tab completes commands; a pasted block of lines is sent as one message.",
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_escapes() {
        assert_eq!(parse("hello"), Ok(ReplCommand::Text("hello".into())));
        assert_eq!(parse("//etc"), Ok(ReplCommand::Text("/etc".into())));
        assert_eq!(parse(""), Ok(ReplCommand::Text(String::new())));
    }

    #[test]
    fn commands_missing_their_argument_say_what_they_need() {
        assert!(parse("/to 2").unwrap_err().contains("/to 2 hello"));
        assert!(parse("/binary").unwrap_err().contains("/binary 68 69"));
        assert!(
            parse("/binary b64:@@")
                .unwrap_err()
                .contains("not valid base64")
        );
        assert_eq!(
            parse("/to 2 hi there"),
            Ok(ReplCommand::To {
                client: 2,
                text: "hi there".into()
            })
        );
    }

    #[test]
    fn only_quit_and_a_valid_close_end_the_session() {
        assert!(ends_session("/quit"));
        assert!(ends_session("/close 4000 bye"));
        assert!(!ends_session("/close abc"));
        assert!(!ends_session("//quit"));
        assert!(!ends_session("quit"));
    }

    #[test]
    fn close_takes_the_rest_as_reason() {
        assert_eq!(
            parse("/close 4000 bye now"),
            Ok(ReplCommand::Close {
                code: 4000,
                reason: "bye now".into()
            })
        );
        assert_eq!(
            parse("/close"),
            Ok(ReplCommand::Close {
                code: 1000,
                reason: String::new()
            })
        );
        assert!(parse("/close 1006").is_err());
        assert!(parse("/close abc").is_err());
        assert!(parse(&format!("/close 1000 {}", "x".repeat(124))).is_err());
    }

    #[test]
    fn binary_forms() {
        assert_eq!(
            parse_binary("de ad BE ef"),
            Ok(vec![0xde, 0xad, 0xbe, 0xef])
        );
        assert_eq!(parse_binary("0x0102"), Ok(vec![1, 2]));
        assert_eq!(parse_binary("b64:3q0="), Ok(vec![0xde, 0xad]));
        assert!(parse_binary("xyz").is_err());
        assert!(parse_binary("abc").is_err());
    }

    #[test]
    fn serve_commands() {
        assert_eq!(
            parse("/to 2 hi there"),
            Ok(ReplCommand::To {
                client: 2,
                text: "hi there".into()
            })
        );
        assert_eq!(
            parse("/kick 3 4001"),
            Ok(ReplCommand::Kick {
                client: 3,
                code: 4001,
                reason: String::new()
            })
        );
        assert_eq!(
            parse("/kick 3 4000 bye now"),
            Ok(ReplCommand::Kick {
                client: 3,
                code: 4000,
                reason: "bye now".into()
            })
        );
        assert_eq!(
            parse("/kick 2"),
            Ok(ReplCommand::Kick {
                client: 2,
                code: 1000,
                reason: String::new()
            })
        );
        assert!(parse("/kick x").is_err());
        assert_eq!(
            parse("/save /tmp/my session.jsonl"),
            Ok(ReplCommand::Save {
                path: "/tmp/my session.jsonl".into(),
                overwrite: false
            })
        );
        assert_eq!(
            parse("/save! x.jsonl"),
            Ok(ReplCommand::Save {
                path: "x.jsonl".into(),
                overwrite: true
            })
        );
        assert!(parse("/save").is_err());
        assert!(parse("/nope").is_err());
        assert!(parse(&format!("/ping {}", "x".repeat(126))).is_err());
    }

    #[test]
    fn every_completed_name_is_a_command_in_help() {
        for name in names(true) {
            let help = help(true);
            assert!(
                help.contains(&format!("  {name}")),
                "{name} is not in /help"
            );
            if is_multi(name) {
                continue;
            }
            // Commands with a required argument complain about it, not about the name.
            if let Err(error) = parse(name) {
                assert!(!error.contains("unknown command"), "{name}: {error}");
            }
        }
        assert!(!names(false).contains(&"/kick"));
    }
}
