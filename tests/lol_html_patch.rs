//! The vendored lol_html's fast paths (vendor/README.md) must not change what a rewrite does.
//!
//! A program made only of compound selectors that name their tag (as trackstrip's are) takes the
//! fast paths: unmatched elements skip the instruction loop, `a[href*="?"]` and the like are
//! decided from the raw tag without lexing it. Add one selector with a combinator and lol_html
//! runs its original, general paths. Every html5lib input, every test page and a set of tricky
//! cases go through both, whole and in pseudo-random chunks, with handlers that record what they
//! see and remove, rewrite and hold elements as the stripper does: the outputs and the records
//! must agree byte for byte.

mod common;

use common::html5lib::{tokenizer_inputs, tree_inputs};
use common::rng::Rng;
use lol_html::html_content::{ContentType, Element};
use lol_html::{ElementContentHandlers, HtmlRewriter, Selector, Settings};
use std::borrow::Cow;
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

/// Selectors like the stripper's, each with what its handler does besides recording.
const FLAT: &[(&str, Action)] = &[
    ("img[src]", Action::RemoveIf("pixel")),
    ("input[src]", Action::Record),
    ("script", Action::HoldToEnd),
    ("noscript", Action::HoldToEnd),
    ("iframe[src]", Action::Remove),
    ("frame[src]", Action::Remove),
    ("embed[src]", Action::Remove),
    ("object[data]", Action::Remove),
    ("link[href][rel]", Action::Record),
    ("base[href]", Action::Record),
    ("a[ping]", Action::DropPing),
    ("area[ping]", Action::DropPing),
    ("a[href*=\"?\"]", Action::Rewrite("href")),
    ("area[href*=\"?\"]", Action::Rewrite("href")),
    ("form[action*=\"?\"]", Action::Rewrite("action")),
    ("div[data-x]", Action::Remove),
    ("span[id=\"drop\" i]", Action::Remove),
];

/// Makes the program non-flat, so lol_html takes its general paths; it never matches.
const GENERAL: &str = "body > trackstrip-never-matches";

#[derive(Clone, Copy)]
enum Action {
    Record,
    Remove,
    RemoveIf(&'static str),
    HoldToEnd,
    DropPing,
    Rewrite(&'static str),
}

type Log = Rc<RefCell<Vec<String>>>;

/// Output, handler records and the rewriter's verdict for one run.
fn rewrite(input: &[u8], general: bool, chunk: Option<(u64, u64)>) -> (Vec<u8>, Vec<String>, String) {
    let log: Log = Rc::default();
    let mut handlers: Vec<(Cow<'static, Selector>, ElementContentHandlers<'_>)> = Vec::new();
    for &(sel, action) in FLAT {
        let log = log.clone();
        let selector: Selector = sel.parse().expect("selector");
        handlers.push((
            Cow::Owned(selector),
            ElementContentHandlers::default().element(move |el: &mut Element<'_, '_>| {
                let attrs: Vec<String> =
                    el.attributes().iter().map(|a| format!("{}={:?}", a.name(), a.value())).collect();
                log.borrow_mut().push(format!("{sel}: <{} {}>", el.tag_name(), attrs.join(" ")));
                match action {
                    Action::Record => {}
                    Action::Remove => el.remove(),
                    Action::RemoveIf(needle) => {
                        if el.get_attribute("src").is_some_and(|s| s.contains(needle)) {
                            el.remove();
                        }
                    }
                    Action::HoldToEnd => {
                        if let Some(handlers) = el.end_tag_handlers() {
                            let log = log.clone();
                            handlers.push(Box::new(move |end| {
                                log.borrow_mut().push(format!("end </{}>", end.name()));
                                end.after("<!--held-->", ContentType::Html);
                                Ok(())
                            }));
                        }
                    }
                    Action::DropPing => el.remove_attribute("ping"),
                    Action::Rewrite(attr) => {
                        if let Some(v) = el.get_attribute(attr) {
                            el.set_attribute(attr, &format!("{v}&cleaned"))?;
                        }
                    }
                }
                Ok(())
            }),
        ));
    }
    if general {
        let log = log.clone();
        handlers.push((
            Cow::Owned(GENERAL.parse().expect("selector")),
            ElementContentHandlers::default().element(move |_: &mut Element<'_, '_>| {
                log.borrow_mut().push("the general selector matched".into());
                Ok(())
            }),
        ));
    }
    let mut settings = Settings::new();
    for h in handlers {
        settings = settings.append_element_content_handler(h);
    }
    let mut out = Vec::new();
    let mut rw = HtmlRewriter::new(settings, |c: &[u8]| out.extend_from_slice(c));
    let mut verdict = String::from("ok");
    let mut feed = |bytes: &[u8]| {
        if verdict == "ok"
            && let Err(e) = rw.write(bytes)
        {
            verdict = e.to_string();
        }
    };
    match chunk {
        None => feed(input),
        Some((seed, max)) => {
            let mut rng = Rng::new(seed);
            let mut rest = input;
            while !rest.is_empty() {
                let n = rng.size(max).min(rest.len());
                feed(&rest[..n]);
                rest = &rest[n..];
            }
        }
    }
    if verdict == "ok"
        && let Err(e) = rw.end()
    {
        verdict = e.to_string();
    }
    let records = log.borrow().clone();
    (out, records, verdict)
}

/// Both programs, fed alike, must do the same thing; returns a description of the first
/// difference.
fn compare(name: &str, input: &[u8], chunk: Option<(u64, u64)>) -> Result<(), String> {
    let fast = rewrite(input, false, chunk);
    let general = rewrite(input, true, chunk);
    if fast == general {
        return Ok(());
    }
    let what = if fast.2 != general.2 {
        format!("verdicts {:?} vs {:?}", fast.2, general.2)
    } else if fast.1 != general.1 {
        format!("records\n  fast:    {:?}\n  general: {:?}", fast.1, general.1)
    } else {
        let at = fast.0.iter().zip(&general.0).position(|(a, b)| a != b).unwrap_or(fast.0.len().min(general.0.len()));
        let from = at.saturating_sub(60);
        format!(
            "outputs differ at byte {at}\n  fast:    {:?}\n  general: {:?}",
            String::from_utf8_lossy(&fast.0[from..(at + 60).min(fast.0.len())]),
            String::from_utf8_lossy(&general.0[from..(at + 60).min(general.0.len())])
        )
    };
    Err(format!(
        "{name} ({}): {what}",
        chunk.map_or("whole".into(), |(s, m)| format!("chunks of 1..={m}, seed {s:#x}"))
    ))
}

fn check_all<'a>(inputs: impl Iterator<Item = (String, &'a [u8])>, max_chunk: u64) {
    let mut failures = Vec::new();
    let mut n = 0;
    for (i, (name, bytes)) in inputs.enumerate() {
        n += 1;
        for chunk in [None, Some((0x7A7C_0000 + i as u64, max_chunk))] {
            if let Err(e) = compare(&name, bytes, chunk) {
                failures.push(e);
            }
        }
    }
    assert!(n > 0, "no inputs");
    assert!(failures.is_empty(), "{} of {n} inputs differ; first: {}", failures.len(), failures[0]);
}

