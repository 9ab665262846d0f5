//! What `wsx test` says: a line per file (`PASS FILE (N steps, T ms)` or `FAIL FILE:LINE
//! STEP` and why), the summary, `--jsonl` objects and JUnit XML. Pure functions of the
//! outcomes, so they are tested as snapshots.

use std::io::Write as _;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde_json::{Value, json};
use similar::{ChangeTag, TextDiff};

use super::matcher::Incoming;
use super::run::{Failure, FileOutcome, StepResult};
use crate::output::format::describe_close;
use crate::output::sanitize::escape_line;
use crate::protocol::Payload;

/// Longest a received message is shown, in characters.
const SHOWN: usize = 200;

/// Something that arrived, on one line, escaped.
pub fn incoming_line(incoming: &Incoming) -> String {
    match incoming {
        Incoming::Message(Payload::Text(text)) => shorten(&escape_line(text)),
        Incoming::Message(Payload::Binary(data)) => {
            shorten(&format!("binary {}", hex::encode(data)))
        }
        Incoming::Ping(data) => format!("ping {}", escape_line(&String::from_utf8_lossy(data))),
        Incoming::Pong(data) => format!("pong {}", escape_line(&String::from_utf8_lossy(data))),
        Incoming::Close {
            code,
            reason,
            by_peer,
        } => {
            let by = if *by_peer {
                "by the server"
            } else {
                "as asked"
            };
            format!("close {} ({by})", describe_close(*code, reason))
        }
        Incoming::Failed(why) => format!("connection failed: {}", escape_line(why)),
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= SHOWN {
        return text.to_string();
    }
    let kept: String = text.chars().take(SHOWN).collect();
    format!("{kept}… ({} characters)", text.chars().count())
}

/// The lines that explain a failure, each indented by two spaces.
pub fn failure_lines(failure: &Failure) -> Vec<String> {
    let mut lines = vec![format!("  {}", failure.summary)];
    if let Some(expected) = &failure.expected {
        lines.push(format!("  expected: {}", escape_line(expected)));
    }
    match failure.received.as_slice() {
        [] if failure.expected.is_some() => lines.push("  received: nothing".to_string()),
        [] => {}
        [only] => lines.push(format!("  received: {}", incoming_line(only))),
        several => {
            lines.push(format!("  received (last {}):", several.len()));
            lines.extend(
                several
                    .iter()
                    .map(|incoming| format!("    {}", incoming_line(incoming))),
            );
        }
    }
    if let (Some(expected), Some(Incoming::Message(Payload::Text(text)))) =
        (&failure.expected_json, failure.received.last())
        && let Ok(received) = serde_json::from_str::<Value>(text)
    {
        lines.push("  diff (- expected, + received):".to_string());
        lines.extend(json_diff(expected, &received));
    }
    lines
}

/// A line diff of the two values, pretty-printed.
fn json_diff(expected: &Value, received: &Value) -> Vec<String> {
    let pretty = |value: &Value| serde_json::to_string_pretty(value).unwrap_or_default() + "\n";
    let (expected, received) = (pretty(expected), pretty(received));
    TextDiff::from_lines(&expected, &received)
        .iter_all_changes()
        .map(|change| {
            let sign = match change.tag() {
                ChangeTag::Delete => '-',
                ChangeTag::Insert => '+',
                ChangeTag::Equal => ' ',
            };
            format!(
                "    {sign}{}",
                escape_line(change.value().trim_end_matches('\n'))
            )
        })
        .collect()
}

/// The report of one file: one line, and the failure's explanation under it.
pub fn file_report(outcome: &FileOutcome) -> String {
    match outcome.failed_step() {
        None => format!(
            "PASS {} ({} step{}, {} ms)\n",
            outcome.path,
            outcome.steps.len(),
            if outcome.steps.len() == 1 { "" } else { "s" },
            outcome.elapsed.as_millis()
        ),
        Some(step) => {
            let mut text = format!(
                "FAIL {}:{} {}\n",
                outcome.path,
                step.line,
                escape_line(&step.step)
            );
            if let Some(failure) = &step.failure {
                for line in failure_lines(failure) {
                    text.push_str(&line);
                    text.push('\n');
                }
            }
            text
        }
    }
}

pub fn summary(passed: usize, failed: usize) -> String {
    format!("{passed} passed, {failed} failed\n")
}

/// `--jsonl`: one object per step result.
pub fn step_jsonl(path: &str, step: &StepResult) -> String {
    let mut object = json!({
        "event": "step",
        "file": path,
        "line": step.line,
        "step": step.step,
        "status": if step.failure.is_some() { "fail" } else { "pass" },
        "ms": milliseconds(step.elapsed),
    });
    if let Some(failure) = &step.failure {
        object["failure"] = failure_json(failure);
    }
    object.to_string()
}

/// `--jsonl`: one object per file.
pub fn file_jsonl(outcome: &FileOutcome) -> String {
    let failed = outcome.failed_step();
    let mut object = json!({
        "event": "file",
        "file": outcome.path,
        "status": if failed.is_some() { "fail" } else { "pass" },
        "steps": outcome.steps.len(),
        "ms": milliseconds(outcome.elapsed),
    });
    if let Some(step) = failed {
        object["line"] = json!(step.line);
        object["step"] = json!(step.step);
        if let Some(failure) = &step.failure {
            object["failure"] = failure_json(failure);
        }
    }
    object.to_string()
}

fn failure_json(failure: &Failure) -> Value {
    json!({
        "summary": failure.summary,
        "expected": failure.expected,
        "received": failure.received.iter().map(incoming_line).collect::<Vec<_>>(),
    })
}

/// JUnit XML, as CI systems read it: one `<testcase>` per file, the failure's report as its
/// text. The file itself is the class, so CI groups cases by it.
pub fn junit(outcomes: &[FileOutcome]) -> std::io::Result<Vec<u8>> {
    let failures = outcomes
        .iter()
        .filter(|outcome| outcome.failed_step().is_some())
        .count();
    let seconds: f64 = outcomes
        .iter()
        .map(|outcome| outcome.elapsed.as_secs_f64())
        .sum();
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let tests = outcomes.len().to_string();
    let failures_text = failures.to_string();
    let time = format!("{seconds:.3}");
    let attributes = [
        ("name", "wsx test"),
        ("tests", tests.as_str()),
        ("failures", failures_text.as_str()),
        ("errors", "0"),
        ("time", time.as_str()),
    ];
    writer.write_event(Event::Start(
        BytesStart::new("testsuites").with_attributes(attributes),
    ))?;
    writer.write_event(Event::Start(
        BytesStart::new("testsuite").with_attributes(attributes),
    ))?;
    for outcome in outcomes {
        let time = format!("{:.3}", outcome.elapsed.as_secs_f64());
        let case = BytesStart::new("testcase").with_attributes([
            ("name", outcome.path.as_str()),
            ("classname", "wsx"),
            ("time", time.as_str()),
        ]);
        match outcome.failed_step() {
            None => writer.write_event(Event::Empty(case))?,
            Some(step) => {
                writer.write_event(Event::Start(case))?;
                let message = format!("{}:{} {}", outcome.path, step.line, step.step);
                let summary = step
                    .failure
                    .as_ref()
                    .map_or(String::new(), |failure| failure.summary.clone());
                let failure = BytesStart::new("failure").with_attributes([
                    ("message", format!("{message}: {summary}").as_str()),
                    ("type", "failure"),
                ]);
                writer.write_event(Event::Start(failure))?;
                let text = file_report(outcome);
                // As escaped text: peer data may hold `]]>`, which no CDATA section can.
                writer.write_event(Event::Text(BytesText::new(&text)))?;
                writer.write_event(Event::End(BytesEnd::new("failure")))?;
                writer.write_event(Event::End(BytesEnd::new("testcase")))?;
            }
        }
    }
    writer.write_event(Event::End(BytesEnd::new("testsuite")))?;
    writer.write_event(Event::End(BytesEnd::new("testsuites")))?;
    let mut xml = writer.into_inner();
    writeln!(xml)?;
    Ok(xml)
}

/// Milliseconds to the microsecond, as `--jsonl` gives them (no float noise in the 17th digit).
fn milliseconds(elapsed: std::time::Duration) -> f64 {
    (elapsed.as_secs_f64() * 1e6).round() / 1e3
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn failed(step: &str, failure: Failure) -> FileOutcome {
        FileOutcome {
            path: "login.wsx".into(),
            steps: vec![
                StepResult {
                    line: 1,
                    step: "connect ws://h/".into(),
                    elapsed: Duration::from_millis(3),
                    failure: None,
                },
                StepResult {
                    line: 4,
                    step: step.into(),
                    elapsed: Duration::from_millis(5),
                    failure: Some(failure),
                },
            ],
            elapsed: Duration::from_millis(12),
        }
    }

    fn text(message: &str) -> Incoming {
        Incoming::Message(Payload::text(message))
    }

    #[test]
    fn a_wrong_json_value_shows_a_diff() {
        let outcome = failed(
            "expect json {\"op\":\"joined\",\"room\":1}",
            Failure {
                summary: "a different message arrived".into(),
                expected: Some("JSON containing {\"op\":\"joined\",\"room\":1}".into()),
                received: vec![text("{\"op\":\"error\",\"room\":1}")],
                expected_json: Some(Box::new(json!({"op": "joined", "room": 1}))),
            },
        );
        insta::assert_snapshot!(file_report(&outcome), @r#"
        FAIL login.wsx:4 expect json {"op":"joined","room":1}
          a different message arrived
          expected: JSON containing {"op":"joined","room":1}
          received: {"op":"error","room":1}
          diff (- expected, + received):
             {
            -  "op": "joined",
            +  "op": "error",
               "room": 1
             }
        "#);
    }

    #[test]
    fn a_timeout_lists_what_arrived() {
        let outcome = failed(
            "expect ready",
            Failure {
                summary: "nothing matched within 5s".into(),
                expected: Some("the text \"ready\"".into()),
                received: vec![text("hello"), text("still \x1b[2Jbooting")],
                expected_json: None,
            },
        );
        insta::assert_snapshot!(file_report(&outcome), @r#"
        FAIL login.wsx:4 expect ready
          nothing matched within 5s
          expected: the text "ready"
          received (last 2):
            hello
            still \x1b[2Jbooting
        "#);
    }

    #[test]
    fn a_close_instead_of_a_message() {
        let outcome = failed(
            "expect $.op == \"joined\"",
            Failure {
                summary: "the server closed the connection".into(),
                expected: Some("JSON where $.op == \"joined\"".into()),
                received: vec![Incoming::Close {
                    code: Some(4001),
                    reason: "bad token".into(),
                    by_peer: true,
                }],
                expected_json: Some(Box::new(json!("joined"))),
            },
        );
        insta::assert_snapshot!(file_report(&outcome), @r#"
        FAIL login.wsx:4 expect $.op == "joined"
          the server closed the connection
          expected: JSON where $.op == "joined"
          received: close 4001 (private) "bad token" (by the server)
        "#);
    }

    #[test]
    fn an_unknown_variable() {
        let outcome = failed(
            "send {{token}}",
            Failure::plain(
                "unknown variable {{token}}: set it with `set token …`, `capture token …` or --var token=…",
            ),
        );
        insta::assert_snapshot!(file_report(&outcome), @r"
        FAIL login.wsx:4 send {{token}}
          unknown variable {{token}}: set it with `set token …`, `capture token …` or --var token=…
        ");
    }

    #[test]
    fn passes_and_the_summary() {
        let outcome = FileOutcome {
            path: "ok.wsx".into(),
            steps: vec![StepResult {
                line: 1,
                step: "connect ws://h/".into(),
                elapsed: Duration::from_millis(1),
                failure: None,
            }],
            elapsed: Duration::from_millis(7),
        };
        assert_eq!(file_report(&outcome), "PASS ok.wsx (1 step, 7 ms)\n");
        assert_eq!(summary(3, 1), "3 passed, 1 failed\n");
        let file: Value = serde_json::from_str(&file_jsonl(&outcome)).unwrap();
        assert_eq!(
            (file["status"].as_str(), file["steps"].as_u64()),
            (Some("pass"), Some(1))
        );
    }
}
