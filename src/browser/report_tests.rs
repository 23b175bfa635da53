//! Tests of the dynamic audit reports.

use super::*;

fn v(name: &str, owner: &str, category: &str) -> Verdict {
    let rule = format!("rules/trackers.toml:1 {name}");
    Verdict {
        name: name.into(),
        owner: owner.into(),
        category: category.into(),
        action: "block".into(),
        rule,
        via_cname: None,
    }
}

/// A GET of a script at `url`; third party unless its host ends in example.com.
fn req(url: &str) -> Request {
    let host = url.split('/').nth(2).unwrap_or_default().to_string();
    Request {
        method: "GET".into(),
        url: url.into(),
        third_party: !host.ends_with("example.com"),
        host,
        kind: "script".into(),
        status: 200,
        bytes: 1000,
        tracker: None,
        set_cookies: vec![],
        stripped: vec![],
        answered_locally: false,
    }
}

fn tracked(url: &str, v: Verdict) -> Request {
    Request { tracker: Some(v), ..req(url) }
}

fn load(requests: Vec<Request>) -> PageLoad {
    let (text_chars, console_errors) = (10_000, vec!["TypeError: a is undefined".into()]);
    PageLoad {
        mode: "report".into(),
        requests,
        console_errors,
        text_chars,
        text_sample: String::new(),
        elapsed_ms: 1,
        gpc_sent: true,
    }
}

fn audit(observed: Option<PageLoad>, enforced: Option<PageLoad>) -> PageAudit {
    PageAudit {
        schema: SCHEMA.into(),
        url: "https://news.example.com/article".into(),
        rules_version: "2025-01-01".into(),
        error: None,
        observed,
        enforced,
    }
}

