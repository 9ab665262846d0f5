//! Every step kind and every parse error, with its line and column.

use std::time::Duration;

use super::*;

fn parse_ok(text: &str) -> Vec<Action> {
    parse("t.wsx", text)
        .unwrap_or_else(|error| panic!("{}", error.render()))
        .steps
        .into_iter()
        .map(|step| step.action)
        .collect()
}

fn parse_error(text: &str) -> ParseError {
    parse("t.wsx", text).expect_err("a parse error")
}

#[test]
fn every_step_kind() {
    let actions = parse_ok(
        "# a comment\n\
         connect ws://h/ -H 'X-A: 1' -s chat\n\
         \n\
         send hello {{name}}\n\
         send binary de ad\n\
         send base64 3q0=\n\
         ping hb\n\
         pong\n\
         expect hello\n\
         await ~ ^ok\n\
         ignore json {\"type\":\"heartbeat\"}\n\
         capture id $.id\n\
         capture token ~ token=(\\w+)\n\
         set name world\n\
         sleep 10ms\n\
         timeout 2s\n\
         expect silence 100ms\n\
         close 4000 bye now\n",
    );
    assert_eq!(
        actions[0],
        Action::Connect(vec![
            "ws://h/".into(),
            "-H".into(),
            "X-A: 1".into(),
            "-s".into(),
            "chat".into()
        ])
    );
    assert_eq!(
        actions[1],
        Action::Send(Outgoing::Text("hello {{name}}".into()))
    );
    assert_eq!(actions[2], Action::Send(Outgoing::Hex("de ad".into())));
    assert_eq!(actions[3], Action::Send(Outgoing::Base64("3q0=".into())));
    assert_eq!(actions[4], Action::Ping("hb".into()));
    assert_eq!(actions[5], Action::Pong(String::new()));
    assert_eq!(actions[6], Action::Expect("hello".into()));
    assert_eq!(actions[7], Action::Await("~ ^ok".into()));
    assert_eq!(
        actions[8],
        Action::Ignore("json {\"type\":\"heartbeat\"}".into())
    );
    assert_eq!(
        actions[9],
        Action::Capture {
            name: "id".into(),
            from: CaptureFrom::Path("$.id".into())
        }
    );
    assert_eq!(
        actions[10],
        Action::Capture {
            name: "token".into(),
            from: CaptureFrom::Regex("token=(\\w+)".into())
        }
    );
    assert_eq!(
        actions[11],
        Action::Set {
            name: "name".into(),
            value: "world".into()
        }
    );
    assert_eq!(actions[12], Action::Sleep(Duration::from_millis(10)));
    assert_eq!(actions[13], Action::Timeout(Duration::from_secs(2)));
    assert_eq!(actions[14], Action::Expect("silence 100ms".into()));
    assert_eq!(
        actions[15],
        Action::Close {
            code: Some(4000),
            reason: "bye now".into()
        }
    );
}

#[test]
fn heredoc_sends_several_lines() {
    let actions = parse_ok("connect ws://h/\nsend <<EOF\n{\n  \"a\": 1\n}\nEOF\nexpect x\n");
    assert_eq!(
        actions[1],
        Action::Send(Outgoing::Text("{\n  \"a\": 1\n}".into()))
    );
    assert_eq!(actions[2], Action::Expect("x".into()));
    let error = parse_error("connect ws://h/\nsend <<EOF\nnever ended\n");
    assert_eq!((error.line, error.column), (2, 6));
    assert!(error.message.contains("no line `EOF`"), "{error:?}");
}

#[test]
fn named_connections() {
    let script = parse(
        "t.wsx",
        "@alice connect ws://h/\n@bob connect ws://h/\n@alice send hi\n@bob expect hi\n",
    )
    .unwrap();
    assert_eq!(script.steps[3].connection, "bob");
    let error = parse_error("@alice connect ws://h/\n@bob connect ws://h/\nsend hi\n");
    assert_eq!(error.line, 3);
    assert!(error.message.contains("say which with @NAME"), "{error:?}");
    let error = parse_error("@alice connect ws://h/\n@bob send hi\n");
    assert!(
        error.message.contains("@bob is not connected yet"),
        "{error:?}"
    );
    let error = parse_error("connect ws://h/\n@x set a b\n");
    assert!(error.message.contains("drop @x"), "{error:?}");
}

#[test]
fn errors_name_line_and_column() {
    let error = parse_error("connect ws://h/\n  sned hello\n");
    assert_eq!((error.line, error.column, error.width), (2, 3, 4));
    assert!(error.message.starts_with("unknown step 'sned'"));
    let error = parse_error("connect ws://h/\nexpect json {\"a\": }\n");
    assert_eq!((error.line, error.column), (2, 8));
    assert!(error.message.contains("invalid JSON"), "{error:?}");
    let error = parse_error("connect ws://h/\nexpect ~ (\n");
    assert!(error.message.contains("invalid regex"), "{error:?}");
    let error = parse_error("connect ws://h/\nsend hi {{name\n");
    assert_eq!((error.line, error.column), (2, 9));
    let error = parse_error("connect ws://h/ --no-such-flag\n");
    assert!(error.message.contains("--no-such-flag"), "{error:?}");
    let error = parse_error("connect ws://h/\nclose 1005\n");
    assert!(error.message.contains("1005"), "{error:?}");
    let error = parse_error("connect ws://h/\nsleep soon\n");
    assert_eq!((error.line, error.column), (2, 7));
    let error = parse_error("connect ws://h/\nawait silence 1s\n");
    assert!(error.message.contains("only for expect"), "{error:?}");
    let error = parse_error("send hi\n");
    assert!(error.message.contains("not connected yet"), "{error:?}");
    let error = parse_error("connect ws://h/\nsend binary xyz\n");
    assert_eq!((error.line, error.column), (2, 13));
}

#[test]
fn variables_wait_for_the_run_but_their_syntax_does_not() {
    // `{{id}}` makes the JSON valid only once it has a value: checked with a stand-in.
    parse_ok("connect ws://{{host}}/\nexpect json {\"id\": {{id}}}\n");
    let error = parse_error("connect ws://h/\nexpect {{not a name}}\n");
    assert!(error.message.contains("not a variable name"), "{error:?}");
}

#[test]
fn rendered_errors_show_the_line_and_a_caret() {
    let error = parse_error("connect ws://h/\n  sned hello\n");
    insta::assert_snapshot!(error.render(), @r"
    t.wsx:2:3: unknown step 'sned' (steps: connect, send, ping, pong, close, expect, await, ignore, capture, set, sleep, timeout)
      |
    2 |   sned hello
      |   ^^^^
    ");
}
