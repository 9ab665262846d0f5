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
