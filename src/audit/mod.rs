//! Audit: the events the stripper emits, and the reports built from them.

mod event;
mod fetch;
pub mod report;

pub use event::{Action, AuditEvent, Party};
pub use fetch::{FetchError, FetchOptions, Fetched, audit_stream, content_type_charset, fetch_and_audit};
pub use report::{AuditReport, OwnerSummary};
