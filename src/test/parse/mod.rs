//! The test file format: one step per line, `#` comments, `@NAME` connections, heredoc sends.
//! Every file is parsed (and each step checked as far as it can be before the run) before
//! anything runs; an error says `FILE:LINE:COL: what is wrong` and shows the line.

use clap::Parser;

use crate::cli::{ClientArgs, parse_duration};
use crate::test::matcher::{Matcher, invalid_regex, parse_hex};
pub use crate::test::script::{Action, CaptureFrom, Outgoing, ParseError, Prepared, Script, Step};
use crate::test::vars::{self, BadReference};

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
                            .map_err(|error| invalid_regex(&error))
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
mod tests;
