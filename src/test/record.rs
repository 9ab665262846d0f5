//! `wsx connect --record FILE`: the session written as a test file as it happens, so that
//! `wsx test FILE` replays it against a server that answers the same way. Credentials never
//! go in clear: they become `{{variables}}`, named in a comment at the top.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::cli::ClientArgs;
use crate::output::format::rfc3339;
use crate::protocol::{Command, Event, Payload, Side};

/// Header names whose values are credentials, and the variable each becomes.
const SECRET_HEADERS: [(&str, &str); 3] = [
    ("authorization", "authorization"),
    ("proxy-authorization", "proxy_authorization"),
    ("cookie", "cookie"),
];

pub struct Recorder {
    file: BufWriter<File>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Recorder")
    }
}

impl Recorder {
    /// Creates the file with its header and `connect` line.
    pub fn create(path: &Path, connect: &ConnectLine) -> std::io::Result<Recorder> {
        let mut file = BufWriter::new(File::create(path)?);
        writeln!(
            file,
            "# Recorded by wsx connect on {}; replay with: wsx test {}",
            rfc3339(std::time::SystemTime::now()),
            shell_words::quote(&path.display().to_string())
        )?;
        if !connect.variables.is_empty() {
            let vars: Vec<String> = connect
                .variables
                .iter()
                .map(|name| format!("--var {name}=…"))
                .collect();
            writeln!(
                file,
                "# Credentials were left out; supply them with {}",
                vars.join(" ")
            )?;
        }
        writeln!(file, "{}", connect.line)?;
        file.flush()?;
        Ok(Recorder { file })
    }

    /// What wsx sends.
    pub fn sent(&mut self, command: &Command) {
        let lines = match command {
            Command::Send(payload) => send_step(payload),
            Command::SendAll(burst) => burst
                .payloads
                .iter()
                .map(send_step)
                .collect::<Vec<_>>()
                .join("\n"),
            Command::Ping(data) => format!("ping {}", String::from_utf8_lossy(data)),
            Command::Pong(data) => format!("pong {}", String::from_utf8_lossy(data)),
            // Written when it happens, from the close event.
            Command::Close { .. } | Command::CloseWhenQuiet(_) => return,
        };
        self.write(&lines);
    }

    /// What arrives, and how the session ends.
    pub fn received(&mut self, event: &Event) {
        let line = match event {
            Event::Message(payload) => expect_step(payload),
            Event::PingAnswered { data, .. } => {
                format!("expect pong {}", String::from_utf8_lossy(data))
            }
            Event::Close {
                code,
                reason,
                by: Side::Local,
            } => match code {
                Some(code) if reason.is_empty() => format!("close {code}"),
                Some(code) => format!("close {code} {reason}"),
                None => "close".to_string(),
            },
            Event::Close {
                code,
                by: Side::Peer,
                ..
            } => match code {
                Some(1006) | None => "expect close".to_string(),
                Some(code) => format!("expect close {code}"),
            },
            _ => return,
        };
        self.write(&line);
    }

    /// A line the replay skips, saying what happened.
    pub fn comment(&mut self, text: &str) {
        self.write(&format!("# {text}"));
    }

    fn write(&mut self, text: &str) {
        // Flushed at once: a session may end with Ctrl-C at any moment.
        let _ = writeln!(self.file, "{text}").and_then(|()| self.file.flush());
    }
}

/// The `connect` step for the options given, and the variables it leaves to `--var`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectLine {
    pub line: String,
    pub variables: Vec<String>,
}

impl ConnectLine {
    pub fn new(args: &ClientArgs) -> ConnectLine {
        let mut variables = Vec::new();
        let mut words = vec![
            "connect".to_string(),
            url_without_password(&args.url, &mut variables),
        ];
        let mut add = |flag: &str, value: &str| {
            words.push(flag.to_string());
            words.push(quote(value));
        };
        for header in &args.reach.headers {
            let name = header.split(':').next().unwrap_or("").trim();
            match SECRET_HEADERS
                .iter()
                .find(|(secret, _)| name.eq_ignore_ascii_case(secret))
            {
                Some((_, variable)) => {
                    variables.push(variable.to_string());
                    add("-H", &format!("{name}: {{{{{variable}}}}}"));
                }
                None => add("-H", header),
            }
        }
        for protocol in &args.reach.subprotocols {
            add("-s", protocol);
        }
        if let Some(origin) = &args.reach.origin {
            add("-o", origin);
        }
        if args.reach.auth.is_some() {
            variables.push("auth".into());
            add("--auth", "{{auth}}");
        }
        if args.reach.connect_timeout != 10.0 {
            add("--connect-timeout", &args.reach.connect_timeout.to_string());
        }
        for (flag, value) in [
            ("--cacert", &args.reach.cacert),
            ("--cert", &args.cert),
            ("--key", &args.key),
            ("--proxy", &args.reach.proxy),
        ] {
            if let Some(value) = value {
                add(flag, value);
            }
        }
        if let Some(socket) = &args.reach.unix_socket {
            add("--unix-socket", &socket.display().to_string());
        }
        for (flag, set) in [
            ("-k", args.reach.insecure),
            ("--no-proxy", args.reach.no_proxy),
            ("-L", args.reach.location),
        ] {
            if set {
                words.push(flag.to_string());
            }
        }
        ConnectLine {
            line: words.join(" "),
            variables,
        }
    }
}

