//! Filter-list subscriptions, as ad blockers keep them: each URL in `lists` is downloaded
//! into `data_dir/lists/`, refreshed when its own `! Expires:` period runs out with a
//! conditional request (ETag / If-Modified-Since), checked before use (a real ABP list, not
//! an error page), and written atomically. A failed download keeps the last good copy.

mod meta;

pub use meta::{DEFAULT_EXPIRES, ListMeta, expires};

use crate::rules::is_network_filter;
use crate::rules::lists::ListHeader;
use crate::upstream::HttpClient;
use bytes::Bytes;
use http::{HeaderValue, Request, StatusCode, header};
use http_body_util::{BodyExt, Empty, Limited};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Larger than any real list (EasyList is ~2 MB), small enough to refuse a runaway body.
const MAX_LIST_BYTES: usize = 64 * 1024 * 1024;
const MAX_REDIRECTS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("{url}: download failed: {reason}")]
    Fetch { url: String, reason: String },
    #[error("{url}: the server answered {status}")]
    Status { url: String, status: StatusCode },
    #[error("{url}: not used, the last good copy stays: {reason}")]
    Invalid { url: String, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What a check did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Updated {
    /// A new copy was stored (with this many network filters).
    Downloaded(usize),
    /// The server said 304: the stored copy is current.
    NotModified,
    /// Not due yet: nothing was asked.
    Fresh,
}

/// What a list must be, besides valid ABP text, before a download replaces the stored copy
/// (the built-in list's subscription checks that it got EasyPrivacy, whole).
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// Its `! Title:`.
    pub title: Option<String>,
    /// At least this many network filters: fewer means a file cut short at its source.
    pub min_filters: usize,
}

impl Expect {
    fn check(&self, url: &url::Url, text: &str, filters: usize) -> Result<(), ListError> {
        let invalid = |reason: String| ListError::Invalid { url: url.to_string(), reason };
        if let Some(want) = &self.title {
            let got = ListHeader::read(text).title;
            if got.as_deref() != Some(want.as_str()) {
                return Err(invalid(format!("its title is {got:?}, not {want:?}")));
            }
        }
        if filters < self.min_filters {
            return Err(invalid(format!(
                "only {filters} network filters, fewer than the {} expected: a truncated file",
                self.min_filters
            )));
        }
        Ok(())
    }
}

/// Where subscribed lists live.
#[derive(Debug, Clone)]
pub struct ListStore {
    dir: PathBuf,
}

impl ListStore {
    pub fn new(data_dir: &Path) -> ListStore {
        ListStore { dir: data_dir.join("lists") }
    }

    /// `https://easylist.to/easylist/easyprivacy.txt` → `lists/easylist.to-easyprivacy.txt`.
    pub fn file_for(&self, url: &url::Url) -> PathBuf {
        let host = url.host_str().unwrap_or("list");
        let last = url.path_segments().and_then(|mut s| s.next_back()).filter(|s| !s.is_empty()).unwrap_or("list");
        let mut name: String = format!("{host}-{last}")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
            .collect();
        if !name.ends_with(".txt") {
            name.push_str(".txt");
        }
        self.dir.join(name)
    }

    pub fn meta_for(&self, url: &url::Url) -> PathBuf {
        let mut p = self.file_for(url).into_os_string();
        p.push(".meta.json");
        PathBuf::from(p)
    }

    pub fn meta(&self, url: &url::Url) -> Option<ListMeta> {
        ListMeta::read(&self.meta_for(url)).filter(|m| self.file_for(url).exists() && m.url == url.as_str())
    }

    /// When the next check of `url` is due (unix seconds; 0: now).
    pub fn next_due(&self, url: &url::Url) -> u64 {
        self.meta(url).map_or(0, |m| m.checked.saturating_add(m.expires_secs))
    }

    /// Checks one list: downloads it when due (or `force`), conditionally when a copy exists.
    pub async fn update(
        &self,
        client: &HttpClient<Empty<Bytes>>,
        url: &url::Url,
        force: bool,
        timeout: Duration,
    ) -> Result<Updated, ListError> {
        self.update_expecting(client, url, force, timeout, &Expect::default()).await
    }

    /// `update`, storing a download only if it also meets `expect`.
    pub async fn update_expecting(
        &self,
        client: &HttpClient<Empty<Bytes>>,
        url: &url::Url,
        force: bool,
        timeout: Duration,
        expect: &Expect,
    ) -> Result<Updated, ListError> {
        let old = self.meta(url);
        let now = unix_now();
        if !force && old.as_ref().is_some_and(|m| !m.due(now)) {
            return Ok(Updated::Fresh);
        }
        let fetched = tokio::time::timeout(timeout, fetch(client, url, old.as_ref())).await.map_err(|_| {
            ListError::Fetch { url: url.to_string(), reason: format!("no answer within {timeout:?}") }
        })??;
        let Some((text, etag, last_modified)) = fetched else {
            if let Some(mut m) = old {
                m.checked = now;
                self.write_meta(url, &m)?;
            }
            return Ok(Updated::NotModified);
        };
        let filters = check_list(url, &text)?;
        expect.check(url, &text, filters)?;
        let meta = ListMeta {
            url: url.to_string(),
            etag,
            last_modified,
            checked: now,
            expires_secs: expires(&text).as_secs(),
            filters,
        };
        write_atomic(&self.file_for(url), text.as_bytes())?;
        self.write_meta(url, &meta)?;
        Ok(Updated::Downloaded(filters))
    }

