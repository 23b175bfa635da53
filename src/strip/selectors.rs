//! The elements the stripper looks at. Kept in one place so the benchmark's floors
//! ("same selectors, empty handlers") match the real thing.

use lol_html::Selector;
use std::sync::OnceLock;

/// Selector and the handler it feeds.
pub const SELECTORS: &[(&str, Target)] = &[
    ("base[href]", Target::Base),
    ("img[src]", Target::Image),
    ("input[src]", Target::InputImage),
    ("script", Target::Script),
    ("iframe[src]", Target::Frame("iframe")),
    ("frame[src]", Target::Frame("frame")),
    ("embed[src]", Target::Embed),
    ("object[data]", Target::Object),
    ("link[href][rel]", Target::Link),
    ("noscript", Target::Noscript),
    ("a[ping]", Target::Ping("a")),
    ("area[ping]", Target::Ping("area")),
    ("a[href*=\"?\"]", Target::LinkParams("a")),
    ("area[href*=\"?\"]", Target::LinkParams("area")),
    ("form[action*=\"?\"]", Target::FormParams),
];

/// The selectors, parsed once per process (they are constants; a typo fails every test).
pub(crate) fn compiled() -> &'static [(Selector, Target)] {
    static COMPILED: OnceLock<Vec<(Selector, Target)>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        SELECTORS
            .iter()
            .map(|&(s, t)| (s.parse().unwrap_or_else(|e| panic!("built-in selector {s:?}: {e}")), t))
            .collect()
    })
}

/// What a selector feeds; tag names ride along where one handler serves several elements
/// (lol_html's `tag_name()` allocates a String each time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Base,
    Image,
    InputImage,
    Script,
    Frame(&'static str),
    Embed,
    Object,
    Link,
    Noscript,
    Ping(&'static str),
    LinkParams(&'static str),
    FormParams,
}

impl Target {
    /// What matters inside `<noscript>` (its content never runs, nor its scripts and bases).
    pub fn in_noscript(self) -> bool {
        !matches!(self, Target::Base | Target::Script | Target::Noscript | Target::FormParams)
    }
}

/// The end marker a nested (noscript) stripper is fed after each block.
pub(crate) fn sentinel() -> &'static Selector {
    static SENTINEL: OnceLock<Selector> = OnceLock::new();
    SENTINEL.get_or_init(|| {
        let s = format!("wbr[{}]", super::inline::SENTINEL_ATTR);
        s.parse().unwrap_or_else(|e| panic!("built-in selector {s:?}: {e}"))
    })
}
