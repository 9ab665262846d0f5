//! What an `expect`, `await` or `ignore` step looks for, and how a message is held against it:
//! exact text, a regex, JSON containment, a JSONPath query (RFC 9535), exact binary, a close,
//! a control frame, or silence.

use std::time::Duration;

use regex::Regex;
use serde_json::Value;
use serde_json_path::JsonPath;

use crate::protocol::Payload;

/// Something that arrived on a test's connection.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Message(Payload),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    /// The close handshake ended; `by_peer` is false when the test's `close` started it.
    Close {
        code: Option<u16>,
        reason: String,
        by_peer: bool,
    },
    /// The connection failed or dropped without a Close.
    Failed(String),
}

impl Incoming {
    fn is_control(&self) -> bool {
        matches!(self, Incoming::Ping(_) | Incoming::Pong(_))
    }

    /// Ends the connection: nothing follows it.
    pub fn is_final(&self) -> bool {
        matches!(self, Incoming::Close { .. } | Incoming::Failed(_))
    }
}

#[derive(Debug, Clone)]
pub enum Query {
    Equals(Value),
    NotEquals(Value),
    Matches(Regex),
    Exists,
}

#[derive(Debug, Clone)]
pub enum Matcher {
    Text(String),
    Regex(Regex),
    Json(Value),
    Path {
        path: JsonPath,
        source: String,
        query: Query,
    },
    Binary(Vec<u8>),
    Close(Option<u16>),
    Ping(Option<String>),
    Pong(Option<String>),
    /// `expect silence DUR`: no message at all for that long.
    Silence(Duration),
}

impl Matcher {
    /// Parses the text after `expect`/`await`/`ignore` (variables already substituted).
    pub fn parse(text: &str) -> Result<Matcher, String> {
        let (word, rest) = split_word(text);
        match word {
            "~" => regex(rest).map(Matcher::Regex),
            "json" => parse_json(rest).map(Matcher::Json),
            "binary" => parse_hex(rest).map(Matcher::Binary),
            "close" if rest.is_empty() => Ok(Matcher::Close(None)),
            "close" => rest
                .parse()
                .map(|code| Matcher::Close(Some(code)))
                .map_err(|_| format!("'{rest}' is not a close code")),
            "ping" => Ok(Matcher::Ping((!rest.is_empty()).then(|| rest.to_string()))),
            "pong" => Ok(Matcher::Pong((!rest.is_empty()).then(|| rest.to_string()))),
            "silence" => crate::cli::parse_duration(rest).map(Matcher::Silence),
            _ if text.starts_with('$') => {
                let (path, rest) = split_path(text);
                parse_path(path, rest)
            }
            _ => Ok(Matcher::Text(text.to_string())),
        }
    }

    /// Control frames reach only the matchers that look for them; the others never see them.
    pub fn sees(&self, incoming: &Incoming) -> bool {
        !incoming.is_control() || matches!(self, Matcher::Ping(_) | Matcher::Pong(_))
    }

    pub fn matches(&self, incoming: &Incoming) -> bool {
        match (self, incoming) {
            (Matcher::Text(expected), Incoming::Message(Payload::Text(text))) => {
                text.as_str() == expected
            }
            (Matcher::Regex(regex), Incoming::Message(Payload::Text(text))) => regex.is_match(text),
            (Matcher::Json(expected), Incoming::Message(Payload::Text(text))) => {
                serde_json::from_str::<Value>(text).is_ok_and(|value| contains(&value, expected))
            }
            (Matcher::Path { path, query, .. }, Incoming::Message(Payload::Text(text))) => {
                serde_json::from_str::<Value>(text)
                    .is_ok_and(|value| query_matches(path, query, &value))
            }
            (Matcher::Binary(expected), Incoming::Message(Payload::Binary(data))) => {
                data.as_ref() == expected.as_slice()
            }
            (Matcher::Close(expected), Incoming::Close { code, .. }) => {
                expected.is_none() || *expected == *code
            }
            (Matcher::Ping(expected), Incoming::Ping(data))
            | (Matcher::Pong(expected), Incoming::Pong(data)) => expected
                .as_ref()
                .is_none_or(|expected| expected.as_bytes() == data.as_slice()),
            _ => false,
        }
    }

    /// The expectation as the failure report states it.
    pub fn describe(&self) -> String {
        match self {
            Matcher::Text(text) => format!("the text {text:?}"),
            Matcher::Regex(regex) => format!("a text matching ~ {}", regex.as_str()),
            Matcher::Json(value) => format!("JSON containing {value}"),
            Matcher::Path { source, query, .. } => match query {
                Query::Equals(value) => format!("JSON where {source} == {value}"),
                Query::NotEquals(value) => format!("JSON where {source} != {value}"),
                Query::Matches(regex) => format!("JSON where {source} ~ {}", regex.as_str()),
                Query::Exists => format!("JSON where {source} exists"),
            },
            Matcher::Binary(data) => format!("the binary message {}", hex::encode(data)),
            Matcher::Close(Some(code)) => format!("a close with {code}"),
            Matcher::Close(None) => "a close".to_string(),
            Matcher::Ping(data) | Matcher::Pong(data) => {
                let kind = if matches!(self, Matcher::Ping(_)) {
                    "ping"
                } else {
                    "pong"
                };
                match data {
                    Some(data) => format!("a {kind} {data:?}"),
                    None => format!("a {kind}"),
                }
            }
            Matcher::Silence(wait) => format!("silence for {}", humantime::format_duration(*wait)),
        }
    }

