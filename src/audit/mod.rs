//! Audit: the events the stripper emits, and the reports built from them.

mod event;

pub use event::{Action, AuditEvent, Party};

#[derive(Debug, thiserror::Error)]
#[error("fetch")]
pub struct FetchError;
