//! Runs one parsed test file: its connections dialled with the client `connect` uses and
//! driven by the same session loop, each step in turn, until the first failure.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clap::Parser;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::test::matcher::{
    Incoming, Matcher, capture_text, invalid_regex, parse_hex, query_first,
};
use crate::test::parse::{Action, CaptureFrom, ConnectStep, Outgoing, Script, Step};
use crate::test::vars::Vars;
mod connection;

use crate::client::Client;
use crate::output::Printer;
use crate::protocol::session::{self, outbox};
use crate::protocol::{
    Command, DEFAULT_MAX_FRAME_SIZE, Limits, OutboxSender, Payload, SessionOptions,
};
pub use connection::forwarder;
use connection::{Connection, Forward};

/// How long the end of a file waits for its connections to finish closing.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Settings for every file of a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub timeout: Duration,
    pub vars: Vec<(String, String)>,
}

/// How one step went.
#[derive(Debug, Clone)]
pub struct StepResult {
    pub line: usize,
    pub step: String,
    pub elapsed: Duration,
    pub failure: Option<Failure>,
}

/// Why a step failed: the expectation, and what happened instead.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// One line: what went wrong.
    pub summary: String,
    /// What was expected, when a matcher was involved.
    pub expected: Option<String>,
    /// What arrived (the latest last), escaped for people.
    pub received: Vec<Incoming>,
    /// `json`/`==` matchers: the expected JSON, for a diff against the last message.
    pub expected_json: Option<Box<serde_json::Value>>,
}

impl Failure {
    pub fn plain(summary: impl Into<String>) -> Failure {
        Failure {
            summary: summary.into(),
            expected: None,
            received: Vec::new(),
            expected_json: None,
        }
    }
}

/// What the run of a file did.
#[derive(Debug, Clone)]
pub struct FileOutcome {
    pub path: String,
    pub steps: Vec<StepResult>,
    pub elapsed: Duration,
}

impl FileOutcome {
    pub fn failed_step(&self) -> Option<&StepResult> {
        self.steps.iter().find(|step| step.failure.is_some())
    }
}

/// Where `-v` shows each step and message as it happens.
pub type Trace = Arc<dyn Fn(&str) + Send + Sync>;

pub async fn run_file(
    script: &Script,
    options: &RunOptions,
    printer: &Printer,
    trace: Option<Trace>,
) -> FileOutcome {
    let started = Instant::now();
    let mut run = Runner::new(options, Some(printer), trace);
    let steps = run.steps(script).await;
    run.close_all().await;
    FileOutcome {
        path: script.path.clone(),
        steps,
        elapsed: started.elapsed(),
    }
}

/// `serve --script`: the steps from the server's side, on a connection the server already
/// runs. The first failing step, if any, comes back; the connection is left open.
pub async fn run_on_connection(
    script: &Script,
    options: &RunOptions,
    sender: OutboxSender,
    events: mpsc::UnboundedReceiver<Incoming>,
) -> Option<StepResult> {
    let mut run = Runner::new(options, None, None);
    run.connections
        .insert(String::new(), Connection::new(sender, events, None));
    run.steps(script)
        .await
        .into_iter()
        .find(|step| step.failure.is_some())
}

impl<'a> Runner<'a> {
    fn new(options: &RunOptions, printer: Option<&'a Printer>, trace: Option<Trace>) -> Runner<'a> {
        let mut vars = Vars::default();
        for (name, value) in &options.vars {
            vars.set(name, value.clone());
        }
        Runner {
            vars,
            timeout: options.timeout,
            connections: HashMap::new(),
            last_matched: None,
            printer,
            trace,
        }
    }

    /// Runs the steps up to the first failure.
    async fn steps(&mut self, script: &Script) -> Vec<StepResult> {
        let mut steps = Vec::new();
        for step in &script.steps {
            if let Some(trace) = &self.trace {
                trace(&format!("{}:{} {}", script.path, step.line, step.source));
            }
            let step_started = Instant::now();
            let failure = self.step(step).await.err();
            let failed = failure.is_some();
            steps.push(StepResult {
                line: step.line,
                step: step.source.clone(),
                elapsed: step_started.elapsed(),
                failure,
            });
            if failed {
                break;
            }
        }
        steps
    }
}

struct Runner<'a> {
    vars: Vars,
    timeout: Duration,
    connections: HashMap<String, Connection>,
    /// The last message an `expect` or `await` matched, for `capture`.
    last_matched: Option<Incoming>,
    /// For dialling; `serve --script` has no connect steps.
    printer: Option<&'a Printer>,
    trace: Option<Trace>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// The next message must match.
    Expect,
    /// Messages are skipped until one matches.
    Await,
}

