//! Integration tests: the real `wsx` binary over real sockets on 127.0.0.1, port 0.

mod support;

mod exit_codes;
mod hostile;
mod interop;
mod jsonl;
mod pipe;
mod proxy;
mod reconnect;
mod repl;
mod robustness;
mod serve;
mod tls;
