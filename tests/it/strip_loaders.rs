//! Scripts judged by what they will do: consent-gated tags (`type="text/plain"` and a consent
//! platform's marker) and inline loaders of URLs the rules or EasyPrivacy block.

use crate::support::{bundled, strip_with};
use std::sync::{Arc, OnceLock};
use trackstrip::audit::{Action, AuditEvent};
use trackstrip::policy::Reason;
use trackstrip::rules::Rules;

const PAGE: &str = "https://news.example/world/story.html";

/// What trackstrip uses with no flags: the bundled rules and the built-in EasyPrivacy.
fn defaults() -> Arc<Rules> {
    static RULES: OnceLock<Arc<Rules>> = OnceLock::new();
    RULES.get_or_init(|| Arc::new(Rules::defaults().expect("default rules load"))).clone()
}

fn strip(html: &str) -> (String, Vec<AuditEvent>) {
    strip_with(defaults(), PAGE, html)
}

const GA_GATED: &str = r#"<script type="text/plain" data-cookieconsent="statistics">
(function(i,s,o,g,r,a,m){i['GoogleAnalyticsObject']=r;i[r]=i[r]||function(){(i[r].q=i[r].q||[]).push(arguments)},i[r].l=1*new Date();a=s.createElement(o),m=s.getElementsByTagName(o)[0];a.async=1;a.src=g;m.parentNode.insertBefore(a,m)})(window,document,'script','https://www.google-analytics.com/analytics.js','ga');
ga('create', 'UA-1234-1', 'auto'); ga('send', 'pageview');
</script>"#;

