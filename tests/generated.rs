//! The generated files that are committed: completion scripts under completions/ and man
//! pages under doc/. Each must match what the binary generates now, and they must work: bash
//! completes with the script, man renders the pages.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::{run, text};

/// Shell name for `wsx completions`, and the committed script's file name.
const COMPLETIONS: [(&str, &str); 5] = [
    ("bash", "wsx.bash"),
    ("zsh", "_wsx"),
    ("fish", "wsx.fish"),
    ("elvish", "wsx.elv"),
    ("powershell", "_wsx.ps1"),
];

/// `wsx man [COMMAND]` for each page under doc/.
const MAN_PAGES: [(Option<&str>, &str); 8] = [
    (None, "wsx.1"),
    (Some("connect"), "wsx-connect.1"),
    (Some("serve"), "wsx-serve.1"),
    (Some("proxy"), "wsx-proxy.1"),
    (Some("bench"), "wsx-bench.1"),
    (Some("test"), "wsx-test.1"),
    (Some("completions"), "wsx-completions.1"),
    (Some("man"), "wsx-man.1"),
];

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Runs `wsx args…` and returns its stdout, failing on a non-zero exit.
fn generated(args: &[&str]) -> Vec<u8> {
    let output = run(args, b"");
    assert!(
        output.status.success(),
        "wsx {args:?} failed: {}",
        text(&output.stderr)
    );
    output.stdout
}

/// Fails, with the command that regenerates it, when a committed file differs from `fresh`.
fn assert_current(path: &str, fresh: &[u8], regenerate: &str) {
    let committed = std::fs::read(repo_file(path)).unwrap_or_default();
    assert!(
        committed == fresh,
        "{path} is out of date with the command line; regenerate it with:\n  \
         cargo run -q -- {regenerate} > {path}"
    );
}

#[test]
fn completion_scripts_are_current() {
    for (shell, file) in COMPLETIONS {
        let fresh = generated(&["completions", shell]);
        assert_current(
            &format!("completions/{file}"),
            &fresh,
            &format!("completions {shell}"),
        );
    }
}

#[test]
fn man_pages_are_current() {
    for (command, file) in MAN_PAGES {
        let args: Vec<&str> = std::iter::once("man").chain(command).collect();
        let fresh = generated(&args);
        assert_current(&format!("doc/{file}"), &fresh, &args.join(" "));
    }
}

/// What bash offers for the last word of `words`, through the committed script's completion
/// function, called the way bash calls it on Tab.
fn bash_completions(words: &[&str]) -> Vec<String> {
    let script = format!(
        r#"source "$1"
        complete -p wsx | grep -q -- '-F _wsx' || {{ echo 'wsx.bash did not register _wsx' >&2; exit 1; }}
        COMP_WORDS=({words})
        COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
        COMP_LINE="${{COMP_WORDS[*]}}"
        COMP_POINT=${{#COMP_LINE}}
        COMPREPLY=()
        _wsx wsx "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
        printf '%s\n' "${{COMPREPLY[@]}}""#,
        words = words.join(" ")
    );
    let output = Command::new("bash")
        .args(["--noprofile", "--norc", "-c", &script, "bash"])
        .arg(repo_file("completions/wsx.bash"))
        .stdin(Stdio::null())
        .output()
        .expect("bash runs");
    assert!(
        output.status.success(),
        "bash failed: {}",
        text(&output.stderr)
    );
    text(&output.stdout).lines().map(String::from).collect()
}

#[test]
fn bash_completes_commands_and_flags() {
    let offered = bash_completions(&["wsx", "con"]);
    assert!(offered.contains(&"connect".to_string()), "{offered:?}");
    assert!(!offered.contains(&"serve".to_string()), "{offered:?}");
    let offered = bash_completions(&["wsx", "connect", "--sub"]);
    assert_eq!(offered, vec!["--subprotocol"]);
    let offered = bash_completions(&["wsx", "completions", "f"]);
    assert_eq!(offered, vec!["fish"]);
}

/// man-db (and the groff it renders with) from Debian's packages, installed on first use.
fn ensure_man_installed() {
    crate::support::require_debian_packages(&[("man", "man-db")]);
}

#[test]
fn man_pages_render_without_warnings() {
    ensure_man_installed();
    for (command, file) in MAN_PAGES {
        let output = Command::new("man")
            .args(["--warnings", "-l"])
            .arg(repo_file(&format!("doc/{file}")))
            .env("MANWIDTH", "80")
            .env("MANPAGER", "cat")
            .env("LC_ALL", "C.UTF-8")
            .stdin(Stdio::null())
            .output()
            .expect("man runs");
        // Justified text: compare words, not spacing.
        let page = text(&output.stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            output.status.success() && output.stderr.is_empty(),
            "man -l doc/{file}: {}",
            text(&output.stderr)
        );
        let name = match command {
            Some(command) => format!("wsx-{command}"),
            None => "wsx".to_string(),
        };
        assert!(page.contains(&format!("NAME {name} - ")), "{page}");
        assert!(page.contains("OPTIONS"), "{page}");
    }
}
