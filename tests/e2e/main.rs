//! End to end with a real browser: headless Chromium loads article pages through trackstrip,
//! over HTTP and over intercepted HTTPS, while every name but the site resolves to a local
//! sink that records every connection it gets. Chromium's lookups and trackstrip's each have
//! their own sink, so a hit is known to come through trackstrip or around it. Through
//! trackstrip no tracker may reach either sink, whether the page names it or a script builds
//! it at run time; without trackstrip they must (so these tests can fail). Screenshots land
//! in target/tmp/e2e/.

mod audit;
#[path = "../it/browser.rs"]
mod browser;
mod kit;
mod leaks;
mod social;

use kit::{Hit, Origin, OriginCa, Sinks, Trackstrip, referenced_hosts};
use std::path::PathBuf;

/// What one page load left behind: the DOM, every hit on Chromium's and trackstrip's sinks,
/// and how many connections Chromium's own names made; all drained after Chromium exited.
struct Load {
    dom: String,
    hits: Vec<Hit>,
    chromium_own: usize,
}

/// Chromium flags: names resolve like the real web would here (the site to the origin, every
/// other name to a sink), and only the given keys are trusted for HTTPS.
fn flags(sinks: &Sinks, proxy: Option<&str>, trusted: &[&str]) -> Vec<String> {
    let mut f = vec![
        format!("--host-resolver-rules={}", sinks.resolver_rules()),
        format!("--ignore-certificate-errors-spki-list={}", trusted.join(",")),
        "--window-size=1280,1000".to_string(),
    ];
    // The browser's own traffic off, with the flags `trackstrip audit --browser` uses. What no
    // flag turns off is named in leaks::CHROMIUM_OWN and has a sink of its own.
    f.extend(trackstrip::browser::BACKGROUND_OFF.iter().map(|s| s.to_string()));
    if let Some(p) = proxy {
        f.push(format!("--proxy-server=http://{p}"));
    }
    f
}

/// Loads `url`, then waits for the sinks to finish with everything sent to them.
async fn load(url: String, flags: Vec<String>, sinks: &Sinks) -> Load {
    let dom = tokio::task::spawn_blocking(move || {
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        browser::dump_dom(&url, &flags, 5000)
    })
    .await
    .unwrap();
    let (hits, chromium_own) = sinks.drained().await;
    Load { dom, hits, chromium_own }
}

async fn screenshot(url: String, flags: Vec<String>, name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("e2e");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.png"));
    let target = path.clone();
    tokio::task::spawn_blocking(move || {
        let profile = tempfile::tempdir().unwrap();
        let out = browser::headless(profile.path())
            .args(&flags)
            .arg(format!("--screenshot={}", target.display()))
            .arg("--virtual-time-budget=3000")
            .arg(&url)
            .output()
            .unwrap();
        assert!(out.status.success(), "screenshot failed: {}", String::from_utf8_lossy(&out.stderr));
    })
    .await
    .unwrap();
    path
}

/// Sentences each page's article must still show.
fn article_text(page: &str) -> &'static str {
    match page {
        "seed.html" => "Kerry insisted that the international community would not recognize the results",
        "wire.html" => "Residents of the harbour town voted on Tuesday to rebuild the stone sea wall",
        "science.html" => "has retreated by almost two kilometres since the first aerial photographs",
        "built.html" => "restored by volunteers over three winters with slate from the quarry",
        _ => unreachable!(),
    }
}

const PAGES: [&str; 4] = ["seed.html", "wire.html", "science.html", "built.html"];

/// The tracker names built.html's script makes at run time. On an HTTPS page Chromium blocks
/// the plain-HTTP fetch as mixed content before it is sent, and upgrades the plain-HTTP image
/// to HTTPS, so that image's name still goes out.
fn built_hosts(tls: bool) -> &'static [&'static str] {
    const HTTPS: [&str; 3] = ["www.google-analytics.com", "stats.g.doubleclick.net", "api.mixpanel.com"];
    match tls {
        false => &[HTTPS[0], HTTPS[1], HTTPS[2], "b.scorecardresearch.com", "pixel.quantserve.com"],
        true => &[HTTPS[0], HTTPS[1], HTTPS[2], "b.scorecardresearch.com"],
    }
}

/// Without trackstrip, the page's trackers reached the sink, so the test can fail: a tracker
/// the markup names, or every one built.html's script builds (and the markup names none).
fn assert_direct_reached_trackers(page: &str, tls: bool, direct: &Load) {
    let scheme = if tls { "https" } else { "http" };
    let written = referenced_hosts(page);
    let reached = |host: &str| direct.hits.iter().find(|h| h.host.as_deref() == Some(host));
    if page == "built.html" {
        assert!(written.is_empty(), "{page} names hosts in its markup: {written:?}");
        for host in built_hosts(tls) {
            let hit = reached(host).unwrap_or_else(|| {
                panic!("{page} over {scheme}: without trackstrip the sink never saw {host}: {:?}", direct.hits)
            });
            assert!(leaks::is_tracker(hit), "{hit}: trackstrip's rules must name it a tracker");
        }
    } else {
        assert!(
            written.iter().any(|host| reached(host).is_some_and(leaks::is_tracker)),
            "{page} over {scheme}: without trackstrip no tracker it names reached the sink: {:?}",
            direct.hits
        );
    }
}

