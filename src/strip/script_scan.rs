//! What a small inline script names: the URLs written in it and the globals it defines.
//!
//! Not a JavaScript parser: a tokenizer that knows strings, comments and brackets, which is
//! enough for loader snippets (a few hundred bytes of `createElement`/`src=`). A script it
//! misreads yields fewer names, never a panic.

/// Most URLs and globals taken from one script: a loader names a handful.
const MAX_NAMES: usize = 16;

/// Length with each whitespace run counted as one byte (the loader rule's size measure:
/// indentation does not make a snippet application code).
pub(crate) fn squeezed_len(script: &[u8]) -> usize {
    let mut n = 0;
    let mut in_space = false;
    for &b in script.trim_ascii() {
        let space = b.is_ascii_whitespace();
        if !(space && in_space) {
            n += 1;
        }
        in_space = space;
    }
    n
}

/// Network URLs written in the script's string literals (code in comments loads nothing):
/// `http(s)://host/...` anywhere in a string (also inside markup the script writes), and
/// `//host/...` at a string's start or after a quote or `=`. Only the literal part is taken
/// (`'https://t.example/gtm.'+'js'` gives `https://t.example/gtm.`).
pub(crate) fn urls_in(script: &[u8]) -> Vec<&str> {
    let mut found: Vec<&str> = Vec::new();
    for (tok, _) in tokens(script) {
        let Tok::Str(s) = tok else { continue };
        let s = s.as_bytes();
        for at in memchr::memmem::find_iter(s, b"//") {
            let before = &s[..at];
            let start = if before.ends_with(b"https:") {
                at - 6
            } else if before.ends_with(b"http:") {
                at - 5
            } else if before.last().is_none_or(|b| matches!(b, b'\'' | b'"' | b'=')) {
                at
            } else {
                continue;
            };
            let Some(end) = url_end(s, at + 2) else { continue };
            let Ok(url) = std::str::from_utf8(&s[start..end]) else { continue };
            if !found.contains(&url) {
                found.push(url);
                if found.len() == MAX_NAMES {
                    return found;
                }
            }
        }
    }
    found
}

/// Given the first byte after `//`, the end of a URL with a plausible host (a dot, a
/// letters-only last label), or None.
fn url_end(s: &[u8], host_start: usize) -> Option<usize> {
    let mut i = host_start;
    while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == b'-' || s[i] == b'.') {
        i += 1;
    }
    let host = &s[host_start..i];
    let last = host.rsplit(|&b| b == b'.').next()?;
    if !host.contains(&b'.') || last.len() < 2 || !last.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    while i < s.len()
        && !matches!(s[i], b'\'' | b'"' | b'`' | b'<' | b'>' | b'\\' | b')' | b' ' | b'\t' | b'\r' | b'\n')
    {
        i += 1;
    }
    Some(i)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    Ident(&'a str),
    Str(&'a str),
    Punct(u8),
}

/// Identifiers, string contents and punctuation, with the bracket depth of each token.
/// Comments and whitespace are skipped; numbers and regex literals come out as punctuation
/// and identifiers, which the patterns below don't mistake for anything.
fn tokens(s: &[u8]) -> Vec<(Tok<'_>, u32)> {
    let mut out = Vec::new();
    let mut depth = 0u32;
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b.is_ascii_whitespace() {
            i += 1;
        } else if s[i..].starts_with(b"//") {
            i += s[i..].iter().position(|&c| c == b'\n').unwrap_or(s.len() - i);
        } else if s[i..].starts_with(b"/*") {
            i += memchr::memmem::find(&s[i + 2..], b"*/").map_or(s.len() - i, |p| p + 4);
        } else if matches!(b, b'\'' | b'"' | b'`') {
            let start = i + 1;
            i = start;
            while i < s.len() && s[i] != b && s[i] != b'\n' {
                i += if s[i] == b'\\' { 2 } else { 1 };
            }
            let end = i.min(s.len());
            out.push((Tok::Str(std::str::from_utf8(&s[start..end]).unwrap_or("")), depth));
            i = end + 1;
        } else if b.is_ascii_alphabetic() || b == b'_' || b == b'$' {
            let start = i;
            while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == b'_' || s[i] == b'$') {
                i += 1;
            }
            out.push((Tok::Ident(std::str::from_utf8(&s[start..i]).unwrap_or("")), depth));
        } else {
            if matches!(b, b')' | b']' | b'}') {
                depth = depth.saturating_sub(1);
            }
            out.push((Tok::Punct(b), depth));
            if matches!(b, b'(' | b'[' | b'{') {
                depth += 1;
            }
            i += 1;
        }
    }
    out
}

