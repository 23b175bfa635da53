//! "Is this whole script just calls to these functions?" For event snippets such as
//! `fbq('track', 'PageView');`: a script that also does anything else is the site's own code
//! and must stay, however short it is.

/// True when `script` is one or more statements, each a call `name(...)` or
/// `window.name(...)` with `name` in `names`, separated by `;` or line breaks, with comments
/// and whitespace around them.
pub fn only_calls(script: &[u8], names: &[String]) -> bool {
    let mut i = skip_blank(script, 0);
    let mut calls = 0;
    while i < script.len() {
        let Some(end) = call_at(script, i, names) else {
            return false;
        };
        calls += 1;
        i = skip_blank(script, end);
        if script.get(i) == Some(&b';') {
            i = skip_blank(script, i + 1);
        }
    }
    calls > 0
}

/// The end of the call starting at `i`, if it is a call to one of `names`.
fn call_at(s: &[u8], i: usize, names: &[String]) -> Option<usize> {
    let rest = &s[i..];
    let rest = rest.strip_prefix(b"window.").unwrap_or(rest);
    let start = s.len() - rest.len();
    let name = names.iter().find(|n| rest.starts_with(n.as_bytes()))?;
    let open = skip_blank(s, start + name.len());
    (s.get(open) == Some(&b'(')).then_some(())?;
    close_of(s, open)
}

/// Given `(` at `open`, the index after its matching `)`, skipping strings and comments.
fn close_of(s: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < s.len() {
        match s[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < s.len() && s[i] != q {
                    i += if s[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if s.get(i + 1) == Some(&b'/') || s.get(i + 1) == Some(&b'*') => {
                i = skip_comment(s, i) - 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Skips whitespace, comments and the `<!--` / `-->` of old-style scripts.
fn skip_blank(s: &[u8], mut i: usize) -> usize {
    loop {
        while i < s.len() && s[i].is_ascii_whitespace() {
            i += 1;
        }
        let rest = &s[i.min(s.len())..];
        if rest.starts_with(b"//") || rest.starts_with(b"/*") {
            i = skip_comment(s, i);
        } else if rest.starts_with(b"<!--") {
            i += 4;
        } else if rest.starts_with(b"-->") {
            i += 3;
        } else {
            return i;
        }
    }
}

/// The index after the comment starting at `i` (`//` to the line's end, `/*` to `*/`).
fn skip_comment(s: &[u8], i: usize) -> usize {
    let rest = &s[i..];
    let end = if rest.starts_with(b"//") {
        rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len())
    } else {
        rest.windows(2).skip(2).position(|w| w == b"*/").map_or(rest.len(), |p| p + 4)
    };
    i + end
}

#[cfg(test)]
mod tests {
    use super::only_calls;

    fn fbq(s: &str) -> bool {
        only_calls(s.as_bytes(), &["fbq".to_string()])
    }

    #[test]
    fn event_calls_alone_are_a_snippet() {
        assert!(fbq("fbq('track', 'PageView');"));
        assert!(fbq("\n  fbq('init', '1234');\n  fbq('track', \"ViewContent\", {value: 1, ids: ['a)']})\n"));
        assert!(fbq("<!--\nwindow.fbq('track','Lead'); // conversion\n/* done */ -->"));
    }

    #[test]
    fn anything_else_is_the_sites_code() {
        assert!(!fbq(""));
        assert!(!fbq("fbq('track', 'PageView'); document.title = 'x';"));
        assert!(!fbq("ga('send', 'event'); fbq('track', 'ViewContent');"));
        assert!(!fbq("if (ok) fbq('track', 'Lead');"));
        assert!(!fbq("fbq('track', 'PageView'"), "unclosed");
        assert!(!fbq("fbqx('track')"));
    }
}
