//! What the proxy counts: Prometheus metrics (one registry per proxy, no globals, so an
//! embedded proxy and its tests see only their own numbers) and the recent pages the
//! dashboard shows.

pub mod recent;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use recent::Recent;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    action: &'static str,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabel {
    action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DirectionLabel {
    direction: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TrackerLabels {
    owner: String,
    category: String,
    /// `enforce`, or `report` (decided, not applied).
    mode: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabel {
    version: String,
}

fn latency() -> Histogram {
    // 1 ms .. ~33 s
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// The proxy's counters. Cheap to update from any task.
pub struct Telemetry {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    duration: Family<ActionLabel, Histogram, fn() -> Histogram>,
    bytes: Family<DirectionLabel, Counter>,
    stripped: Family<TrackerLabels, Counter>,
    blocked: Family<TrackerLabels, Counter>,
    urls_cleaned: Family<ActionLabel, Counter>,
    upstream_errors: Family<KindLabel, Counter>,
    open_connections: Gauge,
    refused: Family<ReasonLabel, Counter>,
    rules_version: Family<VersionLabel, Gauge>,
    reloads: Family<ResultLabel, Counter>,
    reload_failures: Counter,
    passthrough: Family<ReasonLabel, Counter>,
    list_updates: Family<ResultLabel, Counter>,
    /// Recent pages and owner totals, for the dashboard.
    pub recent: Recent,
}

impl Default for Telemetry {
    fn default() -> Self {
        Telemetry::new()
    }
}

impl Telemetry {
    pub fn new() -> Telemetry {
        let mut r = Registry::with_prefix("trackstrip");
        let t = Telemetry {
            requests: Family::default(),
            duration: Family::new_with_constructor(latency),
            bytes: Family::default(),
            stripped: Family::default(),
            blocked: Family::default(),
            urls_cleaned: Family::default(),
            upstream_errors: Family::default(),
            open_connections: Gauge::default(),
            refused: Family::default(),
            rules_version: Family::default(),
            reloads: Family::default(),
            reload_failures: Counter::default(),
            passthrough: Family::default(),
            list_updates: Family::default(),
            recent: Recent::new(100),
            registry: Registry::default(),
        };
        r.register("requests", "Requests handled, by what trackstrip did and status class", t.requests.clone());
        r.register("request_duration_seconds", "Time from request to the end of the response", t.duration.clone());
        r.register("bytes", "Body bytes: in from origins, out to clients", t.bytes.clone());
        r.register("trackers_stripped", "Trackers taken out of pages, by owner and category", t.stripped.clone());
        r.register(
            "requests_blocked",
            "Requests to trackers answered locally, by owner and category",
            t.blocked.clone(),
        );
        r.register("urls_cleaned", "Request URLs whose tracking parameters were removed", t.urls_cleaned.clone());
        r.register("upstream_errors", "Failed fetches from origins, by kind", t.upstream_errors.clone());
        r.register("open_connections", "Client connections open now", t.open_connections.clone());
        r.register("connections_refused", "Clients turned away, by reason", t.refused.clone());
        r.register("rules_version", "The rules in use (value 1, version in the label)", t.rules_version.clone());
        r.register("rules_reloads", "Rule reloads, by result", t.reloads.clone());
        r.register(
            "rules_reload_failures",
            "Rule reloads that failed (the old rules stayed)",
            t.reload_failures.clone(),
        );
        r.register(
            "passthrough",
            "HTML pages sent on unstripped, by reason (not_gzip, not_br, ...: the body is not in its \
             declared Content-Encoding; unknown_encoding; page_encoding: a charset the rewriter can't parse)",
            t.passthrough.clone(),
        );
        r.register("list_updates", "Filter list downloads, by result", t.list_updates.clone());
        Telemetry { registry: r, ..t }
    }

    /// The Prometheus text exposition (OpenMetrics).
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    pub fn request_done(&self, action: &'static str, status: u16, elapsed: Duration, bytes_in: u64, bytes_out: u64) {
        let status = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            500..=599 => "5xx",
            _ => "none",
        };
        self.requests.get_or_create(&RequestLabels { action, status }).inc();
        self.duration.get_or_create(&ActionLabel { action }).observe(elapsed.as_secs_f64());
        if bytes_in > 0 {
            self.bytes.get_or_create(&DirectionLabel { direction: "in" }).inc_by(bytes_in);
        }
        if bytes_out > 0 {
            self.bytes.get_or_create(&DirectionLabel { direction: "out" }).inc_by(bytes_out);
        }
    }

    /// `n` trackers of one owner and category left a page.
    pub fn trackers_stripped(&self, owner: Option<&str>, category: Option<&str>, enforced: bool, n: u64) {
        self.stripped.get_or_create(&tracker_labels(owner, category, enforced)).inc_by(n);
    }

    pub fn request_blocked(&self, owner: Option<&str>, category: Option<&str>, enforced: bool) {
        self.blocked.get_or_create(&tracker_labels(owner, category, enforced)).inc();
    }

    pub fn url_cleaned(&self, enforced: bool) {
        self.urls_cleaned.get_or_create(&ActionLabel { action: mode(enforced) }).inc();
    }

    /// `kind`: refused, dns, timeout, tls, protocol, connect, body.
    pub fn upstream_error(&self, kind: &'static str) {
        self.upstream_errors.get_or_create(&KindLabel { kind }).inc();
    }

    pub fn connection_opened(&self) {
        self.open_connections.inc();
    }

    pub fn connection_closed(&self) {
        self.open_connections.dec();
    }

    /// `reason`: network (not in access.allow), auth (bad or missing credentials),
    /// port (CONNECT port not allowed), target (link-local or metadata address).
    pub fn refused(&self, reason: &'static str) {
        self.refused.get_or_create(&ReasonLabel { reason }).inc();
    }

    pub fn rules_loaded(&self, version: &str) {
        self.rules_version.clear();
        self.rules_version.get_or_create(&VersionLabel { version: version.to_string() }).set(1);
    }

    pub fn reload(&self, ok: bool) {
        self.reloads.get_or_create(&ResultLabel { result: if ok { "ok" } else { "failed" } }).inc();
        if !ok {
            self.reload_failures.inc();
        }
    }

    /// An HTML page went through unstripped; see the metric's help for the reasons.
    pub fn passthrough(&self, reason: &'static str) {
        self.passthrough.get_or_create(&ReasonLabel { reason }).inc();
    }

    /// `result`: updated, unchanged, failed.
    pub fn list_update(&self, result: &'static str) {
        self.list_updates.get_or_create(&ResultLabel { result }).inc();
    }
}

fn mode(enforced: bool) -> &'static str {
    if enforced { "enforce" } else { "report" }
}

fn tracker_labels(owner: Option<&str>, category: Option<&str>, enforced: bool) -> TrackerLabels {
    TrackerLabels {
        owner: owner.unwrap_or("unknown").to_string(),
        category: category.unwrap_or("unknown").to_string(),
        mode: mode(enforced),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_with_their_labels() {
        let t = Telemetry::new();
        t.request_done("strip", 200, Duration::from_millis(3), 1000, 800);
        t.trackers_stripped(Some("Google"), Some("analytics"), true, 1);
        t.trackers_stripped(Some("Google"), Some("analytics"), true, 1);
        t.request_blocked(None, None, false);
        t.rules_loaded("2026.11.1");
        t.rules_loaded("2026.11.2");
        t.reload(false);
        let text = t.render();
        assert!(text.contains("trackstrip_requests_total{action=\"strip\",status=\"2xx\"} 1"), "{text}");
        assert!(text.contains(
            "trackstrip_trackers_stripped_total{owner=\"Google\",category=\"analytics\",mode=\"enforce\"} 2"
        ));
        assert!(
            text.contains(
                "trackstrip_requests_blocked_total{owner=\"unknown\",category=\"unknown\",mode=\"report\"} 1"
            )
        );
        assert!(text.contains("trackstrip_bytes_total{direction=\"out\"} 800"));
        assert!(text.contains("trackstrip_request_duration_seconds_bucket{le=\"0.004\",action=\"strip\"} 1"), "{text}");
        assert!(text.contains("trackstrip_rules_version{version=\"2026.11.2\"} 1"));
        assert!(!text.contains("2026.11.1"), "the old version is gone");
        assert!(text.contains("trackstrip_rules_reload_failures_total 1"));
    }
}
