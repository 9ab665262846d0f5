//! The command line's generated companions: shell completion scripts and man pages, derived
//! from the clap definition. They go to stdout as they are (`wsx completions bash > …`), not
//! through the Printer, which is for sessions. Copies are committed under `completions/` and
//! `doc/`, and tests/generated.rs fails when one of them no longer matches.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// The completion script for `shell`.
pub fn completions(shell: Shell) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "wsx", &mut script);
    script
}

/// The man page of `wsx` itself, or of one of its commands (`wsx-connect(1)`, …): the page
/// of `wsx` lists the commands and refers to theirs, as clap_mangen lays pages out.
pub fn man_page(command: Option<&str>) -> std::io::Result<Vec<u8>> {
    // No page for clap's `help` command: `--help` and these pages cover it.
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let command = match command {
        None => root,
        Some(name) => root
            .find_subcommand(name)
            .cloned()
            .expect("clap accepts only the names of commands"),
    };
    let repl = match command.get_name() {
        "connect" => Some(false),
        "serve" => Some(true),
        _ => None,
    };
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .source(format!("wsx {}", env!("CARGO_PKG_VERSION")))
        .render(&mut page)?;
    page.extend_from_slice(crate::reference::man_sections(repl).as_bytes());
    Ok(page)
}