/// Cases aimed at the fast paths: boundaries that close removed elements, tags that end in a
/// later chunk or never, names and attributes in odd case, foreign content.
const TRICKY: &[&str] = &[
    "<div><object data=x>fallback<p>para</div>after</object>tail",
    "<section><div data-x><p>inner</section>after<div data-x>unclosed",
    "<frameset><frame src=a><frame src=b></frameset><p>x",
    "<a href=\"/x?y\" ping=\"/p\">t</a><A HREF='?Q' PING=x>u</A><a href=/plain>no query</a>",
    "<a title=\"?\">question mark elsewhere</a><a data-ping=1 href=/x>not a ping</a>",
    "<a href=\"?x\"",
    "<a href=\"/no-query\" title='a > b'>quoted gt</a><a href=\"/q?\" title=\">\">x</a>",
    "<svg><a href=\"?x\"><img src=pixel.gif></a></svg><math><a href=?m>m</a></math>",
    "<table><a href=?t>in table</a><tr><td><a ping=p>cell</a></table>",
    "<form action=\"/s?q=1\"><form action=/nested?x></form>",
    "<span id=DROP>case-insensitive id</span><span id=drop><b>gone</b></span>kept",
    "<script>if (a<b) document.write('<a href=?x>')</script><a href=?after>after</a>",
    "<noscript><img src=pixel.png></noscript><textarea><a href=?no></textarea><a href=?yes>",
    "<p><a href=?1><a href=?2>nested anchors</a></a></p></p></div></span>",
    "<custom-element-with-a-long-name><a href=?c>c</a></custom-element-with-a-long-name>",
    "<iframe src=f><a href=?inside-iframe></iframe><a href=?after>",
    "<a\nhref\n=\n\"?multi-line\"\n>x</a><a/href=?slash>y</a><a href=?x/>z",
];

#[test]
fn tricky_cases_agree_at_every_chunking() {
    for (i, case) in TRICKY.iter().enumerate() {
        let bytes = case.as_bytes();
        // Every split point, and 1-byte chunks.
        for seed in 0..64 {
            compare(case, bytes, Some((seed, 1 + (seed % 8)))).unwrap_or_else(|e| panic!("case {i}: {e}"));
        }
        compare(case, bytes, None).unwrap_or_else(|e| panic!("case {i}: {e}"));
        compare(case, bytes, Some((1, 1))).unwrap_or_else(|e| panic!("case {i}: {e}"));
    }
}

#[test]
fn html5lib_inputs_agree() {
    let (tree, _) = tree_inputs();
    let (tokenizer, _) = tokenizer_inputs();
    let all = tree.iter().chain(&tokenizer);
    check_all(all.map(|i| (format!("{} #{}", i.file, i.index), i.bytes.as_slice())), 64);
}

