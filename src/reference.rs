//! Reference text that `wsx --help` and the man pages share, so the two cannot drift: exit
//! codes, environment variables, files. The REPL's commands come from `repl::command::help`.

/// (code, when).
pub const EXIT_STATUS: [(&str, &str); 4] = [
    (
        "0",
        "the session ended normally: either side closed with 1000, 1001 or no code (1005), \
         stdin ended, -n was reached, /quit; a server stopped by Ctrl-C, /quit or -n",
    ),
    (
        "1",
        "could not connect (refused, DNS, TLS, timeout), the server answered something other \
         than 101, the peer closed with another code, the connection dropped without a Close \
         (1006), or wsx closed it for a protocol violation; bench: a mismatch or a dropped \
         connection",
    ),
    (
        "2",
        "bad usage: an unknown flag, a bad URL, header or address",
    ),
    (
        "130",
        "a second Ctrl-C (or SIGTERM) while the close handshake waited",
    ),
];

/// (variable, meaning).
pub const ENVIRONMENT: [(&str, &str); 6] = [
    (
        "NO_COLOR",
        "when set and not empty, no colors (as --no-color)",
    ),
    (
        "TERM",
        "dumb turns colors off; dumb, cons25 and emacs get pipe mode instead of the REPL",
    ),
    (
        "HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY",
        "the proxy for ws:// (HTTP_PROXY) and wss:// (HTTPS_PROXY), both falling back to \
         ALL_PROXY; NO_PROXY lists hosts to reach directly (loopback is not exempt unless \
         listed). Lower-case names too. --proxy overrides them, --no-proxy ignores them",
    ),
    (
        "XDG_STATE_HOME",
        "where the REPL keeps its history (default ~/.local/state)",
    ),
    (
        "WSX_CLIENT_ADDR, WSX_CLIENT_ID, WSX_PATH, WSX_QUERY",
        "set by serve --exec for each program: the client's address, its id, the request path \
         and the query string without ?",
    ),
    (
        "WSX_HEADER_<NAME>",
        "set by serve --exec: each request header, the name upper-cased with - as _ \
         (X-Api-Key becomes WSX_HEADER_X_API_KEY)",
    ),
];

/// (path, what).
pub const FILES: [(&str, &str); 1] = [(
    "$XDG_STATE_HOME/wsx/history",
    "the REPL's history, one line per entry, shared by connect and serve",
)];

/// The sections as plain text, for the end of `wsx --help`.
pub fn help_text() -> String {
    let mut text = String::new();
    for (title, entries) in [
        ("Exit status:", &EXIT_STATUS[..]),
        ("Environment:", &ENVIRONMENT[..]),
        ("Files:", &FILES[..]),
    ] {
        text.push_str(title);
        text.push('\n');
        for (name, meaning) in entries {
            text.push_str(&format!("  {name}\n          {meaning}\n"));
        }
        text.push('\n');
    }
    text.trim_end().to_string()
}

/// The same sections for a man page (roff), with the REPL's commands when `repl` says which
/// REPL (`Some(true)`: the serve console).
pub fn man_sections(repl: Option<bool>) -> String {
    use roff::{Roff, bold, roman};
    let mut page = Roff::new();
    if let Some(serve) = repl {
        page.control("SH", ["REPL COMMANDS"]);
        let help = crate::repl::command::help(serve);
        for line in help.lines().skip(1) {
            // `  /ping [text]           send a ping`: the command, then after a gap what it does.
            match line.trim_start().split_once("  ") {
                Some((command, what)) => {
                    page.control("TP", [] as [&str; 0])
                        .text([bold(command)])
                        .text([roman(what.trim_start())]);
                }
                None => {
                    page.control("PP", [] as [&str; 0])
                        .text([roman(line.trim())]);
                }
            }
        }
    }
    for (title, entries) in [
        ("EXIT STATUS", &EXIT_STATUS[..]),
        ("ENVIRONMENT", &ENVIRONMENT[..]),
        ("FILES", &FILES[..]),
    ] {
        page.control("SH", [title]);
        for (name, meaning) in entries {
            page.control("TP", [] as [&str; 0])
                .text([bold(*name)])
                .text([roman(*meaning)]);
        }
    }
    page.to_roff()
}