/// For each token, whether it sits inside a function body: a `{` right after the `)` of
/// `function (...)` / `function name(...)`, or after `=>`.
fn function_bodies(t: &[(Tok<'_>, u32)]) -> Vec<bool> {
    let mut out = Vec::with_capacity(t.len());
    let mut parens: Vec<usize> = Vec::new();
    let mut braces: Vec<bool> = Vec::new();
    let mut last_closed: Option<usize> = None;
    for (i, (tok, _)) in t.iter().enumerate() {
        let prev = |k: usize| i.checked_sub(k).map(|j| t[j].0);
        match tok {
            Tok::Punct(b'(') => parens.push(i),
            Tok::Punct(b')') => last_closed = parens.pop(),
            Tok::Punct(b'{') => {
                let after_params = prev(1) == Some(Tok::Punct(b')'))
                    && last_closed.is_some_and(|open| {
                        let before = |k: usize| open.checked_sub(k).map(|j| t[j].0);
                        before(1) == Some(Tok::Ident("function"))
                            || (matches!(before(1), Some(Tok::Ident(_))) && before(2) == Some(Tok::Ident("function")))
                    });
                let arrow = prev(1) == Some(Tok::Punct(b'>')) && prev(2) == Some(Tok::Punct(b'='));
                braces.push(after_params || arrow);
            }
            Tok::Punct(b'}') => {
                braces.pop();
            }
            _ => {}
        }
        out.push(braces.contains(&true));
    }
    out
}

/// The strings handed to an immediately invoked function: `}(...)` or `})(...)`.
fn iife_string_args<'a>(t: &[(Tok<'a>, u32)]) -> Vec<&'a str> {
    let mut out = Vec::new();
    for (i, &(tok, _)) in t.iter().enumerate() {
        if tok != Tok::Punct(b'}') {
            continue;
        }
        let open = match (t.get(i + 1).map(|x| x.0), t.get(i + 2).map(|x| x.0)) {
            (Some(Tok::Punct(b'(')), _) => i + 1,
            (Some(Tok::Punct(b')')), Some(Tok::Punct(b'('))) => i + 2,
            _ => continue,
        };
        let inside = t[open].1 + 1;
        for &(arg, depth) in &t[open + 1..] {
            match arg {
                Tok::Punct(b')') if depth < inside => break,
                Tok::Str(s) if depth == inside => out.push(s),
                _ => {}
            }
        }
    }
    out
}

fn is_ident(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_' || c == b'$')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$')
}