/// `ws://al:secret@h/` becomes `ws://al:{{password}}@h/`.
fn url_without_password(url: &str, variables: &mut Vec<String>) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return quote(url);
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            variables.push("password".into());
            quote(&format!("{scheme}://{user}:{{{{password}}}}@{host}{tail}"))
        }
        None => quote(url),
    }
}

/// A shell word; `{{` as written stays a variable reference.
fn quote(word: &str) -> String {
    shell_words::quote(word).into_owned()
}

/// `{{` in recorded data is data, not a reference.
fn literal(text: &str) -> String {
    text.replace("{{", "\\{{")
}

fn send_step(payload: &Payload) -> String {
    match payload {
        Payload::Binary(data) => format!("send binary {}", hex::encode(data)),
        Payload::Text(text) => {
            let text = literal(text);
            let ambiguous = ["binary ", "base64 ", "<<"]
                .iter()
                .any(|prefix| text.starts_with(prefix));
            if text.contains('\n') || ambiguous {
                // A heredoc; its end word must not be a line of the message.
                let mut end = "END".to_string();
                while text.lines().any(|line| line == end) {
                    end.push('_');
                }
                format!("send <<{end}\n{text}\n{end}")
            } else {
                format!("send {text}")
            }
        }
    }
}

fn expect_step(payload: &Payload) -> String {
    match payload {
        Payload::Binary(data) => format!("expect binary {}", hex::encode(data)),
        Payload::Text(text) => {
            let first = text.split(' ').next().unwrap_or("");
            let reads_as_a_matcher = ["~", "json", "binary", "close", "ping", "pong", "silence"]
                .contains(&first)
                || first.starts_with('$');
            let plain = !reads_as_a_matcher
                && !text.contains(['\n', '\r'])
                && text.trim() == text.as_str()
                && !text.is_empty();
            if plain {
                format!("expect {}", literal(text))
            } else {
                // Exactly this text, whatever it looks like, as an anchored regex.
                let pattern = regex::escape(text)
                    .replace('\n', "\\n")
                    .replace('\r', "\\r");
                format!("expect ~ ^{}$", literal(&pattern))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test::matcher::{Incoming, Matcher};
    use clap::Parser;

    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        client: ClientArgs,
    }

    fn connect_line(args: &[&str]) -> ConnectLine {
        let args =
            Args::try_parse_from(std::iter::once("wsx").chain(args.iter().copied())).unwrap();
        ConnectLine::new(&args.client)
    }

    #[test]
    fn credentials_become_variables() {
        let line = connect_line(&[
            "ws://al:s3cret@h:1/p?q=1",
            "-H",
            "Cookie: sid=abc",
            "-H",
            "X-Trace: 7",
            "--auth",
            "u:p",
            "-s",
            "chat",
        ]);
        assert_eq!(
            line.line,
            "connect 'ws://al:{{password}}@h:1/p?q=1' -H 'Cookie: {{cookie}}' -H 'X-Trace: 7' \
             -s chat --auth {{auth}}"
        );
        assert_eq!(line.variables, ["password", "cookie", "auth"]);
        assert!(!line.line.contains("s3cret") && !line.line.contains("abc"));
    }

    #[test]
    fn every_recorded_expectation_matches_what_was_received() {
        for text in [
            "plain text",
            "close",
            "json {\"a\":1}",
            "~ not a regex",
            "$.looks.like.a.path",
            " padded ",
            "two\nlines",
            "braces {{x}} and (regex) [chars] .*",
            "",
        ] {
            let step = expect_step(&Payload::text(text));
            let matcher_text = step.strip_prefix("expect ").unwrap();
            let unescaped = matcher_text.replace("\\{{", "{{");
            let matcher = Matcher::parse(&unescaped).unwrap();
            assert!(
                matcher.matches(&Incoming::Message(Payload::text(text))),
                "{text:?} recorded as {step:?}"
            );
            assert!(!step.contains('\n'), "{step:?}");
        }
    }

    #[test]
    fn sends_that_would_read_otherwise_use_a_heredoc() {
        assert_eq!(send_step(&Payload::text("hi")), "send hi");
        assert_eq!(
            send_step(&Payload::text("binary de ad")),
            "send <<END\nbinary de ad\nEND"
        );
        assert_eq!(
            send_step(&Payload::text("a\nEND\nb")),
            "send <<END_\na\nEND\nb\nEND_"
        );
        assert_eq!(send_step(&Payload::binary(vec![1, 2])), "send binary 0102");
    }
}
