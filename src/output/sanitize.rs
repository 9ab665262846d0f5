//! Peer data is untrusted on a terminal: control and bidi characters are shown escaped, so a
//! peer cannot move the cursor, recolor the screen, or forge a line that looks like wsx's own.

/// Escapes control characters (except newline and tab, which callers lay out themselves) and
/// the Unicode bidi overrides. Printable text, including non-ASCII, is left alone.
pub fn escape_for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => push_escape(&mut out, c),
            c if is_bidi_control(c) || is_invisible(c) => push_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// As [`escape_for_terminal`], and newlines too: for one-line diagnostics.
pub fn escape_line(text: &str) -> String {
    escape_for_terminal(text)
        .replace('\n', "\\n")
        .replace('\t', "\\t")
}

fn push_escape(out: &mut String, c: char) {
    let code = c as u32;
    if code < 0x100 {
        out.push_str(&format!("\\x{code:02x}"));
    } else {
        out.push_str(&format!("\\u{{{code:04x}}}"));
    }
}

/// Characters that print as nothing (zero-width spaces and joiners, the word joiner, the
/// byte-order mark) or break lines on their own: a peer could hide text in them or make two
/// different strings look the same.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200D}' | '\u{2028}' | '\u{2029}' | '\u{2060}' | '\u{FEFF}'
    )
}

fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_obey() {
        assert_eq!(escape_for_terminal("\x1b[2Jhi"), "\\x1b[2Jhi");
        assert_eq!(escape_for_terminal("a\u{202E}b"), "a\\u{202e}b");
        assert_eq!(escape_for_terminal("bell\x07"), "bell\\x07");
        assert_eq!(escape_for_terminal("x\r* fake"), "x\\r* fake");
        assert_eq!(escape_for_terminal("héllo wörld ✓"), "héllo wörld ✓");
        assert_eq!(escape_for_terminal("two\nlines"), "two\nlines");
        assert_eq!(escape_line("two\nlines"), "two\\nlines");
        assert_eq!(escape_for_terminal("\u{9b}"), "\\x9b");
        assert_eq!(
            escape_for_terminal("a\u{200B}b\u{FEFF}"),
            "a\\u{200b}b\\u{feff}"
        );
        assert_eq!(escape_for_terminal("x\u{2066}y"), "x\\u{2066}y");
    }
}
