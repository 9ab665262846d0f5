//! How lines of input (stdin in pipe mode, the serve console, an `--exec` child's stdout)
//! become messages: one policy for line endings and for text that is not UTF-8.

use bytes::Bytes;

use crate::protocol::Payload;

/// Removes one line ending: `\n`, or `\r\n` (a lone trailing `\r` without `\n` is kept).
pub fn strip_line_ending(line: &mut Vec<u8>) {
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
}

/// A line that cannot be a text message; it holds the line's bytes.
#[derive(Debug, PartialEq, Eq)]
pub struct NotUtf8(pub Vec<u8>);

/// Turns one input line (its ending already stripped) into a message: binary with `-b`,
/// text otherwise, which must then be UTF-8.
pub fn line_to_payload(line: Vec<u8>, binary: bool) -> Result<Payload, NotUtf8> {
    if binary {
        return Ok(Payload::Binary(Bytes::from(line)));
    }
    String::from_utf8(line)
        .map(Payload::text)
        .map_err(|error| NotUtf8(error.into_bytes()))
}

/// Text typed at a prompt or given with `-x`: binary with `-b`, text otherwise.
pub fn typed_payload(text: String, binary: bool) -> Payload {
    if binary {
        Payload::binary(text.into_bytes())
    } else {
        Payload::text(text)
    }
}

/// What is said about an input line that is not UTF-8, which is then not sent.
pub fn not_utf8_warning(line_number: u64) -> String {
    format!("stdin line {line_number} is not valid UTF-8 and was not sent (use -b to send binary)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripped(input: &[u8]) -> Vec<u8> {
        let mut line = input.to_vec();
        strip_line_ending(&mut line);
        line
    }

    #[test]
    fn line_endings() {
        assert_eq!(stripped(b"hi\n"), b"hi");
        assert_eq!(stripped(b"hi\r\n"), b"hi");
        assert_eq!(stripped(b"hi"), b"hi");
        assert_eq!(stripped(b"\n"), b"");
        assert_eq!(stripped(b"hi\r"), b"hi\r");
        assert_eq!(stripped(b"a\r\r\n"), b"a\r");
    }

    #[test]
    fn payloads() {
        assert_eq!(
            line_to_payload(b"h\xc3\xa9".to_vec(), false),
            Ok(Payload::text("hé"))
        );
        assert_eq!(line_to_payload(vec![0xff], false), Err(NotUtf8(vec![0xff])));
        assert_eq!(
            line_to_payload(vec![0xff], true),
            Ok(Payload::binary(vec![0xff]))
        );
    }
}
