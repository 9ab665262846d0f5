//! A parsed test file: its steps, what each does (texts still holding their `{{variables}}`),
//! and a parse error as it is shown.

use std::time::Duration;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use super::matcher::Matcher;

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
    pub fn uses_connection(&self) -> bool {
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
            "{}:{}:{}: {}\n{shown}\n",
            self.path, self.line, self.column, self.message
        )
    }
}
