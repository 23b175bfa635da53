//! What the rewriter strips, one rule kind per case (a table, like mitmproxy's blocklist tests).

use crate::support::{bundled, strip, strip_chunked, strip_with, with_list};
use trackstrip::audit::Action;
use trackstrip::policy::Reason;
use trackstrip::strip::StripOptions;

const PAGE: &str = "https://news.example/world/story.html";

struct Case {
    name: &'static str,
    html: &'static str,
    /// Substrings that must be gone from the output.
    gone: &'static [&'static str],
    /// Substrings that must still be there.
    kept: &'static [&'static str],
    /// The reason of every event, in order.
    reasons: &'static [Reason],
}

const CASES: &[Case] = &[
    Case {
        name: "the seed article's comScore pixel",
        html: r#"<img height="1" width="1" style="display:none" src="http://b.scorecardresearch.com/p?c1=2&amp;c2=15743189&amp;cv=2.0&amp;cj=1&amp;&amp;c5=&amp;c15="><p>Kerry said</p>"#,
        gone: &["scorecardresearch"],
        kept: &["<p>Kerry said</p>"],
        reasons: &[Reason::Host],
    },
    Case {
        name: "1x1 pixel to an unknown third party (attributes)",
        html: r#"<img src="https://px.unknown-vendor.example/t.gif?u=7" width="1" height="1"><img src="/logo.png" width="1" height="1">"#,
        gone: &["unknown-vendor"],
        kept: &[r#"<img src="/logo.png" width="1" height="1">"#],
        reasons: &[Reason::Pixel],
    },
    Case {
        name: "1x1 pixel sized by inline style",
        html: r#"<img style="width: 1px; height:1px !important" src="//px.unknown-vendor.example/i">"#,
        gone: &["unknown-vendor"],
        kept: &[],
        reasons: &[Reason::Pixel],
    },
    Case {
        name: "hidden beacon vs hidden logo",
        html: r#"<img style="display:none" src="https://stats.vendor.example/collect?v=1"><img style="display:none" src="https://cdn.vendor.example/logo.png">"#,
        gone: &["collect?v=1"],
        kept: &["cdn.vendor.example/logo.png"],
        reasons: &[Reason::Pixel],
    },
    Case {
        name: "responsive content images with width=1 height=1 are never pixels",
        html: r#"<img width="1" height="1" src="https://img.cdn.example/a.jpg" srcset="https://img.cdn.example/a.jpg 1x, https://img.cdn.example/a@2x.jpg 2x"><img width="1" height="1" sizes="100vw" src="https://img.cdn.example/b.jpg">"#,
        gone: &[],
        kept: &["a@2x.jpg", "b.jpg"],
        reasons: &[],
    },
    Case {
        name: "tracker scripts by host and by path; first-party code stays",
        html: r#"<script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script><script src="https://connect.facebook.net/en_US/fbevents.js"></script><script src="/app.js"></script>"#,
        gone: &["googletagmanager", "fbevents"],
        kept: &[r#"<script src="/app.js"></script>"#],
        reasons: &[Reason::Path, Reason::Path],
    },
    Case {
        name: "inline GA snippet replaced by a stub; application code calling ga() stays",
        html: "<script>(function(i,s,o,g,r,a,m){i['GoogleAnalyticsObject']=r;i[r]=i[r]||function(){(i[r].q=i[r].q||[]).push(arguments)}})(window,document,'script','https://www.google-analytics.com/analytics.js','ga');ga('create','UA-1','auto');ga('send','pageview');</script><script>function onBuy(){ ga('send','event','buy'); render(); }</script>",
        gone: &["UA-1", "analytics.js"],
        kept: &["trackstrip", "function onBuy(){ ga('send','event','buy'); render(); }"],
        reasons: &[Reason::Snippet],
    },
    Case {
        name: "JSON data that mentions a signature is not a script",
        html: r#"<script type="application/ld+json">{"x":"GoogleAnalyticsObject"}</script>"#,
        gone: &[],
        kept: &["GoogleAnalyticsObject"],
        reasons: &[],
    },
    Case {
        name: "GTM noscript iframe and noscript pixels",
        html: r#"<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-X" height="0" width="0" style="display:none;visibility:hidden"></iframe></noscript><noscript><img src="/fallback.png" alt="menu"><img height="1" width="1" src="https://www.facebook.com/tr?id=1&amp;ev=PageView&amp;noscript=1"></noscript>"#,
        gone: &["ns.html", "facebook.com/tr"],
        kept: &["<noscript></noscript>", r#"<img src="/fallback.png" alt="menu">"#],
        reasons: &[Reason::Host, Reason::Url],
    },
    Case {
        name: "connection hints to trackers; fonts and own styles stay",
        html: r#"<link rel="preconnect" href="https://www.google-analytics.com"><link rel="dns-prefetch" href="//sb.scorecardresearch.com"><link rel="preconnect" href="https://fonts.gstatic.com" crossorigin><link rel="stylesheet" href="/site.css">"#,
        gone: &["google-analytics", "scorecardresearch"],
        kept: &["fonts.gstatic.com", "/site.css"],
        reasons: &[Reason::Host, Reason::Host],
    },
    Case {
        name: "hyperlink-auditing pings, whatever the host",
        html: r#"<a href="/next" ping="/audit https://t.example/p">next</a><area href="/map" ping="/x">"#,
        gone: &["ping="],
        kept: &[r#"<a href="/next">next</a>"#, r#"<area href="/map">"#],
        reasons: &[Reason::Ping, Reason::Ping],
    },
    Case {
        name: "tracking parameters in links and forms, the rest byte for byte",
        html: r#"<a href="/story?id=1&amp;utm_source=tw&amp;utm_medium=social#comments" class=x>s</a><form action="https://shop.example/find?fbclid=Z&q=1"></form><a href="https://ga-dev-tools.google/campaign-url-builder/?utm_source=a">b</a>"#,
        gone: &["utm_medium", "fbclid"],
        kept: &[
            r#"<a href="/story?id=1#comments" class=x>"#,
            r#"action="https://shop.example/find?q=1""#,
            "builder/?utm_source=a",
        ],
        reasons: &[Reason::Param, Reason::Param],
    },
    Case {
        name: "a tracker host is first-party on its own site",
        html: r#"<script src="https://www.google-analytics.com/x.js"></script>"#,
        gone: &[],
        kept: &["x.js"],
        reasons: &[],
    },
    Case {
        name: "path patterns apply to first-party URLs",
        html: r#"<img src="/desktop2x/img/renderTimingPixel.png" alt="">"#,
        gone: &["renderTimingPixel"],
        kept: &[],
        reasons: &[Reason::Path],
    },
    Case {
        name: "a site's own collection subdomain (smetrics.<site>); look-alikes stay",
        html: r#"<script src="https://smetrics.news.example/b/id?d=1"></script><link rel="preconnect" href="//sstats.news.example"><img src="https://www.smetrics.news.example/logo.png"><script src="https://metrics.com/lib.js"></script><script src="/metrics.js"></script>"#,
        gone: &["smetrics.news.example/b/id", "sstats"],
        kept: &["www.smetrics.news.example/logo.png", "https://metrics.com/lib.js", "/metrics.js"],
        reasons: &[Reason::Subdomain, Reason::Subdomain],
    },
    Case {
        name: "national audience panels and RUM beacons, and a first-party tag manager",
        html: r#"<script src="https://script.ioam.de/iam.js"></script><script defer src="https://static.cloudflareinsights.com/beacon.min.js" data-cf-beacon='{"token":"t"}'></script><script src="/cdn-cgi/zaraz/s.js?z=1"></script><script src="/cdn-cgi/challenge-platform/x.js"></script>"#,
        gone: &["ioam.de", "cloudflareinsights", "zaraz"],
        kept: &["/cdn-cgi/challenge-platform/x.js"],
        reasons: &[Reason::Host, Reason::Host, Reason::Path],
    },
    Case {
        name: "newsroom analytics, engagement SDKs, a vendor's own metrics host; the vendor's player stays",
        html: r#"<script src="https://tentacles.smartocto.com/t.js"></script><script src="https://static.wzrkt.com/js/a.js"></script><img src="https://metrics.brightcove.com/tracker?event=view"><script src="https://players.brightcove.net/1/default_default/index.min.js"></script><img src="https://redirect.viglink.com/api/ping?key=1" alt="">"#,
        gone: &["smartocto", "wzrkt", "metrics.brightcove.com", "viglink"],
        kept: &["players.brightcove.net/1/default_default/index.min.js"],
        reasons: &[Reason::Host, Reason::Host, Reason::Subdomain, Reason::Url],
    },
    Case {
        name: "Snowplow and INFOnline page calls replaced by stubs; code that merely logs stays",
        html: r#"<script>;(function(p,l,o,w,i,n,g){if(!p[i]){p.GlobalSnowplowNamespace=p.GlobalSnowplowNamespace||[];p.GlobalSnowplowNamespace.push(i);p[i]=function(){(p[i].q=p[i].q||[]).push(arguments)};p[i].q=p[i].q||[];n=l.createElement(o);g=l.getElementsByTagName(o)[0];n.async=1;n.src=w;g.parentNode.insertBefore(n,g)}}(window,document,"script","https://cdn.news.example/sp.js","snowplow"));window.snowplow('newTracker','sp1','c.news.example');</script><script>var iam_data={"st":"news","cp":"home"};iom.c(iam_data,1);</script><script>console.log("iam_data ready")</script>"#,
        gone: &["sp.js", "newTracker", "\"cp\":\"home\""],
        kept: &["w[n[i]]=function(){}", "window.iom=window.iom||", r#"console.log("iam_data ready")"#],
        reasons: &[Reason::Snippet, Reason::Snippet],
    },
    Case {
        name: "input type=image pixel, embed and object trackers",
        html: r#"<input type="image" src="https://px.unknown-vendor.example/b?x" width="1" height="1"><embed src="https://pixel.quantserve.com/x.swf"><object data="https://b.scorecardresearch.com/o"></object><input type="text" src="https://px.unknown-vendor.example/c">"#,
        gone: &["b?x", "quantserve", "scorecardresearch"],
        kept: &[r#"<input type="text""#],
        reasons: &[Reason::Pixel, Reason::Host, Reason::Host],
    },
    Case {
        name: "<base href> makes relative pixels third-party",
        html: r#"<base href="https://cdn.othersite.example/"><img src="p.gif" width="0" height="0">"#,
        gone: &["p.gif"],
        kept: &["<base"],
        reasons: &[Reason::Pixel],
    },
];

fn page_url(case: &Case) -> &'static str {
    if case.name.starts_with("a tracker host is first-party") { "https://www.google-analytics.com/" } else { PAGE }
}

#[test]
fn every_rule_kind() {
    for case in CASES {
        let (out, events) = strip(page_url(case), case.html);
        for g in case.gone {
            assert!(!out.contains(g), "{}: {g:?} should be gone from\n{out}", case.name);
        }
        for k in case.kept {
            assert!(out.contains(k), "{}: {k:?} should be kept in\n{out}", case.name);
        }
        let reasons: Vec<Reason> = events.iter().map(|e| e.reason).collect();
        assert_eq!(reasons, case.reasons, "{}: events {events:#?}", case.name);
        for e in &events {
            let rule = e.rule.as_ref().expect("every event names its rule");
            assert!(!rule.location().is_empty(), "{}: {rule}", case.name);
        }
    }
}

#[test]
fn a_tracker_frame_goes_alone() {
    let html = r#"<frameset cols="50%,50%"><frame src="https://www.googletagmanager.com/ns.html?id=GTM-X"><frame src="/content.html"></frameset><noframes>text</noframes>"#;
    let (out, events) = strip("https://news.example/", html);
    assert_eq!(out, r#"<frameset cols="50%,50%"><frame src="/content.html"></frameset><noframes>text</noframes>"#);
    assert_eq!(events.len(), 1, "{events:#?}");
}

#[test]
fn events_name_owner_category_rule_and_line() {
    let html = "<html>\n<body>\n<img height=\"1\" width=\"1\" src=\"http://b.scorecardresearch.com/p?c1=2\">\n</body>";
    let (_, events) = strip("https://apnews.com/article", html);
    let e = &events[0];
    assert_eq!(e.action, Action::Remove);
    assert_eq!(e.element, "img");
    assert_eq!(e.line, 3);
    assert_eq!(e.host.as_deref(), Some("b.scorecardresearch.com"));
    assert_eq!(e.owner.as_deref(), Some("comScore"));
    assert_eq!(e.category.map(|c| c.as_str()), Some("analytics"));
    let rule = e.rule.as_ref().unwrap();
    assert!(rule.location().starts_with("rules/trackers.toml:"), "{rule}");
    assert_eq!(rule.text(), "scorecardresearch.com");
}

#[test]
fn report_only_changes_nothing_but_reports_everything() {
    let html = CASES.iter().map(|c| c.html).collect::<String>();
    let opts = StripOptions { enforce: false, ..StripOptions::default() };
    let (out, done) = strip_chunked(bundled(), PAGE, opts, html.as_bytes(), &[usize::MAX]);
    assert_eq!(out, html.as_bytes());
    assert!(done.events.len() >= 20, "{} events", done.events.len());
    assert!(done.events.iter().all(|e| !e.enforced));
    assert!(done.stats.trackers > 10);
}

#[test]
fn abp_list_honours_third_party_and_resource_types() {
    let rules = with_list("! Title: test list\n||adtrack.example^$third-party,image\n||www.google.com^$third-party\n");
    let html = r#"<img src="https://adtrack.example/a.png"><script src="https://adtrack.example/lib.js"></script><script src="https://www.google.com/recaptcha/api.js"></script>"#;
    let (out, events) = strip_with(rules.clone(), PAGE, html);
    assert!(!out.contains("a.png"), "{out}");
    assert!(out.contains("lib.js"), "a script is not an image: {out}");
    assert!(out.contains("recaptcha"), "the allowlist beats lists: {out}");
    let rule = events[0].rule.as_ref().unwrap();
    assert_eq!(rule.location(), "test-list.txt:2");
    assert_eq!(rule.text(), "||adtrack.example^$third-party,image");
    let (out, _) = strip_with(rules, "https://adtrack.example/home", html);
    assert!(out.contains("a.png"), "first-party on its own site: {out}");
}

#[test]
fn snippet_stub_keeps_ga_callable() {
    let html = "<script>(function(i,s,o,g,r){i['GoogleAnalyticsObject']=r;i[r]=function(){}})(window,document,'script','x','ga');</script>";
    let (out, events) = strip(PAGE, html);
    assert_eq!(events[0].action, Action::Replace);
    assert!(out.starts_with("<script>") && out.ends_with("</script>"), "{out}");
    assert!(out.contains("w[n]=f") && out.contains("trackstrip"), "the stub defines ga(): {out}");
}

/// Cookie matching is named by what the endpoint does, on any host; look-alike content paths stay.
#[test]
fn ad_tech_id_sync_endpoints_go_on_any_host() {
    let html = r#"<img src="https://sync.adnet.example/usersync?partner=7&uid=abc" width="1" height="1"><img src="https://x.bidder.example/cookie-sync?b=1"><img src="/users/sync-settings.png"><img src="https://cdn.example/setuid-guide.jpg">"#;
    let (out, events) = strip(PAGE, html);
    assert!(!out.contains("usersync") && !out.contains("cookie-sync"), "{out}");
    assert!(out.contains("sync-settings.png") && out.contains("setuid-guide.jpg"), "{out}");
    assert!(events.iter().all(|e| e.tracker.as_deref() == Some("Ad-tech ID sync")), "{events:#?}");
}
