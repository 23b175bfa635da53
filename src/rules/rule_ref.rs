//! Who decided: a pointer to one rule, cited in every audit event.

use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// A rule's place (file:line) and text. Cheap to clone: events carry one each.
#[derive(Clone, PartialEq, Eq)]
pub struct RuleRef(Arc<RuleInfo>);

#[derive(Debug, PartialEq, Eq)]
struct RuleInfo {
    source: Arc<str>,
    line: usize,
    text: String,
}

impl RuleRef {
    pub fn new(source: &Arc<str>, line: usize, text: impl Into<String>) -> RuleRef {
        RuleRef(Arc::new(RuleInfo { source: source.clone(), line, text: text.into() }))
    }

    /// A built-in behaviour with no rule line (e.g. hyperlink-auditing pings).
    pub fn builtin(text: &str) -> RuleRef {
        RuleRef::new(&Arc::from("builtin"), 0, text)
    }

    pub fn source(&self) -> &str {
        &self.0.source
    }

    pub fn line(&self) -> usize {
        self.0.line
    }

    pub fn text(&self) -> &str {
        &self.0.text
    }

    /// `file:line`, or just the source for built-in behaviours.
    pub fn location(&self) -> String {
        self.place().to_string()
    }

    /// `location()` without building a String, to write into a longer line.
    pub fn place(&self) -> impl fmt::Display + '_ {
        Place(&self.0)
    }
}

struct Place<'a>(&'a RuleInfo);

impl fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.line {
            0 => f.write_str(&self.0.source),
            line => write!(f, "{}:{line}", self.0.source),
        }
    }
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.place(), self.0.text)
    }
}

impl fmt::Debug for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RuleRef({self})")
    }
}

impl Serialize for RuleRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Rule", 2)?;
        st.serialize_field("location", &self.location())?;
        st.serialize_field("text", &self.0.text)?;
        st.end()
    }
}
