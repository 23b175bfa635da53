//! The page being stripped: its URL, its `<base>`, and its site (registrable domain),
//! which tells first-party resources from third-party ones.

use super::resource::{ResourceUrl, Written, classify_written, split_authority};
use std::borrow::Cow;
use url::Url;

#[derive(Debug, Clone)]
pub struct PageContext {
    url: Option<Url>,
    base: Option<Url>,
    host: String,
    site: String,
    /// `site` is a registrable domain (not a public suffix or an IP), so its subdomains share it.
    site_registrable: bool,
}

/// The registrable domain (eTLD+1) of a host; the host itself when it has none (IPs, localhost).
pub fn site_of(host: &str) -> &str {
    psl::domain_str(host).unwrap_or(host)
}

impl PageContext {
    /// A page whose address is known. Errors when `page_url` is not an http(s) URL.
    pub fn new(page_url: &str) -> Result<PageContext, String> {
        let url = Url::parse(page_url).map_err(|e| format!("page URL {page_url:?}: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("page URL {page_url:?} must be http or https"));
        }
        let host = url.host_str().unwrap_or("").trim_end_matches('.').to_ascii_lowercase();
        let registrable = psl::domain_str(&host);
        let site_registrable = registrable.is_some();
        let site = registrable.unwrap_or(&host).to_string();
        Ok(PageContext { base: Some(url.clone()), url: Some(url), host, site, site_registrable })
    }

    /// A page of unknown address: relative references are first-party, every other host third-party.
    pub fn unknown() -> PageContext {
        PageContext { url: None, base: None, host: String::new(), site: String::new(), site_registrable: false }
    }

    pub fn url(&self) -> Option<&Url> {
        self.url.as_ref()
    }

    pub fn url_str(&self) -> &str {
        self.url.as_ref().map_or("", |u| u.as_str())
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// `<base href>`: later relative references resolve against it.
    pub fn set_base(&mut self, href: &str) {
        let joined = match &self.url {
            Some(u) => u.join(href.trim()).ok(),
            None => Url::parse(href.trim()).ok(),
        };
        if let Some(b) = joined.filter(|b| matches!(b.scheme(), "http" | "https")) {
            self.base = Some(b);
        }
    }

    pub fn is_third_party(&self, host: &str) -> bool {
        self.party(host).0
    }

    /// Whether `host` is third-party to this page, and its site (registrable domain).
    pub fn party<'h>(&self, host: &'h str) -> (bool, &'h str) {
        if host.is_empty() {
            return (false, host);
        }
        if self.site.is_empty() {
            return (true, site_of(host));
        }
        // The page's own host, or a subdomain of its site: no public-suffix lookup needed.
        let own = host == self.host
            || (self.site_registrable
                && host.len() > self.site.len()
                && host.ends_with(self.site.as_str())
                && host.as_bytes()[host.len() - self.site.len() - 1] == b'.');
        if own && host.ends_with(self.site.as_str()) {
            return (false, &host[host.len() - self.site.len()..]);
        }
        let site = site_of(host);
        (site != self.site, site)
    }

    /// Resolves a reference as written in the page; None for non-network URLs.
    pub fn resolve<'a>(&self, raw: &'a str) -> Option<ResourceUrl<'a>> {
        match classify_written(raw) {
            Written::NotNetwork => None,
            Written::Absolute { scheme, rest } => {
                let scheme = scheme.unwrap_or_else(|| self.scheme());
                let (host, path) = split_authority(rest)?;
                Some(ResourceUrl { scheme, host, path })
            }
            Written::Relative(s) => {
                let base_host = self.base.as_ref().and_then(|b| b.host_str()).unwrap_or(&self.host);
                let host = Cow::Owned(base_host.to_ascii_lowercase());
                let no_frag = s.split('#').next().unwrap_or("");
                if no_frag.starts_with('/') {
                    return Some(ResourceUrl { scheme: self.scheme(), host, path: Cow::Borrowed(no_frag) });
                }
                let path = match &self.base {
                    Some(b) => {
                        let u = b.join(no_frag).ok()?;
                        let mut p = u.path().to_string();
                        if let Some(q) = u.query() {
                            p.push('?');
                            p.push_str(q);
                        }
                        p
                    }
                    None => format!("/{no_frag}"),
                };
                Some(ResourceUrl { scheme: self.scheme(), host, path: Cow::Owned(path) })
            }
        }
    }

    fn scheme(&self) -> &'static str {
        match self.base.as_ref().map(|b| b.scheme()) {
            Some("http") => "http",
            _ => "https",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn party_by_registrable_domain() {
        let p = PageContext::new("https://www.bbc.co.uk/news/1").unwrap();
        assert!(!p.is_third_party("static.bbc.co.uk"));
        assert!(p.is_third_party("bbc.com"));
        assert!(p.is_third_party("www.google-analytics.com"));
        assert!(!p.is_third_party(""));
        let u = PageContext::unknown();
        assert!(u.is_third_party("example.com"));
    }

    #[test]
    fn resolves_like_a_browser() {
        let mut p = PageContext::new("http://news.example/a/b.html").unwrap();
        let r = p.resolve("//cdn.example/x.js").unwrap();
        assert_eq!(r.to_url_string(), "http://cdn.example/x.js");
        let r = p.resolve("img/p.gif?x=1#f").unwrap();
        assert_eq!(r.to_url_string(), "http://news.example/a/img/p.gif?x=1");
        let r = p.resolve("/p.gif").unwrap();
        assert_eq!(r.to_url_string(), "http://news.example/p.gif");
        p.set_base("https://static.example/base/");
        let r = p.resolve("p.gif").unwrap();
        assert_eq!(r.to_url_string(), "https://static.example/base/p.gif");
        assert!(p.resolve("data:image/gif;base64,xx").is_none());
    }
}