    fn write_meta(&self, url: &url::Url, meta: &ListMeta) -> Result<(), ListError> {
        let json = serde_json::to_vec_pretty(meta).unwrap_or_default();
        write_atomic(&self.meta_for(url), &json)
    }
}

/// GET, following redirects. None: 304 Not Modified.
async fn fetch(
    client: &HttpClient<Empty<Bytes>>,
    url: &url::Url,
    old: Option<&ListMeta>,
) -> Result<Option<(String, Option<String>, Option<String>)>, ListError> {
    let err = |reason: String| ListError::Fetch { url: url.to_string(), reason };
    let mut current = url.clone();
    for _ in 0..=MAX_REDIRECTS {
        let mut req = Request::get(current.as_str())
            .header(header::USER_AGENT, concat!("trackstrip/", env!("CARGO_PKG_VERSION")))
            .body(Empty::new())
            .map_err(|e| err(e.to_string()))?;
        if let Some(m) = old {
            let h = req.headers_mut();
            if let Some(v) = m.etag.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                h.insert(header::IF_NONE_MATCH, v);
            }
            if let Some(v) = m.last_modified.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                h.insert(header::IF_MODIFIED_SINCE, v);
            }
        }
        let resp = client.request(req).await.map_err(|e| err(crate::proxy::error_chain(&e)))?;
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED && old.is_some() {
            return Ok(None);
        }
        if status.is_redirection() {
            let loc = resp.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("");
            current = current.join(loc).map_err(|e| err(format!("bad redirect {loc:?}: {e}")))?;
            continue;
        }
        if status != StatusCode::OK {
            return Err(ListError::Status { url: url.to_string(), status });
        }
        let header_str =
            |name| resp.headers().get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_string);
        let (etag, last_modified) = (header_str(header::ETAG), header_str(header::LAST_MODIFIED));
        let body = Limited::new(resp.into_body(), MAX_LIST_BYTES)
            .collect()
            .await
            .map_err(|e| err(body_error(&*e)))?
            .to_bytes();
        let text = String::from_utf8(body.to_vec())
            .map_err(|_| ListError::Invalid { url: url.to_string(), reason: "not UTF-8 text".into() })?;
        return Ok(Some((text, etag, last_modified)));
    }
    Err(err(format!("more than {MAX_REDIRECTS} redirects")))
}

/// Why a body could not be read: too large, or the download broke off before its end (a
/// connection closed short of its Content-Length or last chunk).
fn body_error(e: &(dyn std::error::Error + Send + Sync + 'static)) -> String {
    if e.is::<http_body_util::LengthLimitError>() {
        return format!("larger than {} MiB", MAX_LIST_BYTES >> 20);
    }
    format!("the body was cut short, a truncated download ({})", crate::proxy::error_chain(e))
}

/// A list is used only if it is one: ABP-syntax text with network filters, not an HTML
/// error page served with 200. Returns the number of network filters.
pub fn check_list(url: &url::Url, text: &str) -> Result<usize, ListError> {
    let invalid = |reason: &str| ListError::Invalid { url: url.to_string(), reason: reason.to_string() };
    let head = text.trim_start().get(..text.trim_start().len().min(512)).unwrap_or("").to_ascii_lowercase();
    if head.starts_with('<') || head.contains("<html") || head.contains("<!doctype") {
        return Err(invalid("the server sent an HTML page, not a filter list"));
    }
    let filters = text.lines().filter(|l| is_network_filter(l)).count();
    if filters == 0 {
        return Err(invalid("no network filter in it: is this an ABP-syntax list?"));
    }
    Ok(filters)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ListError> {
    let io = |source| ListError::Io { path: path.to_path_buf(), source };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_the_url() {
        let store = ListStore::new(Path::new("/d"));
        let u = url::Url::parse("https://easylist.to/easylist/easyprivacy.txt").unwrap();
        assert_eq!(store.file_for(&u), Path::new("/d/lists/easylist.to-easyprivacy.txt"));
        assert_eq!(store.meta_for(&u), Path::new("/d/lists/easylist.to-easyprivacy.txt.meta.json"));
        let odd = url::Url::parse("http://127.0.0.1:8000/get?list=a b").unwrap();
        assert_eq!(store.file_for(&odd), Path::new("/d/lists/127.0.0.1-get.txt"));
    }

    #[test]
    fn only_real_lists_pass_the_check() {
        let u = url::Url::parse("https://x/l.txt").unwrap();
        assert_eq!(check_list(&u, "[Adblock Plus 2.0]\n! Title: t\n||tracker.example^\n/pixel.gif?\n").unwrap(), 2);
        assert!(check_list(&u, "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>").is_err());
        assert!(check_list(&u, "! only comments\n! here\n").is_err());
    }

    #[test]
    fn expectations_refuse_another_list_or_a_cut_one() {
        let u = url::Url::parse("https://x/l.txt").unwrap();
        let expect = Expect { title: Some("EasyPrivacy".into()), min_filters: 2 };
        let whole = "! Title: EasyPrivacy\n||a.example^\n||b.example^\n";
        expect.check(&u, whole, 2).unwrap();
        let e = expect.check(&u, "! Title: EasyList\n||a.example^\n||b.example^\n", 2).unwrap_err().to_string();
        assert!(e.contains("\"EasyList\"") && e.contains("last good copy"), "{e}");
        let e = expect.check(&u, "! Title: EasyPrivacy\n||a.example^\n", 1).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
    }
}
