//! trackstrip's integration tests: one binary, one module per area (like ripgrep's).

#[path = "../common/mod.rs"]
mod common;

mod browser;
mod builtin_lists;
mod chunking;
mod cli;
mod cname_uncloak;
mod corpus;
mod dns_server;
mod docs;
mod gateway_access;
mod gateway_admin;
mod gateway_cli;
mod gateway_limits;
mod gateway_lists;
mod gateway_reload;
mod https;
mod malformed;
mod origin_faults;
mod passthrough;
mod privacy_signals;
mod proxy_block;
mod proxy_errors;
mod proxy_reverse;
mod proxy_stream;
mod proxy_support;
mod response_kinds;
mod serve_check;
mod serve_check_flags;
mod serve_cli;
mod social_embeds;
mod strip_loaders;
mod strip_rules;
mod support;
mod tls_support;
mod unwrap_links;
mod websocket;