    /// The value a JSON diff compares against, when there is one.
    pub fn expected_json(&self) -> Option<&Value> {
        match self {
            Matcher::Json(value) => Some(value),
            Matcher::Path {
                query: Query::Equals(value),
                ..
            } => Some(value),
            _ => None,
        }
    }
}

fn split_word(text: &str) -> (&str, &str) {
    match text.split_once(' ') {
        Some((word, rest)) => (word, rest.trim_start()),
        None => (text, ""),
    }
}

/// A JSONPath and what follows it: the path ends at the first blank outside brackets,
/// parentheses and quotes, so `$.a['b c']` and `$..x[?@.price > 10]` stay whole (RFC 9535
/// allows blanks there).
fn split_path(text: &str) -> (&str, &str) {
    let mut depth = 0usize;
    let mut quote = None;
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(open) if c == open => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '[' | '(' => depth += 1,
                ']' | ')' => depth = depth.saturating_sub(1),
                c if c.is_whitespace() && depth == 0 => {
                    return (&text[..at], text[at..].trim_start());
                }
                _ => {}
            },
        }
    }
    (text, "")
}

fn first_line(text: &str) -> String {
    text.lines()
        .rfind(|line| line.starts_with("error:"))
        .unwrap_or_else(|| text.lines().next().unwrap_or(""))
        .trim_start_matches("error: ")
        .to_string()
}

/// A regex, written bare (`^Chrome/`) or as a JSON string (`"Chrome"`, quotes not included).
pub fn regex(text: &str) -> Result<Regex, String> {
    let pattern = match serde_json::from_str::<String>(text) {
        Ok(unquoted) if text.starts_with('"') => unquoted,
        _ => text.to_string(),
    };
    Regex::new(&pattern).map_err(|error| invalid_regex(&error))
}

/// "invalid regex: …" with the regex crate's error in one line: its last `error:` line,
/// without the drawing.
pub fn invalid_regex(error: &regex::Error) -> String {
    format!("invalid regex: {}", first_line(&error.to_string()))
}

fn parse_json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|error| format!("invalid JSON: {error}"))
}

pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(&digits).map_err(|_| format!("'{text}' is not hex (pairs of 0-9 a-f)"))
}

fn parse_path(path: &str, rest: &str) -> Result<Matcher, String> {
    let json_path =
        JsonPath::parse(path).map_err(|error| format!("invalid JSONPath {path}: {error}"))?;
    let (operator, operand) = split_word(rest);
    let query = match operator {
        "==" => Query::Equals(parse_json(operand)?),
        "!=" => Query::NotEquals(parse_json(operand)?),
        "~" => Query::Matches(regex(operand)?),
        "exists" if operand.is_empty() => Query::Exists,
        _ => {
            return Err(format!(
                "after {path}, write == VALUE, != VALUE, ~ REGEX or exists"
            ));
        }
    };
    Ok(Matcher::Path {
        path: json_path,
        source: path.to_string(),
        query,
    })
}

fn query_matches(path: &JsonPath, query: &Query, value: &Value) -> bool {
    let nodes = path.query(value);
    let first = nodes.first();
    match query {
        Query::Exists => first.is_some(),
        Query::Equals(expected) => first.is_some_and(|found| json_equal(found, expected)),
        Query::NotEquals(expected) => !first.is_some_and(|found| json_equal(found, expected)),
        Query::Matches(regex) => first.is_some_and(|found| regex.is_match(&capture_text(found))),
    }
}

/// The text of a JSON value as `capture` takes it: a string as is, anything else as JSON.
pub fn capture_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The first node a JSONPath selects in a JSON text.
pub fn query_first(path: &str, text: &str) -> Result<Option<Value>, String> {
    let path =
        JsonPath::parse(path).map_err(|error| format!("invalid JSONPath {path}: {error}"))?;
    let value: Value =
        serde_json::from_str(text).map_err(|_| "the message is not JSON".to_string())?;
    Ok(path.query(&value).first().cloned())
}

/// Scalars by value (`1` equals `1.0`), arrays element by element, objects key by key.
fn json_equal(found: &Value, expected: &Value) -> bool {
    match (found, expected) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && b.iter()
                    .all(|(key, b)| a.get(key).is_some_and(|a| json_equal(a, b)))
        }
        (a, b) => a == b,
    }
}

