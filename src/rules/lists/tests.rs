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
    for (i, line) in text.lines().enumerate().filter(|(i, l)| i % 7 == 0 && is_network_filter(l)) {
        let pattern = line.trim_start_matches("@@").split('$').next().unwrap_or("");
        let literal = pattern.trim_start_matches('|').replace(['*', '^', '|'], "/");
        if pattern.starts_with("||") {
            urls.push(format!("https://{literal}"));
            urls.push(format!("https://sub{i}.{literal}?x=1"));
        } else {
            urls.push(format!("https://news.example/a{literal}b"));
        }
    }
    let pages = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
    for entry in std::fs::read_dir(pages).unwrap() {
        let page = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        for at in page.match_indices("http").map(|(i, _)| i) {
            let url: String = page[at..].chars().take_while(|c| !"\"' <>)\\".contains(*c)).collect();
            if url.starts_with("http://") || url.starts_with("https://") {
                urls.push(url.replace("&amp;", "&"));
            }
        }
    }
    assert!(urls.len() > 10_000, "{}", urls.len());
    let mut blocked = 0;
    for url in &urls {
        let Some(host) = url.split('/').nth(2).map(|h| h.split(':').next().unwrap_or("").to_ascii_lowercase()) else {
            continue;
        };
        for (page_host, kind) in [("news.example", RequestKind::Script), ("", RequestKind::Image)] {
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
