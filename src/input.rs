//! How lines of input (stdin in pipe mode, the serve console, an `--exec` child's stdout)
//! become messages: one policy for line endings and for text that is not UTF-8.

use bytes::Bytes;

use crate::protocol::Payload;

/// `--raw`: the most one read of stdin becomes, as one binary message.
pub const RAW_CHUNK: usize = 64 * 1024;

/// `--raw` input: each read (at most [`RAW_CHUNK`] bytes) becomes one binary message, until
/// EOF or until `send` says the session is gone. Bytes go as they came: what comes out of
/// `wsx … --raw > file` on the other end is byte for byte what went in.
pub fn read_chunks(
    reader: &mut impl std::io::Read,
    mut send: impl FnMut(Payload) -> bool,
) -> std::io::Result<()> {
    let mut buffer = vec![0u8; RAW_CHUNK];
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if !send(Payload::binary(buffer[..read].to_vec())) {
            return Ok(());
        }
    }
}

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
    fn raw_input_is_sent_as_read() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut sent = Vec::new();
        read_chunks(&mut &data[..], |payload| {
            assert!(matches!(payload, Payload::Binary(_)));
            assert!(payload.len() <= RAW_CHUNK);
            sent.extend_from_slice(payload.as_bytes());
            true
        })
        .unwrap();
        assert_eq!(sent, data);
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
