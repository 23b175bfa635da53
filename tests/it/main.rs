//! trackstrip's integration tests: one binary, one module per area (like ripgrep's).

mod chunking;
mod cli;
mod corpus;
mod malformed;
mod strip_rules;
mod support;
