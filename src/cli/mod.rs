//! Command-line definition (clap derive). These structs only parse; `config` validates them.
//!
//! Flag conventions: short flags only for the options people type daily (`-x -n -w -b -q -v`);
//! every option has a long form; durations are seconds (fractions allowed); sizes are bytes
//! with an optional KiB/MiB/GiB suffix.

use std::ffi::OsString;

use clap::{Args, Parser, Subcommand};

mod connect;
mod serve;
mod tools;

pub use connect::{BinaryOutput, ClientArgs, CommonArgs, ConnectArgs, ReachArgs, ViewArgs};
pub use serve::{ProxyArgs, ServeArgs};
pub use tools::{BenchArgs, TestArgs};

#[derive(Debug, Parser)]
#[command(
    name = "wsx",
    version,
    about = "WebSocket testing from the command line: a REPL for people, a pipe for scripts",
    after_help = ROOT_EXAMPLES,
    after_long_help = format!("{ROOT_EXAMPLES}\n\n{}", crate::reference::help_text())
)]
pub struct Cli {
    /// None when `wsx` runs without arguments: then `main` prints [`SHORT_USAGE`].
    #[command(subcommand)]
    pub command: Option<Command>,
}

const ROOT_EXAMPLES: &str = "Examples:\n  wsx connect ws://127.0.0.1:8080        interactive session\n  echo hello | wsx ws://127.0.0.1:8080    send one message, print replies\n  wsx serve --echo                        echo server on 127.0.0.1:8080\n  wsx completions bash > ~/.local/share/bash-completion/completions/wsx";

/// What a bare `wsx` prints (on stderr, exit 2): clap's full help is a wall of text for
/// someone who only wanted a hint, and its missing-subcommand error reads like a failure.
pub const SHORT_USAGE: &str = "\
wsx: WebSocket testing from the command line

  wsx connect ws://127.0.0.1:8080      talk to a server (a REPL on a terminal)
  echo hi | wsx ws://127.0.0.1:8080    send stdin lines, print the replies
  wsx serve 0 --echo                   run an echo server on a free port
  wsx test chat.wsx                    run a conversation written as a file
  wsx proxy 9000 ws://127.0.0.1:8080   watch (and disturb) what an app says
  wsx bench ws://127.0.0.1:8080        measure throughput and latency

Run 'wsx --help' for more, or 'wsx <COMMAND> --help' for one command.
";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect to a WebSocket server (REPL on a terminal, pipe otherwise)
    #[command(
        visible_alias = "c",
        after_help = "Examples:\n  wsx connect ws://127.0.0.1:8080\n  echo '{\"op\":\"sub\"}' | wsx connect wss://example.test/feed -n 5\n  wsx connect ws://127.0.0.1:8080 -x hello -n 1\n  wsx connect ws://127.0.0.1:8080 --jsonl < messages.txt"
    )]
    Connect(ConnectArgs),
    /// Run a WebSocket server (operator console, echo, broadcast with channels and HTTP publish,
    /// a program per client, or a mock from a test file)
    #[command(
        visible_alias = "s",
        mut_arg("execute", |arg| arg.help(
            "Greet every new client with this message (repeatable; @FILE sends a file's content)"
        )),
        after_help = "Examples:\n  wsx serve                      console on ws://127.0.0.1:8080\n  wsx serve 0 --echo             echo server on a free port\n  wsx serve 9000 --broadcast     chat relay\n  wsx serve [::1]:9000 -s chat   accept subprotocol 'chat'\n  wsx serve --exec -- ./bot.sh   run ./bot.sh for each client"
    )]
    Serve(ServeArgs),
    /// Sit between a client and a server: show, inject, disturb and record what they say
    #[command(
        after_help = "Examples:\n  wsx proxy 9000 ws://127.0.0.1:8080             clients of :9000 reach :8080 through wsx\n  wsx proxy 0 wss://api.example.test --jsonl > traffic.jsonl\n  wsx proxy 9000 ws://127.0.0.1:8080 --delay 2s --disconnect-after 20\n  wsx proxy 9000 ws://127.0.0.1:8080 --drop ~heartbeat --record sessions/"
    )]
    Proxy(ProxyArgs),
    /// Load-test an echo endpoint: throughput and round-trip latency
    #[command(
        after_help = "Examples:\n  wsx bench ws://127.0.0.1:8080\n  wsx bench ws://127.0.0.1:8080 -c 64 -W 16 -n 1000000\n  wsx bench ws://127.0.0.1:8080 -c 4 -W 8 --size 64KiB --binary\n  wsx bench ws://127.0.0.1:8080 --rate 5000 --jsonl"
    )]
    Bench(BenchArgs),
    /// Run conversations written as files (send, expect, capture) and report each step
    #[command(
        after_help = "Examples:\n  wsx test chat.wsx\n  wsx test tests/*.wsx -j 4 --junit report.xml\n  wsx test login.wsx --var token=abc --timeout 2s -v\n  wsx test smoke.wsx --jsonl\n\nA file, one step per line:\n  connect ws://127.0.0.1:8080/chat\n  send {\"op\":\"join\",\"room\":\"lobby\"}\n  expect $.op == \"joined\"\n  capture id $.member\n  send {\"op\":\"say\",\"from\":\"{{id}}\",\"text\":\"hi\"}\n  await json {\"op\":\"said\",\"text\":\"hi\"}"
    )]
    Test(TestArgs),
    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  wsx completions bash > ~/.local/share/bash-completion/completions/wsx\n  wsx completions zsh > ~/.zfunc/_wsx\n  wsx completions fish > ~/.config/fish/completions/wsx.fish\n  wsx completions powershell >> $PROFILE"
    )]
    Completions(CompletionsArgs),
    /// Print a man page (roff)
    #[command(
        after_help = "Examples:\n  wsx man | man -l -\n  wsx man connect | man -l -\n  wsx man > ~/.local/share/man/man1/wsx.1"
    )]
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    pub shell: clap_complete::Shell,
}