impl Runner<'_> {
    async fn step(&mut self, step: &Step) -> Result<(), Failure> {
        let text = |vars: &Vars, template: &str| vars.substitute(template).map_err(Failure::plain);
        match &step.action {
            Action::Connect(words) => {
                let words = words
                    .iter()
                    .map(|word| text(&self.vars, word))
                    .collect::<Result<Vec<_>, _>>()?;
                self.connect(&step.connection, &words).await
            }
            Action::Send(outgoing) => {
                let payload = match outgoing {
                    Outgoing::Text(template) => Payload::text(text(&self.vars, template)?),
                    Outgoing::Hex(template) => Payload::binary(
                        parse_hex(&text(&self.vars, template)?).map_err(Failure::plain)?,
                    ),
                    Outgoing::Base64(template) => {
                        use base64::Engine as _;
                        let data = text(&self.vars, template)?;
                        Payload::binary(
                            base64::engine::general_purpose::STANDARD
                                .decode(data.trim())
                                .map_err(|_| Failure::plain(format!("'{data}' is not base64")))?,
                        )
                    }
                };
                self.command(&step.connection, Command::Send(payload)).await
            }
            Action::Ping(template) => {
                let data = Bytes::from(text(&self.vars, template)?);
                self.command(&step.connection, Command::Ping(data)).await
            }
            Action::Pong(template) => {
                let data = Bytes::from(text(&self.vars, template)?);
                self.command(&step.connection, Command::Pong(data)).await
            }
            Action::Close { code, reason } => {
                let close = Command::Close {
                    code: code.unwrap_or(1000),
                    reason: text(&self.vars, reason)?,
                };
                self.command(&step.connection, close).await
            }
            Action::Expect(template) => {
                let matcher = self.matcher(step, template)?;
                if let Matcher::Silence(wait) = *matcher {
                    return self.silence(&step.connection, wait).await;
                }
                self.wait_for(&step.connection, &matcher, Wait::Expect)
                    .await
            }
            Action::Await(template) => {
                let matcher = self.matcher(step, template)?;
                self.wait_for(&step.connection, &matcher, Wait::Await).await
            }
            Action::Ignore(template) => {
                let matcher = self.matcher(step, template)?;
                self.connection(&step.connection)?
                    .ignores
                    .push(Matcher::clone(&matcher));
                Ok(())
            }
            Action::Capture { name, from } => {
                let value = self.capture(from)?;
                self.vars.set(name, value);
                Ok(())
            }
            Action::Set { name, value } => {
                let value = text(&self.vars, value)?;
                self.vars.set(name, value);
                Ok(())
            }
            Action::Sleep(duration) => {
                tokio::time::sleep(*duration).await;
                Ok(())
            }
            Action::Timeout(duration) => {
                self.timeout = *duration;
                Ok(())
            }
        }
    }

    /// The step's matcher: parsed with the file, or now that its variables have values.
    fn matcher(&self, step: &Step, template: &str) -> Result<Arc<Matcher>, Failure> {
        if let Some(matcher) = &step.prepared.0 {
            return Ok(matcher.clone());
        }
        let text = self.vars.substitute(template).map_err(Failure::plain)?;
        Matcher::parse(&text).map(Arc::new).map_err(Failure::plain)
    }

    fn connection(&mut self, name: &str) -> Result<&mut Connection, Failure> {
        self.connections
            .get_mut(name)
            .ok_or_else(|| Failure::plain("not connected"))
    }

    async fn connect(&mut self, name: &str, words: &[String]) -> Result<(), Failure> {
        let step = ConnectStep::try_parse_from(words)
            .map_err(|error| Failure::plain(super::parse::connect_error(&error)))?;
        let limits = Limits::new(64 << 20, DEFAULT_MAX_FRAME_SIZE);
        let client = Client::new(&step.client, limits, false)
            .map_err(|error| Failure::plain(error.to_string()))?;
        let Some(printer) = self.printer else {
            return Err(Failure::plain("a server script cannot connect"));
        };
        let connection = client
            .dial(printer)
            .await
            .map_err(|error| Failure::plain(error.to_string()))?;
        let (sender, mut queue) = outbox(1024, 16 << 20);
        let (events_tx, events) = mpsc::unbounded_channel();
        let mut forward = Forward {
            events: events_tx,
            trace: self.trace.clone().map(|trace| (trace, label(name))),
            last_error: None,
        };
        let options = SessionOptions {
            echo: false,
            count: None,
            ping_interval: None,
            close_timeout: CLOSE_WAIT,
            limits,
        };
        let task = tokio::spawn(async move {
            session::run(
                connection.ws,
                &options,
                &mut queue,
                Vec::new(),
                &mut forward,
            )
            .await;
        });
        self.connections.insert(
            name.to_string(),
            Connection::new(sender, events, Some(task)),
        );
        Ok(())
    }

    async fn command(&mut self, name: &str, command: Command) -> Result<(), Failure> {
        let connection = self.connection(name)?;
        if let Some(ended) = &connection.ended {
            return Err(Failure {
                received: vec![ended.clone()],
                ..Failure::plain("the connection has ended; nothing more can be sent")
            });
        }
        connection
            .sender
            .send(command)
            .await
            .map_err(|_| Failure::plain("the connection has ended; nothing more can be sent"))
    }

    async fn wait_for(&mut self, name: &str, matcher: &Matcher, wait: Wait) -> Result<(), Failure> {
        let timeout = self.timeout;
        let deadline = Instant::now() + timeout;
        let connection = self.connection(name)?;
        let fail = |connection: &Connection, summary: String| Failure {
            summary,
            expected: Some(matcher.describe()),
            received: connection.recent.iter().cloned().collect(),
            expected_json: matcher.expected_json().cloned().map(Box::new),
        };
        loop {
            let Some(incoming) = connection.next(deadline).await else {
                let summary = format!(
                    "nothing matched within {}",
                    humantime::format_duration(timeout)
                );
                return Err(fail(connection, summary));
            };
            if !matcher.sees(&incoming) || connection.ignored(&incoming) {
                continue;
            }
            if matcher.matches(&incoming) {
                self.last_matched = Some(incoming);
                return Ok(());
            }
            if incoming.is_final() {
                let summary = match &incoming {
                    Incoming::Close { by_peer: true, .. } => "the server closed the connection",
                    Incoming::Close { .. } => "the connection closed",
                    _ => "the connection failed",
                };
                return Err(fail(connection, summary.to_string()));
            }
            if wait == Wait::Expect {
                return Err(fail(connection, "a different message arrived".to_string()));
            }
        }
    }

    async fn silence(&mut self, name: &str, quiet: Duration) -> Result<(), Failure> {
        let deadline = Instant::now() + quiet;
        let connection = self.connection(name)?;
        loop {
            let Some(incoming) = connection.next(deadline).await else {
                return Ok(());
            };
            if matches!(incoming, Incoming::Ping(_) | Incoming::Pong(_))
                || connection.ignored(&incoming)
            {
                continue;
            }
            return Err(Failure {
                summary: format!("not silent for {}", humantime::format_duration(quiet)),
                expected: Some(format!("silence for {}", humantime::format_duration(quiet))),
                received: vec![incoming],
                expected_json: None,
            });
        }
    }

    fn capture(&self, from: &CaptureFrom) -> Result<String, Failure> {
        let Some(Incoming::Message(payload)) = &self.last_matched else {
            return Err(Failure::plain(
                "capture needs a message matched by expect or await before it",
            ));
        };
        let Payload::Text(text) = payload else {
            return Err(Failure::plain(
                "the last matched message is binary; capture reads text",
            ));
        };
        match from {
            CaptureFrom::Path(template) => {
                let path = self.vars.substitute(template).map_err(Failure::plain)?;
                match query_first(&path, text).map_err(Failure::plain)? {
                    Some(value) => Ok(capture_text(&value)),
                    None => Err(Failure {
                        received: vec![Incoming::Message(payload.clone())],
                        ..Failure::plain(format!(
                            "{path} selects nothing in the last matched message"
                        ))
                    }),
                }
            }
            CaptureFrom::Regex(template) => {
                let pattern = self.vars.substitute(template).map_err(Failure::plain)?;
                let regex = regex::Regex::new(&pattern)
                    .map_err(|error| Failure::plain(invalid_regex(&error)))?;
                let captures = regex.captures(text).ok_or_else(|| Failure {
                    received: vec![Incoming::Message(payload.clone())],
                    ..Failure::plain(format!(
                        "~ {pattern} finds nothing in the last matched message"
                    ))
                })?;
                let found = captures.get(1).or_else(|| captures.get(0));
                Ok(found.map_or(String::new(), |found| found.as_str().to_string()))
            }
        }
    }

    /// The end of the file: open connections close with 1000.
    async fn close_all(&mut self) {
        for connection in self.connections.values() {
            if connection.ended.is_none() {
                let _ = connection.sender.control(Command::normal_close());
            }
        }
        for (_, connection) in self.connections.drain() {
            let Connection {
                mut events,
                task: Some(mut task),
                ..
            } = connection
            else {
                continue;
            };
            // Read on, so that the close's last events find a reader.
            let drain = async { while events.recv().await.is_some() {} };
            let _ = tokio::time::timeout(CLOSE_WAIT, async {
                let _ = tokio::join!(drain, &mut task);
            })
            .await;
            task.abort();
        }
    }
}

fn label(name: &str) -> String {
    if name.is_empty() {
        String::new()
    } else {
        format!("@{name} ")
    }
}