async fn through_trackstrip(tls: bool) {
    let (ca, sinks) = (OriginCa::new(), Sinks::start().await);
    let origin = Origin::start(&ca).await;
    let proxy = Trackstrip::start(&sinks, &ca);
    let trusted = [kit::trackstrip_ca_spki(proxy.ca_dir.path()), ca.spki_sha256.clone()];
    let trusted: Vec<&str> = trusted.iter().map(String::as_str).collect();
    let scheme = if tls { "https" } else { "http" };

    for page in PAGES {
        let url = origin.url(page, tls);
        let direct = load(url.clone(), flags(&sinks, None, &trusted), &sinks).await;
        // Trackstrip is idle now: anything on its sink came late, from an earlier load.
        let late = leaks::leaks(&direct.hits.iter().filter(|h| h.sink == "trackstrip").cloned().collect::<Vec<_>>());
        assert!(late.is_empty(), "over {scheme}: reached trackstrip's sink after its load was drained: {late:#?}");
        assert!(direct.dom.contains(article_text(page)), "{page} did not load directly");
        assert_direct_reached_trackers(page, tls, &direct);

        // Through trackstrip nothing at all reaches a sink but Chromium's own names: a hit on
        // Chromium's would be a request around the proxy, one on trackstrip's a request it let
        // out. A hit that arrives late, after its load was drained, fails a later load or the
        // check after the last.
        let stripped = load(url.clone(), flags(&sinks, Some(&proxy.addr), &trusted), &sinks).await;
        let leaked = leaks::leaks(&stripped.hits);
        assert!(leaked.is_empty(), "{page} over {scheme}: got out through trackstrip: {leaked:#?}");
        assert!(
            stripped.dom.contains(article_text(page)),
            "{page} over {scheme}: article text missing: {}",
            &stripped.dom[..stripped.dom.len().min(800)]
        );
        if page == "science.html" {
            // Keywee's loader (named by EasyPrivacy alone) is a stub now; page code calls kwa().
            assert!(!stripped.dom.contains("cdn.keywee.co"), "{page} over {scheme}: the loader is still there");
        }
        if page == "built.html" {
            // The script that builds the names ran and made all five requests: trackstrip's
            // answer to them, not anything in the markup, is what kept them from the sinks.
            assert!(stripped.dom.contains(">sent=5<"), "{page} over {scheme}: the sending script did not run");
        }
        if page != "seed.html" {
            // The site's own script called ga()/fbq()/gtag()/hj()/kwa() and nothing threw.
            assert!(
                stripped.dom.contains(">app-ran<"),
                "{page} over {scheme}: the page's script did not run: {}",
                status(&stripped.dom)
            );
            assert!(
                stripped.dom.contains(">errors=0<"),
                "{page} over {scheme}: script errors: {}",
                status(&stripped.dom)
            );
        }
        let trackers = direct.hits.iter().filter(|h| leaks::is_tracker(h)).count();
        eprintln!(
            "{page} over {scheme}: direct {trackers} tracker hits (of {}), through trackstrip none \
             (and {} of Chromium's own)",
            direct.hits.len(),
            stripped.chromium_own
        );
    }

    let name = format!("wire-{scheme}");
    let shot = screenshot(origin.url("wire.html", tls), flags(&sinks, Some(&proxy.addr), &trusted), &name).await;
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 5_000, "screenshot {} looks empty", shot.display());
    let leaked = leaks::leaks(&sinks.drained().await.0);
    assert!(leaked.is_empty(), "the screenshot load leaked: {leaked:#?}");

    // Stopped, trackstrip can send nothing more: whatever it sent late is on the sink now.
    drop(proxy);
    let leaked = leaks::leaks(&sinks.drained().await.0);
    assert!(leaked.is_empty(), "over {scheme}: reached a sink after the last load was drained: {leaked:#?}");

    // built.html through `serve --report-only`, which blocks nothing: the names its script
    // builds reach trackstrip's sink, and are judged leaks. So the zero above is trackstrip's
    // doing, and a sink behind trackstrip sees what no markup names.
    let watching = Trackstrip::start_with(&sinks, &ca, &["--report-only"]);
    let trusted = [kit::trackstrip_ca_spki(watching.ca_dir.path()), ca.spki_sha256.clone()];
    let trusted: Vec<&str> = trusted.iter().map(String::as_str).collect();
    let watched = load(origin.url("built.html", tls), flags(&sinks, Some(&watching.addr), &trusted), &sinks).await;
    drop(watching);
    let mut hits = watched.hits;
    hits.extend(sinks.drained().await.0);
    assert!(hits.iter().all(|h| h.sink == "trackstrip"), "built.html over {scheme}: around trackstrip: {hits:?}");
    let leaked = leaks::leaks(&hits);
    for host in built_hosts(tls) {
        assert!(
            leaked.iter().any(|l| l.starts_with(&format!("{host} ")) && l.contains("(tracker: ")),
            "built.html over {scheme} with --report-only: {host} not judged a leak on trackstrip's sink: {leaked:#?}"
        );
    }
}

fn status(dom: &str) -> &str {
    dom.split("id=\"status\">").nth(1).and_then(|s| s.split('<').next()).unwrap_or("(no status line)")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_over_http_sends_nothing_to_trackers() {
    through_trackstrip(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_over_intercepted_https_sends_nothing_to_trackers() {
    through_trackstrip(true).await;
}