/// A news article with one of everything Blacklight looks for.
fn page() -> PageLoad {
    let dc = || v("DoubleClick", "Google", "advertising");
    let doc = Request {
        kind: "document".into(),
        set_cookies: vec!["session".into()],
        stripped: vec![Verdict { action: "remove".into(), ..v("Google Tag Manager", "Google", "analytics") }],
        ..req("https://news.example.com/article")
    };
    let cookie = |mut r: Request, c: &str| {
        r.set_cookies.push(c.into());
        r
    };
    load(vec![
        doc,
        cookie(tracked("https://securepubads.g.doubleclick.net/tag/js/gpt.js", dc()), "IDE"),
        cookie(tracked("https://static.criteo.net/js/ld/publishertag.js", v("Criteo", "Criteo", "advertising")), "uid"),
        tracked("https://connect.facebook.net/en_US/fbevents.js", v("Facebook Pixel", "Meta", "social")),
        tracked("https://stats.g.doubleclick.net/j/collect", dc()),
        tracked("https://static.hotjar.com/c/hotjar-1.js", v("Hotjar", "Hotjar Ltd", "session-replay")),
        req("https://www.clarity.ms/tag/abc"),
        Request {
            method: "POST".into(),
            ..tracked("https://region1.google-analytics.com/g/collect", v("Google Analytics", "Google", "analytics"))
        },
        cookie(req("https://cdn.example.com/app.js"), "prefs"),
        cookie(req("https://fonts.gstatic.com/s/font.woff2"), "NID"),
        Request { method: "POST".into(), ..req("https://news.example.com/api/log") },
        Request { kind: "ping".into(), ..req("https://ping.chartbeat.net/ping") },
    ])
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn summary_finds_each_category() {
    let s = Summary::new(&page());
    assert_eq!(s.ad_trackers, AdTrackers { count: 3, companies: strings(&["Criteo", "Google"]) });
    let c = &s.third_party_cookies;
    assert_eq!(c.count, 3, "first-party session and prefs are not counted");
    assert_eq!(c.hosts, strings(&["fonts.gstatic.com", "securepubads.g.doubleclick.net", "static.criteo.net"]));
    assert_eq!(c.companies, strings(&["Criteo", "Google", "fonts.gstatic.com"]));
    assert!(s.facebook_pixel.found);
    assert_eq!(s.facebook_pixel.urls, strings(&["https://connect.facebook.net/en_US/fbevents.js"]));
    assert!(s.google_analytics_remarketing.found);
    assert_eq!(s.google_analytics_remarketing.urls, strings(&["https://stats.g.doubleclick.net/j/collect"]));
    let names = |v: &[Service]| v.iter().map(|s| format!("{}/{}", s.name, s.owner)).collect::<Vec<_>>();
    assert_eq!(names(&s.session_recording), ["Hotjar/Hotjar Ltd", "Microsoft Clarity/Microsoft"]);
    assert_eq!(names(&s.analytics), ["Google Analytics/Google", "Google Tag Manager/Google"]);
    assert_eq!(
        s.beacons,
        Beacons { count: 2, hosts: strings(&["ping.chartbeat.net", "region1.google-analytics.com"]) }
    );
    assert_eq!(s.trackers_total, 6);
    assert_eq!(s.companies, strings(&["Criteo", "Google", "Hotjar Ltd", "Meta"]));
    assert_eq!((s.requests, s.third_party_requests, s.third_party_hosts, s.bytes_third_party), (12, 9, 9, 9000));
    assert!(s.has_trackers());
}

#[test]
fn lookalikes_and_first_parties_are_not_counted() {
    let s = Summary::new(&load(vec![
        Request { set_cookies: vec!["sid".into()], ..req("https://www.example.com/") },
        req("https://www.facebook.com/translations/x.js"),
        req("https://notfacebook.com/tr/"),
        req("https://stats.g.doubleclick.net/dc.js"),
        req("https://hotjar.com.evil.org/x.js"),
        req("https://ünïcödé.fullstory.com.example.org/é"),
        req("https://é.com/"),
    ]));
    assert_eq!(s.third_party_cookies.count, 0);
    assert!(!s.facebook_pixel.found && !s.google_analytics_remarketing.found);
    assert!(s.session_recording.is_empty() && !s.has_trackers());
    let only_element =
        Request { stripped: vec![v("Hotjar", "Hotjar Ltd", "session-replay")], ..req("https://a.example.com/") };
    let s = Summary::new(&load(vec![only_element, req("https://www.facebook.com/tr")]));
    assert!(s.has_trackers() && s.facebook_pixel.found && s.session_recording.len() == 1);
}

fn enforced() -> PageLoad {
    let mut after = page();
    after.mode = "enforce".into();
    after.requests.retain(|r| r.kind != "ping");
    for r in after.requests.iter_mut().filter(|r| r.tracker.is_some() && r.host != "static.criteo.net") {
        (r.answered_locally, r.bytes, r.set_cookies) = (true, 0, vec![]);
    }
    after.text_chars = 9_500;
    after
        .console_errors
        .extend(["ReferenceError: hj is not defined".to_string(), "ReferenceError: hj is not defined".into()]);
    after
}

#[test]
fn comparison_arithmetic() {
    let c = Comparison::new(&page(), &enforced());
    assert_eq!((c.requests_before, c.requests_after, c.answered_locally), (12, 6, 5));
    assert_eq!((c.third_party_requests_before, c.third_party_requests_after), (9, 3));
    assert_eq!((c.third_party_hosts_before, c.third_party_hosts_after), (9, 3));
    let gone = [
        "connect.facebook.net",
        "ping.chartbeat.net",
        "region1.google-analytics.com",
        "securepubads.g.doubleclick.net",
        "static.hotjar.com",
        "stats.g.doubleclick.net",
    ];
    assert_eq!(c.hosts_removed, strings(&gone));
    assert_eq!((c.tracker_requests_before, c.tracker_requests_after), (6, 1));
    assert_eq!((c.bytes_third_party_before, c.bytes_third_party_after, c.bytes_saved), (9000, 3000, 6000));
    assert_eq!((c.third_party_cookies_before, c.third_party_cookies_after, c.cookies_avoided), (3, 2, 1));
    assert!((c.text_kept - 0.95).abs() < 1e-9);
    assert_eq!(c.console_errors_introduced, strings(&["ReferenceError: hj is not defined"]));
    let (mut empty, after) = (load(vec![]), load(vec![]));
    empty.text_chars = 0;
    assert_eq!(Comparison::new(&empty, &after).text_kept, 1.0);
}

#[test]
fn table_and_json() {
    let t = table(&audit(Some(page()), Some(enforced())));
    for line in [
        "trackstrip browser audit: https://news.example.com/article (rules 2025-01-01)",
        "Ad trackers: 3 (Criteo, Google)",
        "Third-party cookies: 3 set by fonts.gstatic.com, securepubads.g.doubleclick.net, static.criteo.net \
         (despite Global Privacy Control)",
        "CNAME-cloaked trackers: none",
        "Facebook pixel: found (https://connect.facebook.net/en_US/fbevents.js)",
        "Google Analytics remarketing: found (https://stats.g.doubleclick.net/j/collect)",
        "Session recording: Hotjar (Hotjar Ltd), Microsoft Clarity (Microsoft)",
        "Beacons: 2 POSTs/pings to ping.chartbeat.net, region1.google-analytics.com",
        "└ remove Google Tag Manager",
        "With trackstrip enforcing",
        "Hosts no longer contacted: connect.facebook.net,",
        "ReferenceError: hj is not defined",
    ] {
        assert!(t.contains(line), "{line:?} missing in\n{t}");
    }
    let mut failed = audit(None, None);
    failed.error = Some("timeout after 30 s".into());
    let t = table(&failed);
    assert_eq!(t.lines().nth(1), Some("error: timeout after 30 s"));
    let j: serde_json::Value = serde_json::from_str(&json(&audit(Some(page()), None))).expect("json");
    assert_eq!(j["schema"], SCHEMA);
    assert_eq!(j["summary"]["facebook_pixel"]["found"], true);
    assert!(j["comparison"].is_null() && j["enforced"].is_null() && j["error"].is_null());
    assert_eq!(j["observed"]["requests"].as_array().map(Vec::len), Some(12));
    let j: serde_json::Value = serde_json::from_str(&json(&failed)).expect("json");
    assert!(j["summary"].is_null() && j["error"] == "timeout after 30 s");
}

/// A request DNS showed to be an alias of a tracker gets its own summary line, and cookies
/// set without GPC sent are not said to be set despite it.
#[test]
fn cname_cloaked_requests_and_gpc_are_summarised() {
    let mut cloaked = v("Adobe Analytics", "Adobe", "analytics");
    cloaked.via_cname = Some("via CNAME smetrics.example.com → example.com.sc.omtrdc.net".into());
    let mut l = load(vec![
        tracked("https://smetrics.example.com/b/ss/x", cloaked.clone()),
        tracked("https://smetrics.example.com/id", cloaked),
    ]);
    l.gpc_sent = false;
    let s = Summary::new(&l);
    assert_eq!(s.cname_cloaked.count, 2);
    assert_eq!(s.cname_cloaked.chains, vec!["smetrics.example.com → example.com.sc.omtrdc.net".to_string()]);
    let t = table(&audit(Some(l), None));
    assert!(
        t.contains("CNAME-cloaked trackers: 2 requests via smetrics.example.com → example.com.sc.omtrdc.net"),
        "{t}"
    );
    let mut with_cookie = page();
    with_cookie.gpc_sent = false;
    assert!(!table(&audit(Some(with_cookie), None)).contains("despite Global Privacy Control"));
}

#[test]
fn aggregate_ranks_by_pages_then_name() {
    let mut failed = audit(None, None);
    failed.error = Some("no browser output".into());
    let other = load(vec![
        Request { stripped: vec![v("Hotjar", "Hotjar Ltd", "session-replay")], ..req("https://b.example.com/") },
        Request {
            set_cookies: vec!["IDE".into()],
            ..tracked("https://ad.doubleclick.net/x", v("DoubleClick", "Google", "advertising"))
        },
    ]);
    let a = aggregate(&[audit(Some(page()), None), failed, audit(Some(other), None)]);
    assert_eq!((a.pages, a.pages_failed, a.pages_with_trackers, a.pages_with_ad_trackers), (3, 1, 2, 2));
    assert_eq!((a.pages_with_facebook_pixel, a.pages_with_ga_remarketing, a.pages_with_session_recording), (1, 1, 2));
    assert_eq!(a.third_party_cookies, 4);
    let top: Vec<_> = a.services.iter().map(|s| (s.service.as_str(), s.pages)).collect();
    let want = [("DoubleClick", 2), ("Hotjar", 2), ("Criteo", 1), ("Facebook Pixel", 1), ("Google Analytics", 1)];
    assert_eq!(top[..5], want);
    let companies: Vec<_> = a.companies.iter().map(|c| (c.owner.as_str(), c.pages)).collect();
    assert_eq!(companies, [("Google", 2), ("Hotjar Ltd", 2), ("Criteo", 1), ("Meta", 1)]);
    assert_eq!(a.companies[0].services, strings(&["DoubleClick", "Google Analytics", "Google Tag Manager"]));
    let t = aggregate_table(&a);
    assert!(t.starts_with("trackstrip browser audit: 3 pages (1 failed), 2 with trackers"), "{t}");
    assert!(t.contains("Facebook pixel: 1 page\n") && t.contains("DoubleClick"), "{t}");
    let j: serde_json::Value = serde_json::from_str(&aggregate_json(&a)).expect("json");
    assert_eq!(j["services"][0]["service"], "DoubleClick");
}
