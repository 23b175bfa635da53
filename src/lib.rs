//! trackstrip: strips trackers from web pages as they stream through.
//!
//! The data path, one module per stage:
//! `rules` (what is a tracker) → `policy` (judge one URL) → `strip` (rewrite HTML with
//! lol_html) → `audit` (what was removed, and why).

pub mod access;
pub mod admin;
pub mod audit;
pub mod body;
pub mod browser;
pub mod ca;
pub mod charset;
pub mod config;
pub mod policy;
pub mod proxy;
pub mod reload;
pub mod rules;
pub mod strip;
pub mod subscriptions;
pub mod telemetry;
pub mod upstream;
