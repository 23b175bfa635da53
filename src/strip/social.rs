//! Social widgets and embeds (`rules/social.toml`): a widget script is disabled where it
//! stands; an embed frame keeps its place and size but shows a script-free placeholder with
//! a plain link to the content (`srcdoc` wins over `src`, so the platform is never asked).

use super::state::State;
use crate::audit::{Action, AuditEvent, Party};
use crate::policy::{Reason, ResourceUrl, Verdict, decode_amp};
use crate::rules::{Category, Social};
use lol_html::send::Element;

impl State {
    /// A script whose `src` is a social widget: made inert (`type="text/plain"`).
    pub(crate) fn on_social_script(&mut self, el: &mut Element<'_, '_>) -> bool {
        if !self.opts.social {
            return false;
        }
        let ev = {
            let Some(raw) = el.get_attribute_cow("src") else { return false };
            let Some(res) = self.page.resolve(&raw) else { return false };
            let Some(widget) = self.rules.social.widget(&res.host, &res.path) else { return false };
            self.social_event("script", widget, &res, "disabled in place (type=text/plain)".into())
        };
        if self.opts.enforce
            && (el.set_attribute("type", "text/plain").is_err()
                || el.set_attribute("data-trackstrip", "social").is_err())
        {
            return false;
        }
        let offset = el.source_location().bytes().start;
        self.record(ev, offset);
        true
    }

    /// An `<iframe>` embedding a social post, video or comment thread: a placeholder instead.
    pub(crate) fn on_social_embed(&mut self, el: &mut Element<'_, '_>) -> bool {
        if !self.opts.social || el.has_attribute("srcdoc") {
            return false;
        }
        let (ev, doc) = {
            let Some(raw) = el.get_attribute_cow("src") else { return false };
            let Some(res) = self.page.resolve(&raw) else { return false };
            let Some(embed) = self.rules.social.embed(&res.host, &res.path) else { return false };
            let Some((link, play)) = link_for(embed, &res) else { return false };
            let ev = self.social_event("iframe", embed, &res, format!("placeholder linking to {link}"));
            (ev, placeholder(embed, &link, play))
        };
        if self.opts.enforce && el.set_attribute("srcdoc", &doc).is_err() {
            return false;
        }
        let offset = el.source_location().bytes().start;
        self.record(ev, offset);
        true
    }

    fn social_event(&self, tag: &str, s: &Social, res: &ResourceUrl<'_>, detail: String) -> AuditEvent {
        let v = Verdict {
            name: s.name.clone(),
            owner: s.owner.clone(),
            category: Category::Social,
            rule: s.rule.clone(),
            reason: Reason::Social,
        };
        let mut ev = AuditEvent::tracker(Action::Replace, tag, "src", &v);
        ev.party = if self.page.is_third_party(&res.host) { Party::Third } else { Party::First };
        ev.url = Some(decode_amp(&res.to_url_string()).into_owned());
        ev.host = Some(res.host.to_string());
        ev.detail = Some(detail);
        ev
    }
}

/// Where the placeholder leads: the content on the platform (a new tab), or for a video the
/// no-cookie player with autoplay (in the frame itself). None when no http(s) address results.
fn link_for(s: &Social, res: &ResourceUrl<'_>) -> Option<(String, bool)> {
    let src = decode_amp(&res.to_url_string()).into_owned();
    if let Some(player) = &s.play {
        let path = decode_amp(&res.path);
        let sep = if path.contains('?') { '&' } else { '?' };
        return Some((format!("{}{sep}autoplay=1", player.replace("{path}", &path)), true));
    }
    let from_param = s.link_param.as_ref().and_then(|name| {
        let url = url::Url::parse(&src).ok()?;
        let v = url.query_pairs().find(|(k, _)| k == name.as_ref())?.1.into_owned();
        url::Url::parse(&v).ok().filter(|u| matches!(u.scheme(), "http" | "https")).map(|_| v)
    });
    Some((from_param.unwrap_or(src), false))
}

/// The frame's document: the platform's name, why it is not shown, and the link. No script.
fn placeholder(s: &Social, link: &str, play: bool) -> String {
    let target = if play { "_self" } else { "_blank" };
    let inner = format!(
        "<!doctype html><meta charset=\"utf-8\"><style>html,body{{height:100%;margin:0}}\
         body{{display:flex;align-items:center;justify-content:center;box-sizing:border-box;padding:1em;\
         font:15px/1.45 system-ui,sans-serif;background:#f3f4f6;color:#1f2937;text-align:center;\
         border:1px solid #d1d5db}}a{{color:#1d4ed8;font-weight:600}}</style>\
         <p>{name} content is not loaded, so {owner} does not learn you read this page.<br>\
         <a href=\"{href}\" target=\"{target}\" rel=\"noopener noreferrer\">{label}</a></p>",
        name = escape(&s.name),
        owner = escape(&s.owner),
        href = escape(link),
        label = escape(&s.label),
    );
    // lol_html escapes the attribute's quotes but not `&`, which would otherwise be read as
    // the start of a character reference when the attribute is parsed.
    inner.replace('&', "&amp;")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}
