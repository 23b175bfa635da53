use super::*;

fn set() -> ListSet {
    let list = "! Title: Test Privacy\n||tracker.example^$third-party\n||pix.example/p.gif\n@@||pix.example/p.gif?ok\n||beacon.example^\n@@||beacon.example/keep^\n";
    ListSet::from_texts(vec![("test-privacy.txt".into(), list.into())])
}

fn query<'a>(url: &'a str, page_host: &'a str, kind: RequestKind) -> ListQuery<'a> {
    let host = url.split('/').nth(2).unwrap_or("");
    let site = |h: &str| crate::policy::site_of(h).to_string();
    let third_party = page_host.is_empty() || site(host) != site(page_host);
    ListQuery { url, host, page_host, third_party, kind }
}

#[test]
fn hits_cite_the_list_line_and_text() {
    let s = set();
    let hit = s.check(&query("https://cdn.tracker.example/t.js", "news.example", RequestKind::Script)).unwrap();
    assert!(!hit.exception);
    assert_eq!(hit.rule.location(), "test-privacy.txt:2");
    assert_eq!(hit.rule.text(), "||tracker.example^$third-party");
    assert_eq!(hit.category, Category::Analytics);
    let hit = s.check(&query("https://pix.example/p.gif?x=1", "news.example", RequestKind::Image)).unwrap();
    assert_eq!((hit.rule.location(), hit.rule.text()), ("test-privacy.txt:3".to_string(), "||pix.example/p.gif"));
}

#[test]
fn third_party_option_and_exceptions() {
    let s = set();
    assert!(s.check(&query("https://tracker.example/t.js", "tracker.example", RequestKind::Script)).is_none());
    let hit = s.check(&query("https://pix.example/p.gif?ok", "news.example", RequestKind::Image)).unwrap();
    assert!(hit.exception);
    assert!(s.check(&query("https://news.example/a.js", "news.example", RequestKind::Script)).is_none());
    // A host filter's block is lifted by an exception, as in the engine.
    let hit = s.check(&query("https://beacon.example/keep/a.js", "news.example", RequestKind::Script)).unwrap();
    assert!(hit.exception, "{hit:?}");
    assert_eq!(hit.rule.location(), "test-privacy.txt:6");
    assert!(!s.check(&query("https://beacon.example/b", "news.example", RequestKind::Image)).unwrap().exception);
}

#[test]
fn badfilter_withdraws_a_host_filter() {
    let s = ListSet::from_texts(vec![(
        "l.txt".into(),
        "||gone.example^\n||gone.example^$badfilter\n||kept.example^\n".into(),
    )]);
    assert!(s.check(&query("https://gone.example/x", "news.example", RequestKind::Image)).is_none());
    assert!(s.check(&query("https://kept.example/x", "news.example", RequestKind::Image)).is_some());
}

#[test]
fn the_builtin_list_loads_with_no_files_around() {
    let s = ListSet::new(vec![builtin::snapshot()]);
    let info = &s.infos()[0];
    assert_eq!(&*info.name, "easyprivacy.txt");
    assert_eq!(info.origin, ListOrigin::Builtin);
    assert_eq!(info.category, Category::Analytics);
    assert!(info.filters > 50_000 && info.host_filters > 40_000, "{} / {}", info.filters, info.host_filters);
    let hit = s.check(&query("http://b.scorecardresearch.com/p?c1=2", "apnews.com", RequestKind::Image)).unwrap();
    assert!(hit.rule.location().starts_with("easyprivacy.txt:"), "{hit:?}");
    // The cited line holds the cited filter.
    let line = builtin::snapshot().text.lines().nth(hit.rule.line() - 1).unwrap_or("").to_string();
    assert_eq!(line, hit.rule.text());
}

