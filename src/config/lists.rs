//! The `[lists]` settings: the list built into the binary (EasyPrivacy) on or off, kept fresh
//! by `serve` or not, and more lists to add. The older form, a top-level `lists = [...]` array,
//! still reads: it means `[lists] add = [...]` with the defaults for the rest.

use super::values::{self, ListSource};
use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Filter lists, with defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lists {
    /// Use the built-in list (EasyPrivacy).
    pub builtin: bool,
    /// `serve` refreshes the built-in list from its official address (other subscriptions are
    /// refreshed regardless).
    pub update: bool,
    /// More ABP lists: local files, or http(s) URLs subscribed to.
    pub add: Vec<ListSource>,
    /// Test hooks, set only by hidden flags (never from the file): where the built-in list is
    /// fetched from, and how long after start (and after a failed check) it is checked.
    pub builtin_url: Option<url::Url>,
    pub builtin_delay: Option<Duration>,
}

impl Default for Lists {
    fn default() -> Self {
        Lists { builtin: true, update: true, add: Vec::new(), builtin_url: None, builtin_delay: None }
    }
}

/// The `[lists]` table as written; its field names are the keys serde reports when one is
/// unknown.
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Table {
    builtin: bool,
    update: bool,
    #[serde(deserialize_with = "values::list_sources")]
    add: Vec<ListSource>,
}

impl Default for Table {
    fn default() -> Self {
        let d = Lists::default();
        Table { builtin: d.builtin, update: d.update, add: d.add }
    }
}

impl<'de> Deserialize<'de> for Lists {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ListsVisitor)
    }
}

struct ListsVisitor;

impl<'de> Visitor<'de> for ListsVisitor {
    type Value = Lists;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a [lists] table (builtin, update, add) or an array of list files and URLs")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Lists, A::Error> {
        let entries = Vec::<String>::deserialize(SeqAccessDeserializer::new(seq))?;
        let add =
            entries.iter().map(|s| ListSource::from_str(s).map_err(de::Error::custom)).collect::<Result<_, _>>()?;
        Ok(Lists { add, ..Lists::default() })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Lists, A::Error> {
        let t = Table::deserialize(MapAccessDeserializer::new(map))?;
        Ok(Lists { builtin: t.builtin, update: t.update, add: t.add, ..Lists::default() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Doc {
        lists: Lists,
    }

    fn parse(text: &str) -> Result<Lists, String> {
        toml::from_str::<Doc>(text).map(|d| d.lists).map_err(|e| e.to_string())
    }

    #[test]
    fn the_table_form_and_the_old_array_form_both_read() {
        let t =
            parse("[lists]\nbuiltin = false\nupdate = false\nadd = [\"a.txt\", \"https://x.test/l.txt\"]\n").unwrap();
        assert!(!t.builtin && !t.update);
        assert_eq!(t.add.len(), 2);
        assert!(matches!(t.add[1], ListSource::Url(_)));
        let old = parse("lists = [\"https://easylist.to/easylist/easyprivacy.txt\", \"/etc/l.txt\"]\n").unwrap();
        assert!(old.builtin && old.update, "the array form keeps the defaults");
        assert_eq!(old.add[1], ListSource::File("/etc/l.txt".into()));
        let partial = parse("[lists]\nupdate = false\n").unwrap();
        assert!(partial.builtin && !partial.update && partial.add.is_empty());
    }

    #[test]
    fn bad_entries_and_keys_say_what_to_write() {
        let e = parse("[lists]\nbuiltn = false\n").unwrap_err();
        assert!(e.contains("unknown field `builtn`") && e.contains("`builtin`"), "{e}");
        let e = parse("lists = [\"\"]\n").unwrap_err();
        assert!(e.contains("file path or an http(s) URL"), "{e}");
        let e = parse("[lists]\nadd = [\" \"]\n").unwrap_err();
        assert!(e.contains("file path or an http(s) URL"), "{e}");
        let e = parse("lists = 3\n").unwrap_err();
        assert!(e.contains("[lists] table"), "{e}");
        let e = parse("[lists]\nbuiltin = \"no\"\n").unwrap_err();
        assert!(e.contains("bool"), "{e}");
    }
}
