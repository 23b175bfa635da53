//! pixels.toml: what makes an image a tracking pixel when no host rule names it.

use super::error::{RuleError, line_of};
use super::rule_ref::RuleRef;
use super::source::RuleFile;
use serde::Deserialize;
use std::sync::Arc;
use toml::Spanned;

/// The pixel heuristic, with the rule lines it cites.
pub struct PixelRules {
    pub max_size: u32,
    pub hidden_styles: Vec<String>,
    pub beacon_hints: Vec<String>,
    pub size_rule: RuleRef,
    pub hidden_rule: RuleRef,
}

impl Default for PixelRules {
    /// No heuristic at all: nothing is a pixel unless a host rule says so.
    fn default() -> Self {
        PixelRules {
            max_size: 0,
            hidden_styles: Vec::new(),
            beacon_hints: Vec::new(),
            size_rule: RuleRef::builtin("pixel heuristic off"),
            hidden_rule: RuleRef::builtin("pixel heuristic off"),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PixelsFile {
    #[allow(dead_code)]
    format: Option<u32>,
    max_size: Spanned<u32>,
    hidden_styles: Spanned<Vec<String>>,
    beacon_hints: Vec<String>,
}

impl PixelRules {
    /// A pixels file replaces the settings before it (there is one heuristic, not a list).
    pub fn from_file(file: &RuleFile) -> Result<PixelRules, RuleError> {
        let p: PixelsFile = toml::from_str(&file.text).map_err(|e| RuleError::toml(&file.name, &file.text, &e))?;
        let source: Arc<str> = Arc::from(file.name.as_str());
        let size_line = line_of(&file.text, p.max_size.span().start);
        if *p.max_size.get_ref() > 2 {
            return Err(RuleError::invalid(
                &file.name,
                size_line,
                "max_size above 2 px would catch real icons; use 0, 1 or 2",
            ));
        }
        let hidden_line = line_of(&file.text, p.hidden_styles.span().start);
        let hidden_styles = p
            .hidden_styles
            .into_inner()
            .into_iter()
            .map(|s| s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase())
            .collect();
        let max_size = p.max_size.into_inner();
        Ok(PixelRules {
            max_size,
            hidden_styles,
            beacon_hints: p.beacon_hints.into_iter().map(|s| s.to_ascii_lowercase()).collect(),
            size_rule: RuleRef::new(&source, size_line, format!("heuristic: {max_size}x{max_size} image")),
            hidden_rule: RuleRef::new(&source, hidden_line, "heuristic: hidden beacon image"),
        })
    }

    /// Does this (lowercased, whitespace-free) inline style hide the element?
    pub fn style_hides(&self, style: &str) -> bool {
        self.hidden_styles.iter().any(|h| style.contains(h.as_str()))
    }

    /// Does the URL look like a beacon (a query, or a telling word in the path)?
    pub fn looks_like_beacon(&self, path_and_query: &str) -> bool {
        let lower = path_and_query.to_ascii_lowercase();
        self.beacon_hints.iter().any(|h| lower.contains(h.as_str()))
    }
}
