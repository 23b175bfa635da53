//! social.toml: social widgets and embeds, which report every page view to their owners
//! whether or not the reader touches them. Widget scripts are disabled in place; embed frames
//! show a small script-free placeholder with a plain link to the content instead (a video:
//! a button that plays it from the platform's no-cookie player).

use super::error::{RuleError, line_of};
use super::glob::Glob;
use super::rule_ref::RuleRef;
use super::source::RuleFile;
use serde::Deserialize;
use std::sync::Arc;
use toml::Spanned;

/// A widget script or an embed frame, as its rule names it.
pub struct Social {
    pub name: Arc<str>,
    pub owner: Arc<str>,
    /// What the placeholder's link says: "View this post on Facebook".
    pub label: Box<str>,
    /// The query parameter that holds the content's address (Facebook's `href`); without
    /// one, the link goes to the embed's own address.
    pub link_param: Option<Box<str>>,
    /// For videos: the player to load on click, `https://www.youtube-nocookie.com{path}`.
    pub play: Option<Box<str>>,
    pub rule: RuleRef,
    urls: Vec<Glob>,
}

/// The compiled social rules.
#[derive(Default)]
pub struct SocialRules {
    widgets: Vec<Social>,
    embeds: Vec<Social>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SocialFile {
    #[allow(dead_code)]
    format: Option<u32>,
    #[serde(default)]
    widget: Vec<Spanned<Def>>,
    #[serde(default)]
    embed: Vec<Spanned<Def>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Def {
    name: String,
    owner: String,
    urls: Vec<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    link_param: Option<String>,
    #[serde(default)]
    play: Option<String>,
}

impl SocialRules {
    pub fn add_file(&mut self, file: &RuleFile) -> Result<(), RuleError> {
        let parsed: SocialFile = toml::from_str(&file.text).map_err(|e| RuleError::toml(&file.name, &file.text, &e))?;
        let source: Arc<str> = Arc::from(file.name.as_str());
        for (defs, embed) in [(parsed.widget, false), (parsed.embed, true)] {
            for def in defs {
                let line = line_of(&file.text, def.span().start);
                let d = def.into_inner();
                let bad = |m: &str| RuleError::invalid(&file.name, line, format!("{:?}: {m}", d.name));
                if d.urls.is_empty() {
                    return Err(bad("urls needs at least one entry"));
                }
                if let Some(u) = d.urls.iter().find(|u| u.contains("://") || !u.contains('/')) {
                    return Err(bad(&format!("url {u:?} must be host/path, without a scheme")));
                }
                if embed && d.label.is_none() {
                    return Err(bad("an embed needs a label (the placeholder's link text)"));
                }
                if let Some(p) = &d.play
                    && !(p.starts_with("https://") && p.contains("{path}"))
                {
                    return Err(bad("play must be an https:// address holding {path}"));
                }
                let social = Social {
                    rule: RuleRef::new(&source, line, d.urls.join(", ")),
                    urls: d.urls.iter().map(|u| Glob::new(&u.to_ascii_lowercase(), true)).collect(),
                    label: d.label.unwrap_or_default().into(),
                    link_param: d.link_param.map(Into::into),
                    play: d.play.map(Into::into),
                    name: d.name.into(),
                    owner: d.owner.into(),
                };
                if embed { self.embeds.push(social) } else { self.widgets.push(social) }
            }
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.widgets.len() + self.embeds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The widget a script at `host` + `path` (path and query) is.
    pub fn widget(&self, host: &str, path: &str) -> Option<&Social> {
        find(&self.widgets, host, path)
    }

    /// The embed a frame at `host` + `path` is.
    pub fn embed(&self, host: &str, path: &str) -> Option<&Social> {
        find(&self.embeds, host, path)
    }
}

fn find<'a>(rules: &'a [Social], host: &str, path: &str) -> Option<&'a Social> {
    if rules.is_empty() {
        return None;
    }
    let url = format!("{host}{path}").to_ascii_lowercase();
    rules.iter().find(|s| s.urls.iter().any(|g| g.is_match(url.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::source::RuleKind;

    fn parse(text: &str) -> Result<SocialRules, RuleError> {
        let mut r = SocialRules::default();
        r.add_file(&RuleFile { name: "s.toml".into(), kind: RuleKind::Social, text: text.into() }).map(|()| r)
    }

    #[test]
    fn widgets_and_embeds_are_found_by_host_and_path() {
        let r = parse(
            "[[widget]]\nname = \"Twitter widgets\"\nowner = \"X\"\nurls = [\"platform.twitter.com/widgets.js\"]\n\
             [[embed]]\nname = \"YouTube\"\nowner = \"Google\"\nurls = [\"www.youtube.com/embed/*\"]\n\
             label = \"Play\"\nplay = \"https://www.youtube-nocookie.com{path}\"\n",
        )
        .unwrap();
        assert_eq!(r.widget("platform.twitter.com", "/widgets.js").unwrap().rule.location(), "s.toml:1");
        assert!(r.widget("platform.twitter.com", "/oct.js").is_none());
        assert!(r.embed("www.youtube.com", "/embed/abc?rel=0").is_some());
        assert!(r.embed("www.youtube.com", "/watch?v=abc").is_none());
    }

    #[test]
    fn bad_rules_are_placed() {
        let e = parse("[[embed]]\nname = \"x\"\nowner = \"y\"\nurls = [\"a.example/e\"]\n").err().unwrap();
        assert_eq!(e.to_string(), "s.toml:1: \"x\": an embed needs a label (the placeholder's link text)");
        let e = parse("[[widget]]\nname = \"x\"\nowner = \"y\"\nurls = [\"https://a.example/w.js\"]\n").err().unwrap();
        assert!(e.to_string().contains("without a scheme"), "{e}");
    }
}