const FB_GATED: &str = r#"<script type="text/plain" class="optanon-category-C0004">
!function(f,b,e,v,n,t,s){if(f.fbq)return;n=f.fbq=function(){n.callMethod?n.callMethod.apply(n,arguments):n.queue.push(arguments)};if(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;n.version='2.0';n.queue=[];t=b.createElement(e);t.async=!0;t.src=v;s=b.getElementsByTagName(e)[0];s.parentNode.insertBefore(t,s)}(window,document,'script','https://connect.facebook.net/en_US/fbevents.js');
fbq('init', '123456789'); fbq('track', 'PageView');
</script>"#;

const COMSCORE_GATED_SRC: &str = r#"<script type="text/plain" data-usercentrics="comScore" src="https://sb.scorecardresearch.com/beacon.js"></script>"#;
const COMSCORE_GATED_DATA_SRC: &str = r#"<script type="text/plain" class="_iub_cs_activate" data-suppressedsrc="https://sb.scorecardresearch.com/cs/1/beacon.js"></script>"#;
/// The same three vendors the other way round: GA and the pixel by URL, comScore inline
/// (Complianz marks it with a class and a category).
const OTHER_WAY: &str = r#"<script type="text/plain" data-cookieconsent="statistics" src="https://www.googletagmanager.com/gtag/js?id=G-1"></script><script type="text/plain" class="optanon-category-C0004" data-src="https://connect.facebook.net/en_US/fbevents.js"></script><script type="text/plain" class="cmplz-script cmplz-stats" data-category="statistics">var _comscore = _comscore || []; _comscore.push({ c1: "2", c2: "1234567" }); (function() { var s = document.createElement("script"), el = document.getElementsByTagName("script")[0]; s.async = true; s.src = "https://sb.scorecardresearch.com/cs/1234567/beacon.js"; el.parentNode.insertBefore(s, el); })();</script>"#;

const LD_JSON_GATED: &str = r#"<script type="application/ld+json" data-category="statistics">{"@context":"https://schema.org","@type":"NewsArticle","image":"https://www.google-analytics.com/collect.gif"}</script>"#;

#[test]
fn consent_gated_tags_are_judged_as_the_scripts_they_become() {
    let html = format!(
        "<head>{GA_GATED}{FB_GATED}{COMSCORE_GATED_SRC}{COMSCORE_GATED_DATA_SRC}{OTHER_WAY}{LD_JSON_GATED}</head><p>Story</p>"
    );
    let (out, events) = strip(&html);
    // Inline snippets: replaced by their stubs, so the platform activates a no-op on Accept.
    assert!(!out.contains("google-analytics.com/analytics.js") && !out.contains("fbevents.js"), "{out}");
    assert!(!out.contains("googletagmanager") && !out.contains("_comscore.push"), "{out}");
    assert!(
        out.contains(
            r#"<script type="text/plain" data-cookieconsent="statistics">(function(w){var n=w.GoogleAnalyticsObject"#
        ),
        "{out}"
    );
    assert!(
        out.contains(r#"<script type="text/plain" class="optanon-category-C0004">(function(w){if(w.fbq)return;"#),
        "{out}"
    );
    // Tags with a URL: gone, wherever the platform keeps the URL.
    assert!(!out.contains("scorecardresearch"), "{out}");
    // Structured data is data, whatever attributes it carries.
    assert!(out.contains(LD_JSON_GATED), "{out}");
    assert!(out.contains("<p>Story</p>"));

    let detail = |needle: &str| {
        events
            .iter()
            .find(|e| e.detail.as_deref().is_some_and(|d| d.contains(needle)))
            .unwrap_or_else(|| panic!("no event with {needle:?}: {events:#?}"))
    };
    let ga = detail("consent-gated (data-cookieconsent: statistics)");
    assert_eq!((ga.action, ga.reason, ga.owner.as_deref()), (Action::Replace, Reason::Snippet, Some("Google")));
    assert_eq!(detail("consent-gated (class optanon-category-: C0004)").tracker.as_deref(), Some("Meta Pixel"));
    let cs = detail("consent-gated (data-usercentrics: comScore)");
    assert_eq!((cs.action, cs.attribute), (Action::Remove, "src"));
    assert!(detail("URL held in data-suppressedsrc").url.as_deref().is_some_and(|u| u.contains("/cs/1/beacon.js")));
    assert!(
        detail("consent-gated (data-category: statistics)").tracker.as_deref().is_some_and(|t| t.contains("comScore"))
    );
    assert_eq!(events.iter().filter(|e| e.action.strips()).count(), 7, "{events:#?}");
}

#[test]
fn scripts_with_no_consent_marker_and_a_data_type_are_left_alone() {
    let html = r#"<script type="text/plain">var u = 'https://www.google-analytics.com/analytics.js'; document.createElement('script').src = u;</script><script type="text/template"><img src="x"></script>"#;
    let (out, events) = strip(html);
    assert_eq!(out, html);
    assert!(events.is_empty(), "{events:#?}");
}

/// Sumo's loader (EasyPrivacy `||sumo.com^$third-party`; no snippet or bundled rule names it),
/// and Keywee's, whose global page code calls.
const SUMO: &str = "<script>(function(s,u,m,o,j,v){j=u.createElement(m);v=u.getElementsByTagName(m)[0];j.async=1;j.src=o;j.dataset.sumoSiteId='5e30a63a';v.parentNode.insertBefore(j,v)})(window,document,'script','//load.sumo.com/');</script>";
const KEYWEE: &str = "<script>\n(function(w,d) {\n  w.kwa || (w.kwa = function() { (w.kwa.q = w.kwa.q || []).push(arguments); });\n  se = d.createElement('script'), fs = d.scripts[0];\n  se.src = '//cdn.keywee.co/dist/analytics.min.js';\n  fs.parentNode.insertBefore(se,fs)\n}(window, document));\n</script>";

#[test]
fn loaders_of_list_blocked_urls_become_stubs_that_keep_their_globals() {
    let html = format!("{SUMO}{KEYWEE}<script>kwa('initialize', 315);</script><p>Story</p>");
    let (out, events) = strip(&html);
    assert!(!out.contains("sumo.com") && !out.contains("keywee.co"), "{out}");
    assert!(out.contains("['kwa'].forEach"), "the stub keeps kwa callable: {out}");
    assert!(out.contains("<p>Story</p>"));
    let loaders: Vec<&AuditEvent> = events.iter().filter(|e| e.reason == Reason::Loader && e.url.is_some()).collect();
    assert_eq!(loaders.len(), 2, "{events:#?}");
    let sumo = loaders[0];
    assert_eq!(sumo.url.as_deref(), Some("https://load.sumo.com/"));
    assert_eq!(sumo.action, Action::Replace);
    let rule = sumo.rule.as_ref().expect("the rule that made it a tracker");
    assert!(rule.location().starts_with("easyprivacy.txt:"), "{rule}");
    assert_eq!(rule.text(), "||sumo.com^$third-party");
    assert_eq!(sumo.owner.as_deref(), Some("unknown"), "a list names no company");
    assert!(sumo.detail.as_deref().is_some_and(|d| d.contains("rules/snippets.toml:")), "{:?}", sumo.detail);
    // The calls-only script into the stubbed global goes too.
    assert!(!out.contains("kwa('initialize'"), "{out}");
}

#[test]
fn scripts_that_are_not_tracker_loaders_stay_byte_for_byte() {
    let app_script = format!(
        "<script>\n{}\nfunction track(){{ var s = document.createElement('script'); s.src = 'https://load.sumo.com/'; document.head.appendChild(s); }}\n</script>",
        "window.app = { render: function (el) { el.textContent = 'hello'; } };\n".repeat(60)
    );
    let pages = [
        // A large application script that merely mentions a tracker URL.
        app_script.as_str(),
        // An ad tag (EasyList's business, not a privacy tracker).
        "<script>var googletag = googletag || {}; googletag.cmd = googletag.cmd || []; (function() { var gads = document.createElement('script'); gads.async = true; gads.src = 'https://www.googletagservices.com/tag/js/gpt.js'; document.head.appendChild(gads); })();</script>",
        // A tracker URL in a comment loads nothing.
        "<script>// s.src = '//load.sumo.com/';\nvar s = document.createElement('script'); s.src = '/static/app.js'; document.head.appendChild(s);</script>",
        // A tracker URL the script only links to: no load.
        "<script>var help = 'https://load.sumo.com/'; console.log(help);</script>",
        // A first-party loader.
        "<script>var s = document.createElement('script'); s.src = '//news.example/app.js'; document.head.appendChild(s);</script>",
    ];
    for html in pages {
        let (out, events) = strip(html);
        assert_eq!(out, html);
        assert!(events.iter().all(|e| !e.action.strips()), "{events:#?}");
    }
}

#[test]
fn without_the_builtin_list_a_list_only_loader_stays() {
    let (out, _) = strip_with(bundled(), PAGE, SUMO);
    assert_eq!(out, SUMO, "--no-builtin-lists: only the bundled rules decide");
    let (out, _) = strip_with(defaults(), PAGE, SUMO);
    assert_ne!(out, SUMO);
}

#[test]
fn report_only_records_loaders_and_changes_nothing() {
    let rules = defaults();
    let page = crate::support::page(PAGE);
    let opts = trackstrip::strip::StripOptions { enforce: false, ..Default::default() };
    let mut s = trackstrip::strip::Stripper::new(rules, page, opts);
    let mut out = s.write(KEYWEE.as_bytes()).to_vec();
    let done = s.finish();
    out.extend_from_slice(&done.tail);
    assert_eq!(String::from_utf8(out).unwrap(), KEYWEE);
    assert!(done.events.iter().any(|e| e.reason == Reason::Loader && !e.enforced), "{:#?}", done.events);
}
