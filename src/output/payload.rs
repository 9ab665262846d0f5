//! Message payloads laid out for people in the REPL: JSON indented for `--pretty`, and
//! binary as a hex dump. Pure functions, like the rest of the formatters.

use super::sanitize::escape_for_terminal;

/// Rows of a hex dump shown in the REPL: 1 KiB. A larger message is summed up after them,
/// since a screenful of hex says more than a scrollback full of it.
const HEX_DUMP_ROWS: usize = 64;
const HEX_DUMP_ROW_BYTES: usize = 16;

/// `hexdump -C` layout: offset, 16 bytes in two groups of 8, then the bytes as ASCII with
/// `.` for anything unprintable (so the dump itself is always safe on a terminal).
pub fn hex_dump(data: &[u8]) -> String {
    let mut rows = Vec::new();
    for (row, chunk) in data
        .chunks(HEX_DUMP_ROW_BYTES)
        .take(HEX_DUMP_ROWS)
        .enumerate()
    {
        let mut line = format!("{:08x}  ", row * HEX_DUMP_ROW_BYTES);
        for column in 0..HEX_DUMP_ROW_BYTES {
            match chunk.get(column) {
                Some(byte) => line.push_str(&format!("{byte:02x} ")),
                None => line.push_str("   "),
            }
            if column == HEX_DUMP_ROW_BYTES / 2 - 1 {
                line.push(' ');
            }
        }
        let ascii: String = chunk
            .iter()
            .map(|&byte| match byte {
                b' '..=b'~' => char::from(byte),
                _ => '.',
            })
            .collect();
        line.push_str(&format!(" |{ascii}|"));
        rows.push(line);
    }
    let shown = data.len().min(HEX_DUMP_ROWS * HEX_DUMP_ROW_BYTES);
    if data.len() > shown {
        rows.push(format!("… {} more bytes", data.len() - shown));
    }
    rows.join("\n")
}

/// Terminal colors of `--pretty` JSON, as jq paints it: keys bold blue, strings green.
const JSON_KEY_COLOR: &str = "\x1b[1;34m";
const JSON_STRING_COLOR: &str = "\x1b[32m";
const RESET: &str = "\x1b[0m";

/// `--pretty`: a JSON object or array with one member per line, indented by two spaces, or
/// None when `text` is not one. Strings and numbers are copied as they were sent, not
/// re-encoded (serde_json would turn 1e400 into null and long integers into floats), and
/// strings are escaped for the terminal like any peer text.
pub fn pretty_json(text: &str, color: bool) -> Option<String> {
    let json = text.trim();
    if !json.starts_with(['{', '[']) {
        return None;
    }
    serde_json::from_str::<serde::de::IgnoredAny>(json).ok()?;
    // Valid JSON from here on: every structural character is ASCII, so slicing at them is
    // slicing at char boundaries.
    let bytes = json.as_bytes();
    let mut out = String::with_capacity(json.len() * 2);
    let mut depth = 0;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                let next = skip_json_whitespace(bytes, at + 1);
                out.push(char::from(open));
                if bytes.get(next) == Some(&close) {
                    out.push(char::from(close));
                    at = next + 1;
                } else {
                    depth += 1;
                    new_json_line(&mut out, depth);
                    at = next;
                }
            }
            close @ (b'}' | b']') => {
                depth -= 1;
                new_json_line(&mut out, depth);
                out.push(char::from(close));
                at += 1;
            }
            b',' => {
                out.push(',');
                new_json_line(&mut out, depth);
                at += 1;
            }
            b':' => {
                out.push_str(": ");
                at += 1;
            }
            b' ' | b'\t' | b'\n' | b'\r' => at += 1,
            b'"' => {
                let end = json_string_end(bytes, at);
                let is_key = bytes.get(skip_json_whitespace(bytes, end)) == Some(&b':');
                let token = escape_for_terminal(&json[at..end]);
                match (color, is_key) {
                    (false, _) => out.push_str(&token),
                    (true, true) => out.push_str(&format!("{JSON_KEY_COLOR}{token}{RESET}")),
                    (true, false) => out.push_str(&format!("{JSON_STRING_COLOR}{token}{RESET}")),
                }
                at = end;
            }
            _ => {
                // A number, true, false or null: up to the next delimiter.
                let end = bytes[at..]
                    .iter()
                    .position(|byte| b",]} \t\n\r".contains(byte))
                    .map_or(bytes.len(), |length| at + length);
                out.push_str(&json[at..end]);
                at = end;
            }
        }
    }
    Some(out)
}

fn new_json_line(out: &mut String, depth: usize) {
    out.push('\n');
    out.push_str(&"  ".repeat(depth));
}

fn skip_json_whitespace(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|byte| !b" \t\n\r".contains(byte))
        .map_or(bytes.len(), |skipped| from + skipped)
}

/// The index just past the closing quote of the string that starts at `start`.
fn json_string_end(bytes: &[u8], start: usize) -> usize {
    let mut at = start + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return at + 1,
            _ => at += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_dump_stops_after_64_rows() {
        let dump = hex_dump(&[0x41; 1030]);
        let rows: Vec<&str> = dump.lines().collect();
        assert_eq!(rows.len(), 65);
        insta::assert_snapshot!(rows[63..].join("\n"), @r"
        000003f0  41 41 41 41 41 41 41 41  41 41 41 41 41 41 41 41  |AAAAAAAAAAAAAAAA|
        … 6 more bytes
        ");
        assert_eq!(hex_dump(&[0x41; 1024]).lines().count(), 64);
    }

    #[test]
    fn pretty_json_colors_keys_and_strings_and_escapes_them() {
        let text = pretty_json("[{\"k\u{202e}\": \"v\u{9b}\", \"n\": 1}]", true).unwrap();
        assert_eq!(
            text,
            "[\n  {\n    \x1b[1;34m\"k\\u{202e}\"\x1b[0m: \x1b[32m\"v\\x9b\"\x1b[0m,\n    \x1b[1;34m\"n\"\x1b[0m: 1\n  }\n]"
        );
    }
}