/// `json VALUE`: objects match when every key of `expected` is present with a matching value
/// (other keys allowed), arrays element by element with equal length, scalars by equality.
pub fn contains(found: &Value, expected: &Value) -> bool {
    match (found, expected) {
        (Value::Object(found), Value::Object(expected)) => {
            expected.iter().all(|(key, expected)| {
                found
                    .get(key)
                    .is_some_and(|found| contains(found, expected))
            })
        }
        (Value::Array(found), Value::Array(expected)) => {
            found.len() == expected.len()
                && found
                    .iter()
                    .zip(expected)
                    .all(|(found, expected)| contains(found, expected))
        }
        (found, expected) => json_equal(found, expected),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(message: &str) -> Incoming {
        Incoming::Message(Payload::text(message))
    }

    fn matches(matcher: &str, incoming: &Incoming) -> bool {
        Matcher::parse(matcher).unwrap().matches(incoming)
    }

    #[test]
    fn text_and_regex() {
        assert!(matches("hello world", &text("hello world")));
        assert!(!matches("hello", &text("hello world")));
        assert!(matches("~ wor", &text("hello world")));
        assert!(!matches("~ ^wor", &text("hello world")));
        assert!(Matcher::parse("~ (unclosed").is_err());
    }

    #[test]
    fn json_paths_keep_their_blanks_inside_brackets_and_quotes() {
        let message = text(r#"{"a":{"b c":1},"book":[{"price":8},{"price":22,"t":"x y]"}]}"#);
        assert!(matches("$.a['b c'] == 1", &message));
        assert!(matches("$..book[?@.price > 10].price == 22", &message));
        assert!(matches(r#"$.book[?@.t == 'x y]'].price == 22"#, &message));
        assert!(matches(r#"$.book[?@.t == "x y]"] exists"#, &message));
        assert!(!matches("$..book[?@.price > 30] exists", &message));
        assert_eq!(split_path("$.a  == 1"), ("$.a", "== 1"));
        assert_eq!(
            split_path(r"$['it\'s here'] exists"),
            (r"$['it\'s here']", "exists")
        );
    }

    #[test]
    fn json_containment() {
        let message = text(r#"{"op":"joined","room":{"id":7,"size":1.0},"tags":["a","b"]}"#);
        assert!(matches(r#"json {"op":"joined"}"#, &message));
        assert!(matches(r#"json {"room":{"size":1}}"#, &message));
        assert!(!matches(r#"json {"op":"left"}"#, &message));
        assert!(!matches(r#"json {"tags":["a"]}"#, &message));
        assert!(matches(r#"json {"tags":["a","b"]}"#, &message));
        assert!(!matches(r#"json {"op":"joined"}"#, &text("not json")));
        assert!(Matcher::parse("json {oops").is_err());
    }

    #[test]
    fn json_paths() {
        let message = text(r#"{"result":{"product":"Chrome/156","n":2,"list":[1,2]}}"#);
        assert!(matches(r#"$.result.product ~ ^Chrome/"#, &message));
        assert!(matches(r#"$.result.product ~ "Chrome""#, &message));
        assert!(matches(r#"~ "product""#, &message));
        assert!(matches(r#"$.result.n == 2.0"#, &message));
        assert!(matches(r#"$.result.n != 3"#, &message));
        assert!(!matches(r#"$.result.n != 2"#, &message));
        assert!(matches(r#"$.result.list exists"#, &message));
        assert!(!matches(r#"$.result.missing exists"#, &message));
        assert!(matches(r#"$.result.list[*] == 1"#, &message));
        assert!(Matcher::parse("$.a ==").is_err());
        assert!(Matcher::parse("$.a is 3").is_err());
        assert!(Matcher::parse("$[ == 3").is_err());
    }

    #[test]
    fn binary_close_and_control_frames() {
        let binary = Incoming::Message(Payload::binary(vec![0xde, 0xad]));
        assert!(matches("binary de ad", &binary));
        assert!(!matches("binary dead00", &binary));
        let close = Incoming::Close {
            code: Some(4000),
            reason: String::new(),
            by_peer: true,
        };
        assert!(matches("close", &close));
        assert!(matches("close 4000", &close));
        assert!(!matches("close 1000", &close));
        let ping = Incoming::Ping(b"hb".to_vec());
        assert!(matches("ping", &ping));
        assert!(matches("ping hb", &ping));
        assert!(!Matcher::parse("hb").unwrap().sees(&ping));
        assert!(Matcher::parse("ping").unwrap().sees(&ping));
    }

    #[test]
    fn containment_follows_the_spec() {
        assert!(contains(&json!({"a": 1, "b": 2}), &json!({"a": 1.0})));
        assert!(!contains(&json!([1, 2]), &json!([1])));
        assert!(contains(&json!("x"), &json!("x")));
    }
}
