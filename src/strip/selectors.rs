//! The elements the stripper looks at. Kept in one place so the benchmark's floors
//! ("same selectors, empty handlers") match the real thing.

/// Selector and the handler it feeds.
pub const SELECTORS: &[(&str, Target)] = &[
    ("base[href]", Target::Base),
    ("img[src]", Target::Image),
    ("input[src]", Target::InputImage),
    ("script", Target::Script),
    ("iframe[src]", Target::Frame),
    ("frame[src]", Target::Frame),
    ("embed[src]", Target::Embed),
    ("object[data]", Target::Object),
    ("link[href][rel]", Target::Link),
    ("noscript", Target::Noscript),
    ("a[ping]", Target::Ping),
    ("area[ping]", Target::Ping),
    ("a[href*=\"?\"]", Target::LinkParams),
    ("area[href*=\"?\"]", Target::LinkParams),
    ("form[action*=\"?\"]", Target::FormParams),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Base,
    Image,
    InputImage,
    Script,
    Frame,
    Embed,
    Object,
    Link,
    Noscript,
    Ping,
    LinkParams,
    FormParams,
}
