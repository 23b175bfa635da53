//! trackstrip's integration tests: one binary, one module per area (like ripgrep's).

mod chunking;
mod cli;
mod corpus;
mod https;
mod malformed;
mod proxy_block;
mod proxy_errors;
mod proxy_reverse;
mod proxy_stream;
mod proxy_support;
mod serve_cli;
mod strip_rules;
mod support;
mod tls_support;
mod websocket;
