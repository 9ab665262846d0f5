//! Help that teaches: a bare `wsx` gets a short usage, every command's help ends with
//! examples.

use crate::support::{run, text};

#[test]
fn bare_wsx_prints_a_short_usage_and_exits_2() {
    let output = run(&[], b"");
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let usage = text(&output.stderr);
    assert!(usage.contains("wsx connect ws://"), "{usage}");
    assert!(usage.contains("wsx serve"), "{usage}");
    assert!(usage.contains("wsx --help"), "{usage}");
    assert!(!usage.contains("error"), "{usage}");
    assert!(usage.lines().count() <= 10, "not short:\n{usage}");
}

#[test]
fn every_command_help_ends_with_examples() {
    for command in ["connect", "serve", "bench", "completions", "man"] {
        let output = run(&[command, "--help"], b"");
        assert!(output.status.success());
        let help = text(&output.stdout);
        let examples = help
            .split("Examples:\n")
            .nth(1)
            .unwrap_or_else(|| panic!("wsx {command} --help has no examples:\n{help}"));
        assert!(
            examples
                .lines()
                .all(|line| line.trim_start().starts_with("wsx ") || line.contains("| wsx ")),
            "{examples}"
        );
    }
}

#[test]
fn help_and_man_pages_carry_the_reference_sections() {
    let help = text(&run(&["--help"], b"").stdout);
    let page = text(&run(&["man"], b"").stdout);
    for needle in [
        "NO_COLOR",
        "HTTPS_PROXY",
        "XDG_STATE_HOME",
        "WSX_HEADER_<NAME>",
        "wsx/history",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}");
        assert!(page.contains(needle), "wsx(1) lacks {needle}");
    }
    assert!(help.contains("Exit status:") && page.contains(".SH \"EXIT STATUS\""));
    let connect = text(&run(&["man", "connect"], b"").stdout);
    assert!(connect.contains("REPL COMMANDS") && connect.contains("/ping [text]"));
    let serve = text(&run(&["man", "serve"], b"").stdout);
    assert!(serve.contains("/kick <id> [code [reason]]"));
}