/// The commands that have a man page of their own (`wsx-connect(1)`, …), besides `wsx(1)`.
pub const MAN_PAGE_COMMANDS: [&str; 7] = [
    "connect",
    "serve",
    "proxy",
    "bench",
    "test",
    "completions",
    "man",
];

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print; without it, the page of wsx itself
    #[arg(value_name = "COMMAND", value_parser = MAN_PAGE_COMMANDS)]
    pub command: Option<String>,
}

/// `wsx ws://…` is short for `wsx connect ws://…`.
/// Options may come before the URL too (`wsx -v ws://…`): whenever no subcommand names the
/// mode and a URL is there (ws://, wss://, http://, https://, or a first argument such as
/// `localhost:8080`), the mode is `connect`.
pub fn normalize_args(mut args: Vec<OsString>) -> Vec<OsString> {
    let first = args.get(1).and_then(|arg| arg.to_str()).unwrap_or("");
    if names_a_command(first) {
        return args;
    }
    let has_url = args
        .iter()
        .skip(1)
        .filter_map(|arg| arg.to_str())
        .any(|arg| {
            let lower = arg.to_ascii_lowercase();
            ["ws://", "wss://", "http://", "https://"]
                .iter()
                .any(|scheme| lower.starts_with(scheme))
        });
    // `wsx ftp://host` too: connect then names the scheme it does not support.
    let other_scheme = first.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if has_url || other_scheme || is_host_and_port(first) {
        args.insert(1, "connect".into());
    }
    args
}

/// For `wsx localhost` or `wsx example.com`: a host name where a command was expected, said
/// in one line with the command that was probably meant.
pub fn bare_host_hint(args: &[OsString]) -> Option<String> {
    let first = args.get(1)?.to_str()?;
    let looks_like_host = first == "localhost"
        || (first.contains('.')
            && !first.starts_with(['-', '.'])
            && first
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'));
    looks_like_host
        .then(|| format!("'{first}' is not a command; to connect to it: wsx connect ws://{first}/"))
}

/// A subcommand (or one of its aliases), `help`, or a flag of wsx itself: the mode is named.
fn names_a_command(arg: &str) -> bool {
    use clap::CommandFactory;
    let root = Cli::command();
    let flags = ["--help", "-h", "--version", "-V", "help"];
    flags.contains(&arg)
        || root.get_subcommands().any(|command| {
            command.get_name() == arg || command.get_all_aliases().any(|alias| alias == arg)
        })
}

/// `localhost:8080`, `example.com:443/path`: a name and a port, no scheme.
fn is_host_and_port(arg: &str) -> bool {
    let authority = arg.split('/').next().unwrap_or("");
    let Some((host, port)) = authority.rsplit_once(':') else {
        return false;
    };
    // `[::1]:8080`
    let host = match host
        .strip_prefix('[')
        .and_then(|host| host.strip_suffix(']'))
    {
        Some(v6) if v6.contains(':') => return port.chars().all(|c| c.is_ascii_digit()),
        _ => host,
    };
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && !port.is_empty()
        && port.chars().all(|c| c.is_ascii_digit())
}

/// Parses `500ms`, `2s`, `1m` (humantime's units), or a bare number of seconds (`1.5`).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return std::time::Duration::try_from_secs_f64(seconds)
            .map_err(|_| format!("'{text}' is not a duration (try 500ms, 2s or 1m)"));
    }
    humantime::parse_duration(text)
        .map_err(|_| format!("'{text}' is not a duration (try 500ms, 2s or 1m)"))
}

