//! The test file format: one step per line, `#` comments, `@NAME` connections, heredoc sends.
//! Every file is parsed (and each step checked as far as it can be before the run) before
//! anything runs; an error says `FILE:LINE:COL: what is wrong` and shows the line.

use std::time::Duration;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use clap::Parser;

use super::matcher::{Matcher, parse_hex};
use super::vars::{self, BadReference};
use crate::cli::{ClientArgs, parse_duration};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub path: String,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub line: usize,
    /// The step as written (its first line), for reports.
    pub source: String,
    /// The `@NAME` it runs on; empty for the only, unnamed connection.
    pub connection: String,
    pub action: Action,
    /// The matcher of an `expect`/`await`/`ignore` without variables, parsed once here.
    pub prepared: Prepared,
}

/// A matcher parsed with the file. It follows from the step's text, so steps compare equal
/// whatever it holds.
#[derive(Debug, Clone, Default)]
pub struct Prepared(pub Option<std::sync::Arc<Matcher>>);

impl PartialEq for Prepared {
    fn eq(&self, _: &Prepared) -> bool {
        true
    }
}

impl Eq for Prepared {}

/// Texts may hold `{{variables}}`, replaced when the step runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The URL and `wsx connect`'s options, as shell words.
    Connect(Vec<String>),
    Send(Outgoing),
    Ping(String),
    Pong(String),
    Close {
        code: Option<u16>,
        reason: String,
    },
    Expect(String),
    Await(String),
    Ignore(String),
    Capture {
        name: String,
        from: CaptureFrom,
    },
    Set {
        name: String,
        value: String,
    },
    Sleep(Duration),
    Timeout(Duration),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    Text(String),
    Hex(String),
    Base64(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureFrom {
    Path(String),
    Regex(String),
}

impl Action {
    /// Steps that act on a connection (and so name one in a file with several).
    fn uses_connection(&self) -> bool {
        !matches!(
            self,
            Action::Set { .. } | Action::Sleep(_) | Action::Timeout(_) | Action::Capture { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub path: String,
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// Characters the caret covers.
    pub width: usize,
    pub message: String,
    pub source_line: String,
}

impl ParseError {
    /// `FILE:LINE:COL: message`, then the line with a caret under the spot.
    pub fn render(&self) -> String {
        let start: usize = self
            .source_line
            .char_indices()
            .nth(self.column - 1)
            .map_or(self.source_line.len(), |(at, _)| at);
        let end = self
            .source_line
            .char_indices()
            .nth(self.column - 1 + self.width.max(1))
            .map_or(self.source_line.len(), |(at, _)| at);
        let snippet = Group::with_level(Level::ERROR).element(
            Snippet::source(self.source_line.as_str())
                .line_start(self.line)
                .annotation(AnnotationKind::Primary.span(start..end.max(start))),
        );
        let shown = Renderer::plain().render(&[snippet]);
        format!(
            "{}:{}:{}: {}\n{shown}",
            self.path, self.line, self.column, self.message
        )
    }
}

/// The `wsx connect` options a `connect` step takes: the same definitions as the command.
#[derive(Debug, Parser)]
#[command(name = "connect", no_binary_name = true, disable_help_flag = true)]
pub struct ConnectStep {
    #[command(flatten)]
    pub client: ClientArgs,
}

const STEPS: &str =
    "connect, send, ping, pong, close, expect, await, ignore, capture, set, sleep, timeout";

/// A script for `serve --script`: the steps of one connection, the client's, so no
/// `connect` and no `@NAME`.
pub fn parse_server_script(path: &str, text: &str) -> Result<Script, ParseError> {
    let script = parse_steps(path, text, true)?;
    let lines: Vec<&str> = text.lines().collect();
    for step in &script.steps {
        let misplaced = match &step.action {
            Action::Connect(_) => {
                Some("a server script runs on each client's connection: it has no connect step")
            }
            _ if !step.connection.is_empty() => {
                Some("a server script has one connection, the client's: no @NAME")
            }
            _ => None,
        };
        if let Some(message) = misplaced {
            let source_line = lines[step.line - 1].to_string();
            return Err(ParseError {
                path: path.to_string(),
                line: step.line,
                column: source_line.len() - source_line.trim_start().len() + 1,
                width: step.source.split(' ').next().unwrap_or("").len(),
                message: message.to_string(),
                source_line,
            });
        }
    }
    Ok(script)
}

pub fn parse(path: &str, text: &str) -> Result<Script, ParseError> {
    parse_steps(path, text, false)
}

fn parse_steps(path: &str, text: &str, server: bool) -> Result<Script, ParseError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut steps = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let number = index + 1;
        let line = lines[index];
        index += 1;
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let error = |at: usize, width: usize, message: String| ParseError {
            path: path.to_string(),
            line: number,
            column: line[..at.min(line.len())].chars().count() + 1,
            width,
            message,
            source_line: line.to_string(),
        };
        let mut at = line.len() - trimmed.len();
        let mut connection = String::new();
        if let Some(named) = trimmed.strip_prefix('@') {
            let name = named.split(' ').next().unwrap_or("");
            if !vars::is_name(name) {
                return Err(error(
                    at,
                    name.len() + 1,
                    "@ needs a connection name (@alice)".into(),
                ));
            }
            connection = name.to_string();
            let rest = named[name.len()..].trim_start();
            if rest.is_empty() {
                return Err(error(
                    at,
                    name.len() + 1,
                    format!("@{name} needs a step after it"),
                ));
            }
            at = line.len() - rest.len();
        }
        let body = &line[at..];
        let (keyword, rest) = body.split_once(' ').unwrap_or((body, ""));
        let rest_at = line.len() - rest.len();
        let rest_error =
            |offset: usize, width: usize, message: String| error(rest_at + offset, width, message);
        let mut prepared = Prepared::default();
        let action = match keyword {
            "connect" => {
                let words = shell_words::split(rest)
                    .map_err(|problem| rest_error(0, rest.len(), format!("connect: {problem}")))?;
                if words.is_empty() {
                    return Err(error(at, keyword.len(), "connect needs a URL".into()));
                }
                check_connect(&words).map_err(|message| rest_error(0, rest.len(), message))?;
                Action::Connect(words)
            }
            "send" => {
                if let Some(end) = rest.trim().strip_prefix("<<") {
                    let end = end.trim();
                    if end.is_empty() {
                        return Err(rest_error(0, 2, "<< needs an end word (send <<END)".into()));
                    }
                    let start = index;
                    let Some(close) = lines[start..].iter().position(|line| *line == end) else {
                        return Err(rest_error(
                            0,
                            rest.len(),
                            format!("no line `{end}` ends this message"),
                        ));
                    };
                    index = start + close + 1;
                    let text = lines[start..start + close].join("\n");
                    check_template(&text).map_err(|bad| rest_error(0, rest.len(), bad.message))?;
                    Action::Send(Outgoing::Text(text))
                } else {
                    let (kind, data) = rest.split_once(' ').unwrap_or((rest, ""));
                    let outgoing = match kind {
                        "binary" => {
                            check_static(data, |data| parse_hex(data).map(drop)).map_err(
                                |message| rest_error(kind.len() + 1, data.len(), message),
                            )?;
                            Outgoing::Hex(data.to_string())
                        }
                        "base64" => {
                            check_static(data, |data| {
                                use base64::Engine as _;
                                base64::engine::general_purpose::STANDARD
                                    .decode(data.trim())
                                    .map(drop)
                                    .map_err(|_| format!("'{data}' is not base64"))
                            })
                            .map_err(|message| rest_error(kind.len() + 1, data.len(), message))?;
                            Outgoing::Base64(data.to_string())
                        }
                        _ => Outgoing::Text(rest.to_string()),
                    };
                    check_template(rest).map_err(|bad| rest_error(bad.at, bad.len, bad.message))?;
                    Action::Send(outgoing)
                }
            }
            "ping" | "pong" => {
                check_template(rest).map_err(|bad| rest_error(bad.at, bad.len, bad.message))?;
                if rest.len() > 125 {
                    return Err(rest_error(
                        0,
                        rest.len(),
                        "a control frame carries at most 125 bytes".into(),
                    ));
                }
                if keyword == "ping" {
                    Action::Ping(rest.to_string())
                } else {
                    Action::Pong(rest.to_string())
                }
            }
            "close" => {
                let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
                let code = if code.is_empty() {
                    None
                } else {
                    Some(
                        code.parse::<u16>()
                            .ok()
                            .filter(|code| crate::protocol::message::is_sendable_close_code(*code))
                            .ok_or_else(|| {
                                rest_error(0, code.len(), format!("'{code}' is not a close code wsx can send (1000-1003, 1007-1014, 3000-4999)"))
                            })?,
                    )
                };
                Action::Close {
                    code,
                    reason: reason.to_string(),
                }
            }
            "expect" | "await" | "ignore" => {
                if rest.is_empty() {
                    return Err(error(
                        at,
                        keyword.len(),
                        format!("{keyword} needs a matcher"),
                    ));
                }
                check_template(rest).map_err(|bad| rest_error(bad.at, bad.len, bad.message))?;
                let matcher = Matcher::parse(&placeholders(rest))
                    .map_err(|message| rest_error(0, rest.len(), message))?;
                if !rest.contains("{{") {
                    prepared = Prepared(Some(std::sync::Arc::new(matcher.clone())));
                }
                if matches!(matcher, Matcher::Silence(_)) && keyword != "expect" {
                    return Err(rest_error(
                        0,
                        rest.len(),
                        "silence is only for expect".into(),
                    ));
                }
                match keyword {
                    "expect" => Action::Expect(rest.to_string()),
                    "await" => Action::Await(rest.to_string()),
                    _ => Action::Ignore(rest.to_string()),
                }
            }
            "capture" => {
                let (name, from) = rest.split_once(' ').unwrap_or((rest, ""));
                if !vars::is_name(name) {
                    return Err(rest_error(
                        0,
                        name.len(),
                        "capture needs a variable name: capture NAME $.PATH".into(),
                    ));
                }
                let from_at = name.len() + 1;
                let from = from.trim();
                let source = if let Some(regex) = from.strip_prefix('~') {
                    let regex = regex.trim_start();
                    check_static(regex, |regex| {
                        regex::Regex::new(regex)
                            .map(drop)
                            .map_err(|error| format!("invalid regex: {error}"))
                    })
                    .map_err(|message| rest_error(from_at, from.len(), message))?;
                    CaptureFrom::Regex(regex.to_string())
                } else if from.starts_with('$') {
                    check_static(from, |path| {
                        serde_json_path::JsonPath::parse(path)
                            .map(drop)
                            .map_err(|error| format!("invalid JSONPath: {error}"))
                    })
                    .map_err(|message| rest_error(from_at, from.len(), message))?;
                    CaptureFrom::Path(from.to_string())
                } else {
                    return Err(rest_error(
                        from_at,
                        from.len(),
                        "capture takes a JSONPath ($.id) or a regex (~ id=(\\d+))".into(),
                    ));
                };
                Action::Capture {
                    name: name.to_string(),
                    from: source,
                }
            }
            "set" => {
                let (name, value) = rest.split_once(' ').unwrap_or((rest, ""));
                if !vars::is_name(name) {
                    return Err(rest_error(
                        0,
                        name.len(),
                        "set needs a variable name: set NAME VALUE".into(),
                    ));
                }
                check_template(value)
                    .map_err(|bad| rest_error(name.len() + 1 + bad.at, bad.len, bad.message))?;
                Action::Set {
                    name: name.to_string(),
                    value: value.to_string(),
                }
            }
            "sleep" | "timeout" => {
                let duration =
                    parse_duration(rest).map_err(|message| rest_error(0, rest.len(), message))?;
                if keyword == "sleep" {
                    Action::Sleep(duration)
                } else {
                    Action::Timeout(duration)
                }
            }
            other => {
                return Err(error(
                    at,
                    other.chars().count(),
                    format!("unknown step '{other}' (steps: {STEPS})"),
                ));
            }
        };
        if !connection.is_empty() && !action.uses_connection() {
            return Err(error(
                line.len() - trimmed.len(),
                connection.len() + 1,
                format!("{keyword} does not use a connection; drop @{connection}"),
            ));
        }
        steps.push(Step {
            line: number,
            source: body.to_string(),
            connection,
            action,
            prepared,
        });
    }
    if !server {
        check_connections(path, &lines, &steps)?;
    }
    Ok(Script {
        path: path.to_string(),
        steps,
    })
}

/// A file with several connections names one on every step that uses one; each connection is
/// connected before it is used.
fn check_connections(path: &str, lines: &[&str], steps: &[Step]) -> Result<(), ParseError> {
    let named = steps.iter().any(|step| !step.connection.is_empty());
    let mut connected = std::collections::HashSet::new();
    for step in steps.iter().filter(|step| step.action.uses_connection()) {
        let source_line = lines[step.line - 1].to_string();
        let column = source_line.len() - source_line.trim_start().len() + 1;
        let error = |message: String| ParseError {
            path: path.to_string(),
            line: step.line,
            column,
            width: step.source.split(' ').next().unwrap_or("").len(),
            message,
            source_line: source_line.clone(),
        };
        if named && step.connection.is_empty() {
            return Err(error(
                "this file has several connections: say which with @NAME".into(),
            ));
        }
        match &step.action {
            Action::Connect(_) if !connected.insert(step.connection.clone()) => {
                return Err(error(format!(
                    "{} is already connected",
                    shown(&step.connection)
                )));
            }
            Action::Connect(_) => {}
            _ if !connected.contains(&step.connection) => {
                return Err(error(format!(
                    "{} is not connected yet: a connect step comes first",
                    shown(&step.connection)
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

fn shown(connection: &str) -> String {
    if connection.is_empty() {
        "the connection".to_string()
    } else {
        format!("@{connection}")
    }
}

/// `{{…}}` references are well formed.
fn check_template(text: &str) -> Result<(), BadReference> {
    vars::expand(text, |_| String::new()).map(drop)
}

/// The text with every reference replaced by `0`, to check the syntax around them before
/// their values are known (`{"id": {{id}}}` is JSON once `id` is a number).
fn placeholders(text: &str) -> String {
    vars::expand(text, |_| "0".to_string()).unwrap_or_else(|_| text.to_string())
}

/// Runs `check` on text without references; with references, the check waits for the run.
fn check_static(text: &str, check: impl Fn(&str) -> Result<(), String>) -> Result<(), String> {
    if text.contains("{{") {
        return Ok(());
    }
    check(text)
}

/// clap's error about a `connect` step's options, as one line.
pub fn connect_error(error: &clap::Error) -> String {
    let text = error.to_string();
    let first = text
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("error: ");
    format!("connect: {first}")
}

/// The options parse as `wsx connect`'s (values still hold their `{{references}}`).
fn check_connect(words: &[String]) -> Result<(), String> {
    let words: Vec<String> = words.iter().map(|word| placeholders(word)).collect();
    ConnectStep::try_parse_from(&words)
        .map(drop)
        .map_err(|error| connect_error(&error))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Vec<Action> {
        parse("t.wsx", text)
            .unwrap_or_else(|error| panic!("{}", error.render()))
            .steps
            .into_iter()
            .map(|step| step.action)
            .collect()
    }

    fn parse_error(text: &str) -> ParseError {
        parse("t.wsx", text).expect_err("a parse error")
    }

    #[test]
    fn every_step_kind() {
        let actions = parse_ok(
            "# a comment\n\
             connect ws://h/ -H 'X-A: 1' -s chat\n\
             \n\
             send hello {{name}}\n\
             send binary de ad\n\
             send base64 3q0=\n\
             ping hb\n\
             pong\n\
             expect hello\n\
             await ~ ^ok\n\
             ignore json {\"type\":\"heartbeat\"}\n\
             capture id $.id\n\
             capture token ~ token=(\\w+)\n\
             set name world\n\
             sleep 10ms\n\
             timeout 2s\n\
             expect silence 100ms\n\
             close 4000 bye now\n",
        );
        assert_eq!(
            actions[0],
            Action::Connect(vec![
                "ws://h/".into(),
                "-H".into(),
                "X-A: 1".into(),
                "-s".into(),
                "chat".into()
            ])
        );
        assert_eq!(
            actions[1],
            Action::Send(Outgoing::Text("hello {{name}}".into()))
        );
        assert_eq!(actions[2], Action::Send(Outgoing::Hex("de ad".into())));
        assert_eq!(actions[3], Action::Send(Outgoing::Base64("3q0=".into())));
        assert_eq!(actions[4], Action::Ping("hb".into()));
        assert_eq!(actions[5], Action::Pong(String::new()));
        assert_eq!(actions[6], Action::Expect("hello".into()));
        assert_eq!(actions[7], Action::Await("~ ^ok".into()));
        assert_eq!(
            actions[8],
            Action::Ignore("json {\"type\":\"heartbeat\"}".into())
        );
        assert_eq!(
            actions[9],
            Action::Capture {
                name: "id".into(),
                from: CaptureFrom::Path("$.id".into())
            }
        );
        assert_eq!(
            actions[10],
            Action::Capture {
                name: "token".into(),
                from: CaptureFrom::Regex("token=(\\w+)".into())
            }
        );
        assert_eq!(
            actions[11],
            Action::Set {
                name: "name".into(),
                value: "world".into()
            }
        );
        assert_eq!(actions[12], Action::Sleep(Duration::from_millis(10)));
        assert_eq!(actions[13], Action::Timeout(Duration::from_secs(2)));
        assert_eq!(actions[14], Action::Expect("silence 100ms".into()));
        assert_eq!(
            actions[15],
            Action::Close {
                code: Some(4000),
                reason: "bye now".into()
            }
        );
    }

    #[test]
    fn heredoc_sends_several_lines() {
        let actions = parse_ok("connect ws://h/\nsend <<EOF\n{\n  \"a\": 1\n}\nEOF\nexpect x\n");
        assert_eq!(
            actions[1],
            Action::Send(Outgoing::Text("{\n  \"a\": 1\n}".into()))
        );
        assert_eq!(actions[2], Action::Expect("x".into()));
        let error = parse_error("connect ws://h/\nsend <<EOF\nnever ended\n");
        assert_eq!((error.line, error.column), (2, 6));
        assert!(error.message.contains("no line `EOF`"), "{error:?}");
    }

    #[test]
    fn named_connections() {
        let script = parse(
            "t.wsx",
            "@alice connect ws://h/\n@bob connect ws://h/\n@alice send hi\n@bob expect hi\n",
        )
        .unwrap();
        assert_eq!(script.steps[3].connection, "bob");
        let error = parse_error("@alice connect ws://h/\n@bob connect ws://h/\nsend hi\n");
        assert_eq!(error.line, 3);
        assert!(error.message.contains("say which with @NAME"), "{error:?}");
        let error = parse_error("@alice connect ws://h/\n@bob send hi\n");
        assert!(
            error.message.contains("@bob is not connected yet"),
            "{error:?}"
        );
        let error = parse_error("connect ws://h/\n@x set a b\n");
        assert!(error.message.contains("drop @x"), "{error:?}");
    }

    #[test]
    fn errors_name_line_and_column() {
        let error = parse_error("connect ws://h/\n  sned hello\n");
        assert_eq!((error.line, error.column, error.width), (2, 3, 4));
        assert!(error.message.starts_with("unknown step 'sned'"));
        let error = parse_error("connect ws://h/\nexpect json {\"a\": }\n");
        assert_eq!((error.line, error.column), (2, 8));
        assert!(error.message.contains("invalid JSON"), "{error:?}");
        let error = parse_error("connect ws://h/\nexpect ~ (\n");
        assert!(error.message.contains("invalid regex"), "{error:?}");
        let error = parse_error("connect ws://h/\nsend hi {{name\n");
        assert_eq!((error.line, error.column), (2, 9));
        let error = parse_error("connect ws://h/ --no-such-flag\n");
        assert!(error.message.contains("--no-such-flag"), "{error:?}");
        let error = parse_error("connect ws://h/\nclose 1005\n");
        assert!(error.message.contains("1005"), "{error:?}");
        let error = parse_error("connect ws://h/\nsleep soon\n");
        assert_eq!((error.line, error.column), (2, 7));
        let error = parse_error("connect ws://h/\nawait silence 1s\n");
        assert!(error.message.contains("only for expect"), "{error:?}");
        let error = parse_error("send hi\n");
        assert!(error.message.contains("not connected yet"), "{error:?}");
        let error = parse_error("connect ws://h/\nsend binary xyz\n");
        assert_eq!((error.line, error.column), (2, 13));
    }

    #[test]
    fn variables_wait_for_the_run_but_their_syntax_does_not() {
        // `{{id}}` makes the JSON valid only once it has a value: checked with a stand-in.
        parse_ok("connect ws://{{host}}/\nexpect json {\"id\": {{id}}}\n");
        let error = parse_error("connect ws://h/\nexpect {{not a name}}\n");
        assert!(error.message.contains("not a variable name"), "{error:?}");
    }

    #[test]
    fn rendered_errors_show_the_line_and_a_caret() {
        let error = parse_error("connect ws://h/\n  sned hello\n");
        insta::assert_snapshot!(error.render(), @r"
        t.wsx:2:3: unknown step 'sned' (steps: connect, send, ping, pong, close, expect, await, ignore, capture, set, sleep, timeout)
          |
        2 |   sned hello
          |   ^^^^
        ");
    }
}