#[test]
fn test_pages_agree() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
    let mut pages: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .map(|p| (p.display().to_string(), std::fs::read(&p).expect("page")))
        .collect();
    pages.sort();
    assert!(pages.len() >= 5, "test pages missing");
    check_all(pages.iter().map(|(n, b)| (n.clone(), b.as_slice())), 4096);
}

#[test]
fn the_general_selector_really_takes_the_general_path() {
    // If GENERAL ever matched, the two runs would differ for a reason unrelated to the patch.
    let (_, records, _) = rewrite(b"<body><trackstrip-never-matches>", true, None);
    assert_eq!(records, ["the general selector matched"]);
    let (_, records, _) = rewrite(b"<body><div><trackstrip-never-matches>", true, None);
    assert!(records.is_empty(), "{records:?}");
}

/// `get_attribute_cow` (borrowed when it can be) reads exactly what `get_attribute` reads:
/// mixed-case names, duplicates, values without quotes or empty, entities left as written, a
/// non-UTF-8 page, names that are not plain, and attributes changed by an earlier handler.
#[test]
fn borrowed_attributes_read_what_get_attribute_reads() {
    let names = ["href", "HREF", "data-x", "title", "empty", "bare", "missing", "a b", "", "é", "x:y"];
    let page = "<a HREF='/a?b=1&amp;c=2' href=dup Data-X=\"v\u{e9}\" title=\"\u{434}\u{430}\" empty=\"\" bare x:y=1>";
    for (encoding, modify) in
        [(encoding_rs::UTF_8, false), (encoding_rs::UTF_8, true), (encoding_rs::WINDOWS_1251, false)]
    {
        let (bytes, _, _) = encoding.encode(page);
        // (get_attribute, get_attribute_cow) per name.
        type Reads = Vec<(Option<String>, Option<String>)>;
        let seen: Rc<RefCell<Reads>> = Rc::default();
        let record = seen.clone();
        let mut settings =
            Settings::new().with_encoding(lol_html::AsciiCompatibleEncoding::new(encoding).expect("ascii-compatible"));
        if modify {
            // An earlier handler's change makes lol_html hold the attributes as a list.
            settings = settings.append_element_content_handler(lol_html::element!("a", |el| {
                el.set_attribute("title", "changed")?;
                Ok(())
            }));
        }
        settings = settings.append_element_content_handler(lol_html::element!("a", move |el: &mut Element<'_, '_>| {
            for n in names {
                record.borrow_mut().push((el.get_attribute(n), el.get_attribute_cow(n).map(Cow::into_owned)));
            }
            Ok(())
        }));
        let mut rw = HtmlRewriter::new(settings, |_: &[u8]| {});
        rw.write(&bytes).expect("write");
        rw.end().expect("end");
        let seen = seen.borrow();
        assert_eq!(seen.len(), names.len(), "{}", encoding.name());
        for (n, (owned, borrowed)) in names.iter().zip(seen.iter()) {
            assert_eq!(owned, borrowed, "{n:?} in {} (modified: {modify})", encoding.name());
        }
        assert_eq!(seen[0].0.as_deref(), Some("/a?b=1&amp;c=2"));
        assert_eq!(seen[3].0.as_deref(), Some(if modify { "changed" } else { "\u{434}\u{430}" }));
        assert_eq!(seen[5].0.as_deref(), Some(""));
        assert_eq!(seen[6].0, None);
    }
}

/// Rewriters built with the same selectors share one compiled program (vendor/README.md);
/// each still runs its own handlers, in any encoding.
#[test]
fn rewriters_with_the_same_selectors_keep_their_own_handlers() {
    let run = |tag: &'static str, encoding: &'static encoding_rs::Encoding| {
        let hits = Rc::new(RefCell::new(Vec::new()));
        let h = hits.clone();
        let settings = Settings::new()
            .with_encoding(lol_html::AsciiCompatibleEncoding::new(encoding).expect("ascii-compatible"))
            .append_element_content_handler(lol_html::element!("img[src]", move |el| {
                h.borrow_mut().push(format!("{tag}:{}", el.get_attribute("src").unwrap_or_default()));
                Ok(())
            }))
            .append_element_content_handler(lol_html::element!("script", |el| {
                el.remove();
                Ok(())
            }));
        let mut out = Vec::new();
        let mut rw = HtmlRewriter::new(settings, |c: &[u8]| out.extend_from_slice(c));
        rw.write(b"<img src=a><script>x</script><img src=b>").expect("write");
        rw.end().expect("end");
        (hits.take(), out)
    };
    for encoding in [encoding_rs::UTF_8, encoding_rs::WINDOWS_1252, encoding_rs::UTF_8] {
        let (first, out1) = run("first", encoding);
        let (second, out2) = run("second", encoding);
        assert_eq!(first, ["first:a", "first:b"]);
        assert_eq!(second, ["second:a", "second:b"]);
        assert_eq!(out1, b"<img src=a><img src=b>");
        assert_eq!(out1, out2);
    }
}