/// Globals the script defines or expects, which page code may call once it is gone:
/// `window.X` / `window['X']`, top-level `var X` and `function X`, `X = X || ...`,
/// `o.X = o.X || ...` and `o.X = function`, and, in `w[l] = w[l] || []` loaders, the names
/// passed as strings. `keep(name)` filters out names that are never globals.
pub(crate) fn globals_in(script: &[u8], keep: impl Fn(&str) -> bool) -> Vec<String> {
    let t = tokens(script);
    let tok = |i: usize| t.get(i).map(|x| x.0);
    let in_function = function_bodies(&t);
    let mut names: Vec<&str> = Vec::new();
    let mut indexed = false;
    for (i, &(token, depth)) in t.iter().enumerate() {
        let after_dot = i > 0 && tok(i - 1) == Some(Tok::Punct(b'.'));
        match token {
            Tok::Ident("window") => match (tok(i + 1), tok(i + 2)) {
                (Some(Tok::Punct(b'.')), Some(Tok::Ident(n))) => names.push(n),
                (Some(Tok::Punct(b'[')), Some(Tok::Str(n))) if tok(i + 3) == Some(Tok::Punct(b']')) => names.push(n),
                _ => {}
            },
            // `var` and function declarations are global outside function bodies (an `if` block
            // does not scope them); `let` and `const` only at the top level.
            Tok::Ident("var" | "function") if !in_function[i] => {
                if let Some(Tok::Ident(n)) = tok(i + 1) {
                    names.push(n);
                }
            }
            Tok::Ident("let" | "const") if depth == 0 => {
                if let Some(Tok::Ident(n)) = tok(i + 1) {
                    names.push(n);
                }
            }
            Tok::Ident(n) if tok(i + 1) == Some(Tok::Punct(b'=')) && tok(i + 2) != Some(Tok::Punct(b'=')) => {
                let or_self = tok(i + 3) == Some(Tok::Ident(n))
                    && tok(i + 4) == Some(Tok::Punct(b'|'))
                    && tok(i + 5) == Some(Tok::Punct(b'|'));
                let member_or_self = after_dot
                    && tok(i + 3) == Some(Tok::Punct(b'.'))
                    && tok(i + 4) == Some(Tok::Ident(n))
                    && tok(i + 5) == Some(Tok::Punct(b'|'));
                let member_fn = after_dot && tok(i + 2) == Some(Tok::Ident("function")) && !n.starts_with("on");
                if (or_self && !after_dot) || member_or_self || member_fn {
                    names.push(n);
                }
            }
            // `w[l]=w[l]||`: the global's name is one of the strings handed to the loader.
            Tok::Punct(b'[') => {
                if let (Some(Tok::Ident(_)), Some(Tok::Punct(b']')), Some(Tok::Punct(b'=')), Some(Tok::Ident(_))) =
                    (tok(i + 1), tok(i + 2), tok(i + 3), tok(i + 4))
                {
                    indexed = true;
                }
            }
            _ => {}
        }
    }
    if indexed {
        names.extend(iife_string_args(&t));
    }
    let mut out: Vec<String> = Vec::new();
    for n in names {
        if is_ident(n) && keep(n) && !out.iter().any(|o| o == n) && out.len() < MAX_NAMES {
            out.push(n.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globals(s: &str) -> Vec<String> {
        globals_in(s.as_bytes(), |n| !matches!(n, "script" | "head"))
    }

    #[test]
    fn urls_as_loaders_write_them() {
        let s = br#"e.src=document.location.protocol+"//script.crazyegg.com/pages/x.js?"+n;
            j.src='//www.googletagmanager.com/gtm.'+'js?id='+i; // see https://example.org/docs
            document.write('<scr'+'ipt src="https://tags.crwdcntrl.net/c/1/cc.js?ns=_cc1"></scr'+'ipt>');
            var a = "a // b"; u = 'http://counter.yadro.ru/hit?t42.11;r'
            // s.src = '//a.teads.tv/page/1/tag'; commented out: loads nothing"#;
        assert_eq!(
            urls_in(s),
            [
                "//script.crazyegg.com/pages/x.js?",
                "//www.googletagmanager.com/gtm.",
                "https://tags.crwdcntrl.net/c/1/cc.js?ns=_cc1",
                "http://counter.yadro.ru/hit?t42.11;r",
            ]
        );
        assert!(urls_in(b"x = '//localhost/x'; y = '//1.2'; z = 'a//b.c1'").is_empty());
    }

    #[test]
    fn globals_a_loader_leaves_for_page_code() {
        let quora = "!function(q,e,v,n,t,s){if(q.qp) return; n=q.qp=function(){n.queue.push(arguments)}; n.queue=[];t=document.createElement(e);t.src=v;}(window, 'script', 'https://a.quora.com/qevents.js');";
        assert_eq!(globals(quora), ["qp"]);
        let taboola = "window._taboola = window._taboola || []; _taboola.push({article:'auto'});";
        assert_eq!(globals(taboola), ["_taboola"]);
        let gtm = "(function(w,d,s,l,i){w[l]=w[l]||[];var f=d.getElementsByTagName(s)[0]})(window,document,'script','dataLayer','GTM-X1');";
        assert_eq!(globals(gtm), ["dataLayer"]);
        let snowplow = "(function(p,l,o,w,i){p[i]=p[i]||function(){}}(window,document,'script','//cdn.example/sp.js','snowplow')); snowplow('newTracker', 'sp1', 'c.example', {appId: 'x'});";
        assert_eq!(globals(snowplow), ["snowplow"], "the loader's name, not its calls' arguments");
        let top = "var googletag = googletag || {}; function loadHawk(src) { var inner = 1; } e.BOOMR=e.BOOMR||{}; s.onload=function(){};";
        let block = "if (!window.hasOwnProperty('nbcu')) { var nbcu = { tl: function () { var x = 1; } }; } (() => { var y; })();";
        assert_eq!(globals(block), ["hasOwnProperty", "nbcu"]);
        assert_eq!(globals(top), ["googletag", "loadHawk", "BOOMR"]);
        assert!(globals("if (a == b) { c = d || e }").is_empty());
    }

    #[test]
    fn whitespace_runs_count_once() {
        assert_eq!(squeezed_len(b"  a  \n\n  b  "), 3);
        assert_eq!(squeezed_len(b""), 0);
    }

    #[test]
    fn unterminated_input_is_harmless() {
        for s in ["'unterminated", "/* open", "window.", "window['x'", "var", "w[l]=", "\"//x.example"] {
            let _ = globals(s);
            let _ = urls_in(s.as_bytes());
        }
    }
}