/// A number of seconds (`2`, `0.5`), said as one where clap would say "invalid float".
pub fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(seconds) if seconds.is_finite() => Ok(seconds),
        _ => Err(format!(
            "'{text}' is not a number of seconds (try 2 or 0.5)"
        )),
    }
}

/// Parses `1048576`, `64KiB`, `16MiB`, `1GiB` (also `k`, `M`, `G`, `KB`...: all binary).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: usize = digits
        .parse()
        .map_err(|_| format!("'{text}' is not a size (try 1048576 or 16MiB)"))?;
    let multiplier: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit '{other}' (use KiB, MiB or GiB)")),
    };
    number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("'{text}' is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// The `wsx …` command of each line under "Examples:", without what the shell does
    /// around it (pipes, redirections) and the description after two spaces.
    fn example_commands(help: &str) -> Vec<Vec<String>> {
        help.lines()
            .skip_while(|line| *line != "Examples:")
            .skip(1)
            .take_while(|line| !line.is_empty())
            .map(|line| {
                let start = line.find("wsx ").expect("an example runs wsx");
                let command = [" |", " <", " >", "  "]
                    .iter()
                    .fold(&line[start..], |command, end| {
                        command.split(end).next().unwrap_or(command)
                    });
                command.split_whitespace().map(String::from).collect()
            })
            .collect()
    }

    #[test]
    fn help_examples_parse() {
        let root = Cli::command();
        let mut helps = vec![("wsx", root.get_after_help().unwrap().to_string())];
        for command in root.get_subcommands() {
            let help = command
                .get_after_help()
                .expect("every command has examples");
            helps.push((command.get_name(), help.to_string()));
        }
        for (name, help) in helps {
            let examples = example_commands(&help);
            assert!(examples.len() >= 3, "{name}: {} examples", examples.len());
            for words in examples {
                let args = normalize_args(words.iter().map(OsString::from).collect());
                if let Err(error) = Cli::try_parse_from(args) {
                    panic!("example {words:?} does not parse: {error}");
                }
            }
        }
    }

    #[test]
    fn every_visible_command_has_a_man_page() {
        let names: Vec<_> = Cli::command()
            .get_subcommands()
            .filter(|command| !command.is_hide_set())
            .map(|command| command.get_name().to_string())
            .collect();
        assert_eq!(names, MAN_PAGE_COMMANDS);
    }

    #[test]
    fn bare_url_means_connect() {
        let args = normalize_args(vec!["wsx".into(), "ws://h".into()]);
        assert_eq!(args, vec!["wsx", "connect", "ws://h"]);
        let args = normalize_args(vec!["wsx".into(), "serve".into()]);
        assert_eq!(args, vec!["wsx", "serve"]);
        let args = normalize_args(vec!["wsx".into(), "-v".into(), "wss://h".into()]);
        assert_eq!(args, vec!["wsx", "connect", "-v", "wss://h"]);
        let args = normalize_args(vec!["wsx".into(), "bench".into(), "ws://h".into()]);
        assert_eq!(args, vec!["wsx", "bench", "ws://h"]);
        let args = normalize_args(vec!["wsx".into(), "http://h:80".into()]);
        assert_eq!(args, vec!["wsx", "connect", "http://h:80"]);
        let args = normalize_args(vec!["wsx".into(), "localhost:8080/chat".into()]);
        assert_eq!(args, vec!["wsx", "connect", "localhost:8080/chat"]);
        let args = normalize_args(vec!["wsx".into(), "[::1]:8080".into()]);
        assert_eq!(args, vec!["wsx", "connect", "[::1]:8080"]);
        // A mistyped subcommand stays an error.
        let args = normalize_args(vec!["wsx".into(), "conect".into()]);
        assert_eq!(args, vec!["wsx", "conect"]);
        let args = normalize_args(vec!["wsx".into(), "ftp://h/".into()]);
        assert_eq!(args, vec!["wsx", "connect", "ftp://h/"]);
    }

    #[test]
    fn a_bare_host_name_gets_a_hint() {
        let hint = |arg: &str| bare_host_hint(&["wsx".into(), arg.into()]);
        assert_eq!(
            hint("localhost").as_deref(),
            Some("'localhost' is not a command; to connect to it: wsx connect ws://localhost/")
        );
        assert!(hint("example.com").is_some());
        assert!(hint("conect").is_none());
        assert!(hint("serve").is_none());
    }

    #[test]
    fn durations() {
        use std::time::Duration;
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("-1").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10"), Ok(10));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("4k"), Ok(4096));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("3 parsecs").is_err());
    }
}
