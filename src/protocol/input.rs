//! The pipe codec: how input lines become messages.

use bytes::Bytes;

use super::message::Payload;

/// Removes one line ending: `\n`, or `\r\n` (a lone trailing `\r` without `\n` is kept).
pub fn strip_line_ending(line: &mut Vec<u8>) {
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
}

/// Why a line could not become a message.
#[derive(Debug, PartialEq, Eq)]
pub struct NotUtf8;

/// Turns one input line (its ending already stripped) into a message: binary with `-b`,
/// text otherwise, which must then be UTF-8.
pub fn line_to_payload(line: Vec<u8>, binary: bool) -> Result<Payload, NotUtf8> {
    if binary {
        return Ok(Payload::Binary(Bytes::from(line)));
    }
    String::from_utf8(line)
        .map(Payload::text)
        .map_err(|_| NotUtf8)
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
        assert_eq!(line_to_payload(vec![0xff], false), Err(NotUtf8));
        assert_eq!(
            line_to_payload(vec![0xff], true),
            Ok(Payload::binary(vec![0xff]))
        );
    }
}
