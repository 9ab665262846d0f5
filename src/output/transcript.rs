//! The REPL's record of the session, for `/save`: every event shown and every message sent,
//! as `--jsonl` lines.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// The transcript keeps the newest lines up to this many bytes, so that a chatty peer in a
/// long session cannot grow wsx without bound.
const MAX_BYTES: usize = 64 << 20;

#[derive(Debug, Default)]
pub struct Transcript {
    lines: VecDeque<String>,
    bytes: usize,
    dropped: u64,
}

/// What `/save` wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    pub lines: usize,
    /// The oldest lines, no longer kept.
    pub dropped: u64,
}

impl Transcript {
    pub fn push(&mut self, line: String) {
        self.bytes += line.len();
        self.lines.push_back(line);
        while self.bytes > MAX_BYTES {
            let Some(oldest) = self.lines.pop_front() else {
                break;
            };
            self.bytes -= oldest.len();
            self.dropped += 1;
        }
    }

    /// Writes the transcript to `path`, one JSON object per line.
    pub fn save(&self, path: &Path) -> io::Result<Saved> {
        let mut file = BufWriter::new(File::create(path)?);
        for line in &self.lines {
            file.write_all(line.as_bytes())?;
            file.write_all(b"\n")?;
        }
        file.flush()?;
        Ok(Saved {
            lines: self.lines.len(),
            dropped: self.dropped,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_lines_within_the_bound() {
        let mut transcript = Transcript::default();
        let line = "x".repeat(MAX_BYTES / 4);
        for _ in 0..6 {
            transcript.push(line.clone());
        }
        assert_eq!(transcript.lines.len(), 4);
        assert_eq!(transcript.dropped, 2);
    }
}