/// The host index and the literal prefilter only skip work: every answer equals the adblock
/// engine's alone, holding the whole list, on URLs made to hit filters of every shape and on
/// the resource URLs of real pages.
#[test]
fn the_fast_paths_answer_like_the_engine_alone() {
    let text = builtin::snapshot().text.into_owned();
    let fast = ListSet::new(vec![builtin::snapshot()]);
    let mut reference = FilterSet::new(true);
    reference
        .add_filter_list(text.clone(), ParseOptions { rule_types: RuleTypes::NetworkOnly, ..ParseOptions::default() });
    let engine = adblock::Engine::new_with_filter_set(reference);
    let mut urls: Vec<String> = Vec::new();
    // The page each URL is also asked from: the first site its filter is limited to, if any.
    let mut sites: Vec<String> = Vec::new();
    // Every filter the prefilter keys (plain host filters: one in seven), with its runs
    // together, apart (`a^*b` written `a/x/b`) and, for a regex, nothing of it.
    let keyed = |l: &str| plain_host(l).is_none();
    for (i, line) in text.lines().enumerate().filter(|(i, l)| is_network_filter(l) && (i % 7 == 0 || keyed(l))) {
        let (pattern, options) = line.trim_start_matches("@@").split_once('$').unwrap_or((line, ""));
        let literal = pattern.trim_start_matches('|').replace(['*', '^', '|'], "/");
        let site = options.split(',').find_map(|o| o.strip_prefix("domain=")).and_then(|d| d.split('|').next());
        let site = site.filter(|d| !d.starts_with('~')).unwrap_or("news.example");
        if pattern.starts_with("||") {
            urls.push(format!("https://{literal}"));
            urls.push(format!("https://sub{i}.{}?x=1", literal.replacen('/', "/x/", 1)));
            sites.extend([site.to_string(), site.to_string()]);
        } else {
            urls.push(format!("https://news.example/a{literal}b"));
            sites.push(site.to_string());
        }
    }
    // URLs the list's regex filters match.
    urls.extend(
        [
            "https://cdn.jsdelivr.net/npm/abcdef@latest/dist/script.min.js",
            "https://pov.spectrum.net/abcdefghijklmnop.js",
            "https://tmx.tdbank.com/abcdefghijklmn.js",
            "https://www.kroger.com/content////////////////////////x",
        ]
        .map(String::from),
    );
    sites.extend(["news.example", "spectrum.net", "td.com", "kroger.com"].map(String::from));
    let pages = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
    for entry in std::fs::read_dir(pages).unwrap() {
        let page = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        for at in page.match_indices("http").map(|(i, _)| i) {
            let url: String = page[at..].chars().take_while(|c| !"\"' <>)\\".contains(*c)).collect();
            if url.starts_with("http://") || url.starts_with("https://") {
                urls.push(url.replace("&amp;", "&"));
                sites.push("news.example".into());
            }
        }
    }
    assert!(urls.len() > 20_000, "{}", urls.len());
    // Pass by pass, so that URLs sharing a prefix follow one another as in a page (the list
    // set remembers the last prefix); the last pass, sorted, puts every such URL together.
    let mut sorted: Vec<usize> = (0..urls.len()).collect();
    sorted.sort_by(|&a, &b| urls[a].cmp(&urls[b]));
    let in_order: Vec<usize> = (0..urls.len()).collect();
    let mut blocked = 0;
    for pass in 0..4 {
        for &n in if pass == 3 { &sorted } else { &in_order } {
            let url = &urls[n];
            let Some(host) = url.split('/').nth(2).map(|h| h.split(':').next().unwrap_or("").to_ascii_lowercase())
            else {
                continue;
            };
            let (page_host, kind) = match pass {
                0 | 3 => ("news.example", RequestKind::Script),
                1 => ("", RequestKind::Image),
                _ => (sites[n].as_str(), RequestKind::Xhr),
            };
            let q = ListQuery { host: &host, page_host, ..query(url, page_host, kind) };
            let ours = fast.check(&q).map(|h| h.exception);
            let req =
                adblock::request::Request::preparsed(url, &host, page_host, kind.adblock_name(), q.third_party, "GET");
            let r = engine.check_network_request(&req);
            let theirs = match (&r.exception, &r.filter) {
                (Some(_), _) if !r.important => Some(true),
                (_, Some(_)) => Some(false),
                _ => None,
            };
            assert_eq!(ours, theirs, "{url} from {page_host:?} as {kind:?}");
            blocked += usize::from(theirs == Some(false));
        }
    }
    assert!(blocked > 5_000, "the URLs exercise the filters ({blocked} blocked)");
}

/// The set remembers the last URL prefix it judged: a new page, or the same host seen as
/// first-party, is judged anew.
#[test]
fn a_prefix_is_judged_again_for_another_page() {
    let s = ListSet::from_texts(vec![(
        "l.txt".into(),
        "||127.0.0.1^$third-party,domain=bank.example\n||cdn.example^$third-party\n".into(),
    )]);
    let local = |page| s.check(&query("http://127.0.0.1/a.js", page, RequestKind::Script)).is_some();
    assert!(!local("news.example"));
    assert!(local("bank.example"));
    assert!(!local("news.example"));
    let cdn = |page| s.check(&query("https://cdn.example/a.js", page, RequestKind::Script)).is_some();
    assert!(cdn("news.example"));
    assert!(!cdn("cdn.example"), "first-party");
    assert!(cdn("news.example"));
    // Another set, even one holding other filters at the same address, starts afresh.
    drop(s);
    let other = ListSet::from_texts(vec![("m.txt".into(), "||other.example^\n".into())]);
    assert!(other.check(&query("https://cdn.example/a.js", "news.example", RequestKind::Script)).is_none());
}
