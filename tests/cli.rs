//! Integration tests: the real `wsx` binary over real sockets on 127.0.0.1, port 0.

mod support;

mod bench;
mod exec;
mod exit_codes;
mod generated;
mod help;
mod hostile;
mod interop;
mod jsonl;
mod linger;
mod local_safety;
mod page;
mod pipe;
mod proxy;
mod publish;
mod raw;
mod reconnect;
mod redis;
mod relay;
mod repl;
mod robustness;
mod serve;
mod test_files;
mod tls;
mod unix_socket;
