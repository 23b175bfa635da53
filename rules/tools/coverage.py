#!/usr/bin/env python3
"""Check rules/trackers.toml and measure how much of the dev corpus it covers.

Usage:
    python3 rules/tools/coverage.py [--rules FILE] [--labels FILE] [--collateral]

What it does:
  1. Validates trackers.toml (exit status 1 on any error):
     - top level has `format = 1` and a `version` string;
     - every [[tracker]] has non-empty name / owner / category strings, and
       category is one of the allowed set;
     - every tracker has at least one pattern (hosts, urls or paths), and no
       pattern string is empty;
     - hosts are lowercase bare host names (no scheme, port, path, wildcard);
     - no host appears twice, and no host sits under a host of another tracker
       (a suffix overlap would make attribution ambiguous);
     - urls look like "host/path" with a bare host; paths start with "/";
     - nothing matches the collateral probes below (CDNs, fonts, captchas,
       payment, consent, video, embeds, content paths that look tracker-ish).
  2. Applies the engine's matching semantics to every label in
     /work/shared/corpus/labels.jsonl with reason easyprivacy, pixel-1x1 or
     easylist, prints matched/total per reason and lists the unmatched
     easyprivacy / pixel-1x1 labels.
  3. With --collateral, also parses the corpus pages and lists resources the
     oracle did NOT flag that these rules would strip (possible collateral).

Matching semantics (kept identical to the Rust engine):
  - host: URL host lowercased, port dropped. Entry d matches host h when
    h == d or h ends with "." + d. Host rules apply to third-party resources
    only (registrable domain of resource != registrable domain of page).
  - urls "d/p": host matches d as above AND path+query (starting with "/")
    starts with p; "*" in p matches any run of characters. First and third party.
  - paths p: path+query contains p ("*" wildcard), any host, first party too.
  - subdomains l: the host's first label is l and the host is a subdomain of its
    registrable domain; first party too (checked after urls and paths).
  - a URL with an empty path (preconnect / dns-prefetch origins) has path "/".

Registrable domains come from the system public suffix list
(/usr/share/publicsuffix/public_suffix_list.dat, ICANN and private sections,
like the Rust psl crate) when present, else from a small built-in fallback.

Only the standard library is used (tomllib needs Python 3.11+).
"""

from __future__ import annotations

import argparse
import html.parser
import json
import os
import re
import signal
import sys
import tomllib
from collections import Counter, defaultdict
from urllib.parse import urljoin, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_RULES = os.path.normpath(os.path.join(HERE, "..", "trackers.toml"))
DEFAULT_LABELS = "/work/shared/corpus/labels.jsonl"
DEFAULT_PAGES = "/work/shared/corpus/pages"
PSL_FILES = (
    "/usr/share/publicsuffix/public_suffix_list.dat",
    "/usr/share/publicsuffix/effective_tld_names.dat",
)

CATEGORIES = {"analytics", "advertising", "social", "session-replay", "fingerprinting"}
REASONS = ("easyprivacy", "pixel-1x1", "easylist")
TRACKER_KEYS = {"name", "owner", "category", "hosts", "urls", "paths", "subdomains"}
LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
HOST_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")

# `paths` entries that would hit ordinary content URLs. A `paths` entry must not
# be one of these and must not be contained in (be a substring of) one of them.
GENERIC_PATHS = (
    "/track", "/tracking/", "/analytics/", "/analytics.js", "/stats/", "/stat/",
    "/pixel", "/pixel.gif", "/ads/", "/ad/", "/beacon", "/beacon.js", "/log",
    "/collect", "/event", "/p.gif", "/x.gif", "/c.gif", "/b.gif", "/g.gif",
    "/1x1.gif", "/counter", "/metrics", "/tag.js", "/tags/", "/prebid",
)

# Third-party URLs (page https://news.example/article) that must never match:
# content hosts, CDNs, fonts, captchas, payment, login, consent managers,
# comments, video players and embeds.
COLLATERAL_PROBES = (
    "https://www.google.com/recaptcha/api.js",
    "https://www.google.com/recaptcha/api2/anchor?k=x",
    "https://www.gstatic.com/recaptcha/releases/abc/recaptcha__en.js",
    "https://www.gstatic.com/images/branding/product/1x/googleg_48dp.png",
    "https://www.google.com/maps/embed?pb=!1m18",
    "https://www.google.com/search?q=tracker",
    "https://accounts.google.com/gsi/client",
    "https://apis.google.com/js/platform.js",
    "https://pay.google.com/gp/p/js/pay.js",
    "https://fonts.googleapis.com/css?family=Roboto",
    "https://fonts.gstatic.com/s/roboto/v30/KFOmCnqEu92Fr1Mu4mxK.woff2",
    "https://ajax.googleapis.com/ajax/libs/jquery/3.6.0/jquery.min.js",
    "https://maps.googleapis.com/maps/api/js?key=abc",
    "https://lh3.googleusercontent.com/abc=w1200",
    "https://imasdk.googleapis.com/js/sdkloader/ima3.js",
    "https://www.youtube.com/embed/dQw4w9WgXcQ",
    "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
    "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg",
    "https://player.vimeo.com/video/123456",
    "https://i.vimeocdn.com/video/123_640.jpg",
    "https://www.dailymotion.com/embed/video/x7abc",
    "https://players.brightcove.net/123/default_default/index.min.js",
    "https://cdn.jwplayer.com/libraries/abc.js",
    "https://fast.wistia.com/embed/medias/abc.jsonp",
    "https://w.soundcloud.com/player/?url=https%3A//api.soundcloud.com/tracks/1",
    "https://open.spotify.com/embed/track/abc",
    "https://i0.wp.com/news.example/wp-content/uploads/2019/11/photo.jpg",
    "https://i1.wp.com/news.example/wp-content/uploads/2019/11/photo.jpg",
    "https://s0.wp.com/wp-content/js/devicepx-jetpack.js",
    "https://s1.wp.com/wp-content/mu-plugins/carousel.css",
    "https://s.w.org/images/core/emoji/12.0.0-1/svg/1f600.svg",
    "https://secure.gravatar.com/avatar/abc?s=96",
    "https://platform.twitter.com/widgets.js",
    "https://platform.twitter.com/embed/Tweet.html?id=1",
    "https://pbs.twimg.com/media/abc.jpg",
    "https://abs.twimg.com/favicons/favicon.ico",
    "https://www.facebook.com/plugins/comments.php?href=x",
    "https://www.facebook.com/plugins/video.php?href=x",
    "https://www.facebook.com/translations/",
    "https://scontent.xx.fbcdn.net/v/t1/abc.jpg",
    "https://static.xx.fbcdn.net/rsrc.php/v3/abc.js",
    "https://www.instagram.com/embed.js",
    "https://www.tiktok.com/embed.js",
    "https://embed.reddit.com/widgets.js",
    "https://www.redditstatic.com/desktop2x/img/favicon/favicon-32x32.png",
    "https://i.redd.it/abc.jpg",
    "https://media.licdn.com/dms/image/abc/photo.jpg",
    "https://platform.linkedin.com/in.js",
    "https://s.pinimg.com/images/favicon_red_192.png",
    "https://i.pinimg.com/236x/ab/cd/abc.jpg",
    "https://assets.pinterest.com/js/pinit.js",
    "https://d1234abcd.cloudfront.net/images/photo.jpg",
    "https://s3.amazonaws.com/news-example-media/photo.jpg",
    "https://news-example.s3.amazonaws.com/photo.jpg",
    "https://images-na.ssl-images-amazon.com/images/I/abc.jpg",
    "https://m.media-amazon.com/images/I/abc.jpg",
    "https://a248.e.akamai.net/f/1/1/abc.jpg",
    "https://news.akamaized.net/photo.jpg",
    "https://abc.akamaihd.net/photo.jpg",
    "https://news.global.ssl.fastly.net/app.js",
    "https://cdn.jsdelivr.net/npm/jquery@3/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/lodash.js/4.17.21/lodash.min.js",
    "https://code.jquery.com/jquery-3.6.0.min.js",
    "https://unpkg.com/react@18/umd/react.production.min.js",
    "https://yastatic.net/jquery/3.3.1/jquery.min.js",
    "https://use.typekit.net/abc.css",
    "https://use.fontawesome.com/releases/v5.0.0/css/all.css",
    "https://cdn.ampproject.org/v0.js",
    "https://js.stripe.com/v3/",
    "https://checkout.stripe.com/checkout.js",
    "https://www.paypal.com/sdk/js?client-id=abc",
    "https://www.paypalobjects.com/api/checkout.js",
    "https://js.hcaptcha.com/1/api.js",
    "https://challenges.cloudflare.com/turnstile/v0/api.js",
    "https://cdn.cookielaw.org/scripttemplates/otSDKStub.js",
    "https://consent.cookiebot.com/uc.js",
    "https://cmp.quantcast.com/choice/abc/news.example/choice.js",
    "https://quantcast.mgr.consensu.org/cmp.js",
    "https://fundingchoicesmessages.google.com/i/pub-123?ers=1",
    "https://newsexample.disqus.com/embed.js",
    "https://c.disquscdn.com/next/embed/common.bundle.js",
    "https://cdn.embedly.com/widgets/platform.js",
    "https://c.s-microsoft.com/en-us/CMSImages/abc.png",
    "https://www.bing.com/maps/embed?h=400",
    "https://gdb.rferl.org/abc_w1200.jpg",
    "https://platform-api.sharethis.com/js/sharethis.js#property=abc&product=gdpr-compliance-tool",
    "https://img.en25.com/EloquaImages/clients/Example/{abc}_hero.png",
    "https://js.hsforms.net/forms/v2.js",
    "https://use.typekit.net/af/abc/00000000000000000001/27/l?primer=abc&fvd=n4&v=3",
)

# First-party URLs on https://news.example/ that look tracker-ish but are content.
CONTENT_PATH_PROBES = (
    "https://news.example/track/123-new-song",
    "https://news.example/tracks/album.jpg",
    "https://news.example/analytics/report-2019.html",
    "https://news.example/stats/2019-season.png",
    "https://news.example/images/pixel-art.png",
    "https://news.example/ads/how-to-buy-ads.jpg",
    "https://news.example/wp-content/uploads/2019/11/beacon-hill.jpg",
    "https://news.example/wp-content/uploads/2019/11/universal-analytics-guide.png",
    "https://news.example/blog/google-universal-analytics-tips/hero.jpg",
    "https://news.example/static/js/tracking-consent.js",
    "https://news.example/img/logo.gif?v=2",
    "https://news.example/assets/collect.css",
    "https://news.example/utag/readme.txt",
    "https://news.example/photos/adsct-building.jpg",
)


# --------------------------------------------------------------------------
# Public suffix list / registrable domain
# --------------------------------------------------------------------------

class PublicSuffixList:
    FALLBACK = """
    com net org edu gov info io co uk jp de fr ru ca in au br it nl es ch se no pl
    co.uk org.uk ac.uk gov.uk com.au net.au org.au co.jp ne.jp or.jp co.in com.br
    com.mx co.nz co.za com.tr com.cn com.tw com.sg com.hk co.kr
    cloudfront.net s3.amazonaws.com *.compute.amazonaws.com github.io
    blogspot.com herokuapp.com netlify.app vercel.app pages.dev
    """

    def __init__(self) -> None:
        self.rules: set[str] = set()
        self.wildcards: set[str] = set()
        self.exceptions: set[str] = set()
        self.source = "built-in fallback"
        text = None
        for path in PSL_FILES:
            if os.path.exists(path):
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
                self.source = path
                break
        if text is None:
            text = "\n".join(self.FALLBACK.split())
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("//"):
                continue
            rule = line.split()[0].lower()
            if rule.startswith("!"):
                self.exceptions.add(rule[1:])
            elif rule.startswith("*."):
                self.wildcards.add(rule[2:])
            else:
                self.rules.add(rule)

    def public_suffix_len(self, labels: list[str]) -> int:
        """Number of trailing labels forming the public suffix."""
        best = 1  # implicit "*" rule
        n = len(labels)
        for i in range(n):
            cand = ".".join(labels[i:])
            size = n - i
            if cand in self.exceptions:
                return size - 1
            if cand in self.rules:
                best = max(best, size)
            if i > 0 and cand in self.wildcards:
                best = max(best, size + 1)
        return best

    def registrable(self, host: str) -> str:
        host = host.strip(".").lower()
        if not host or re.fullmatch(r"[0-9.]+|\[.*\]", host):
            return host
        labels = host.split(".")
        ps = self.public_suffix_len(labels)
        if ps >= len(labels):
            return host  # the host is itself a public suffix
        return ".".join(labels[-(ps + 1):])


# --------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------

def wildcard_regex(pattern: str, anchored: bool) -> re.Pattern[str]:
    body = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.compile(("^" if anchored else "") + body, re.DOTALL)


def host_matches(host: str, d: str) -> bool:
    return host == d or host.endswith("." + d)


class Rule:
    __slots__ = ("kind", "text", "tracker", "host", "regex")

    def __init__(self, kind: str, text: str, tracker: dict, host: str = "", regex=None):
        self.kind, self.text, self.tracker, self.host, self.regex = kind, text, tracker, host, regex


class RuleSet:
    def __init__(self, trackers: list[dict]) -> None:
        self.host_rules: list[Rule] = []
        self.url_rules: list[Rule] = []
        self.path_rules: list[Rule] = []
        self.subdomain_rules: list[Rule] = []
        for t in trackers:
            for l in t.get("subdomains", []) or []:
                if isinstance(l, str) and l:
                    self.subdomain_rules.append(Rule("subdomains", l, t, host=l))
            for h in t.get("hosts", []) or []:
                if isinstance(h, str) and h:
                    self.host_rules.append(Rule("hosts", h, t, host=h))
            for u in t.get("urls", []) or []:
                if isinstance(u, str) and "/" in u:
                    d, p = u.split("/", 1)
                    self.url_rules.append(Rule("urls", u, t, host=d, regex=wildcard_regex("/" + p, True)))
            for p in t.get("paths", []) or []:
                if isinstance(p, str) and p:
                    self.path_rules.append(Rule("paths", p, t, regex=wildcard_regex(p, False)))

    def match(self, url: str, page_url: str, psl: PublicSuffixList) -> Rule | None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if not host:
            return None
        pathq = parts.path or "/"
        if parts.query:
            pathq += "?" + parts.query
        page_host = (urlsplit(page_url).hostname or "").lower()
        third_party = psl.registrable(host) != psl.registrable(page_host)
        if third_party:
            for r in self.host_rules:
                if host_matches(host, r.host):
                    return r
        for r in self.url_rules:
            if host_matches(host, r.host) and r.regex.match(pathq):
                return r
        for r in self.path_rules:
            if r.regex.search(pathq):
                return r
        site = psl.registrable(host)
        if host != site and host.endswith("." + site):
            for r in self.subdomain_rules:
                if host.split(".", 1)[0] == r.host:
                    return r
        return None


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------

def validate(doc: dict, psl: PublicSuffixList) -> tuple[list[str], list[str]]:
    errors: list[str] = []
    warnings: list[str] = []
    if doc.get("format") != 1:
        errors.append("top level: `format` must be 1")
    if not isinstance(doc.get("version"), str) or not doc.get("version"):
        errors.append("top level: `version` must be a non-empty string")
    extra = set(doc) - {"format", "version", "tracker"}
    if extra:
        errors.append(f"top level: unknown keys {sorted(extra)}")
    trackers = doc.get("tracker")
    if not isinstance(trackers, list) or not trackers:
        errors.append("no [[tracker]] entries")
        return errors, warnings

    host_owner: dict[str, str] = {}
    names: Counter[str] = Counter()
    for i, t in enumerate(trackers):
        label = f"tracker #{i + 1} ({t.get('name', '?')})"
        unknown = set(t) - TRACKER_KEYS
        if unknown:
            errors.append(f"{label}: unknown keys {sorted(unknown)}")
        for key in ("name", "owner", "category"):
            v = t.get(key)
            if not isinstance(v, str) or not v.strip():
                errors.append(f"{label}: missing or empty `{key}`")
        names[t.get("name", "")] += 1
        if t.get("category") not in CATEGORIES:
            errors.append(f"{label}: category {t.get('category')!r} not in {sorted(CATEGORIES)}")
        total = 0
        for key in ("hosts", "urls", "paths", "subdomains"):
            v = t.get(key, [])
            if not isinstance(v, list):
                errors.append(f"{label}: `{key}` must be an array")
                continue
            for s in v:
                if not isinstance(s, str) or not s.strip():
                    errors.append(f"{label}: empty or non-string entry in `{key}`")
                else:
                    total += 1
        if total == 0:
            errors.append(f"{label}: no patterns (needs hosts, urls, paths or subdomains)")

        for l in t.get("subdomains", []) or []:
            if isinstance(l, str) and l and not LABEL_RE.match(l):
                errors.append(f"{label}: subdomain {l!r} must be one lowercase DNS label")

        for h in t.get("hosts", []) or []:
            if not isinstance(h, str) or not h:
                continue
            if h != h.lower():
                errors.append(f"{label}: host {h!r} is not lowercase")
            if "://" in h or "/" in h or ":" in h or "*" in h or h.startswith("."):
                errors.append(f"{label}: host {h!r} must be a bare host name (no scheme, path, port, wildcard)")
            elif not HOST_RE.match(h.lower()):
                errors.append(f"{label}: host {h!r} is not a valid host name")
            if psl.registrable(h) == h and psl.public_suffix_len(h.split(".")) >= len(h.split(".")):
                errors.append(f"{label}: host {h!r} is a public suffix")
            if h in host_owner:
                errors.append(f"{label}: duplicate host {h!r} (also in {host_owner[h]})")
            else:
                host_owner[h] = t.get("name", "?")

        for u in t.get("urls", []) or []:
            if not isinstance(u, str) or not u:
                continue
            if "://" in u:
                errors.append(f"{label}: url {u!r} must not have a scheme")
                continue
            if "/" not in u:
                errors.append(f"{label}: url {u!r} must be host/path")
                continue
            d, p = u.split("/", 1)
            if d != d.lower() or not HOST_RE.match(d):
                errors.append(f"{label}: url {u!r} has an invalid or non-lowercase host")
            if not p:
                errors.append(f"{label}: url {u!r} has an empty path (use `hosts` instead)")

        for p in t.get("paths", []) or []:
            if not isinstance(p, str) or not p:
                continue
            if not p.startswith("/"):
                errors.append(f"{label}: path {p!r} must start with '/'")
            if len(p.replace("*", "")) < 7:
                errors.append(f"{label}: path {p!r} is too short to be specific")
            for g in GENERIC_PATHS:
                if p.rstrip("*") == g or p in g:
                    errors.append(f"{label}: path {p!r} is too generic (matches {g!r})")

    for name, n in names.items():
        if n > 1:
            errors.append(f"duplicate tracker name {name!r}")

    # Suffix overlaps between listed hosts.
    hosts = sorted(host_owner)
    hostset = set(hosts)
    for h in hosts:
        labels = h.split(".")
        for i in range(1, len(labels) - 1):
            parent = ".".join(labels[i:])
            if parent in hostset:
                if host_owner[parent] != host_owner[h]:
                    errors.append(f"host {h!r} ({host_owner[h]}) lies under {parent!r} ({host_owner[parent]})")
                else:
                    warnings.append(f"host {h!r} is redundant with {parent!r} in {host_owner[h]}")

    # Collateral probes.
    rules = RuleSet(trackers)
    for url in COLLATERAL_PROBES:
        r = rules.match(url, "https://news.example/article", psl)
        if r is not None:
            errors.append(f"collateral: {url} would be stripped by {r.kind} {r.text!r} ({r.tracker.get('name')})")
    for url in CONTENT_PATH_PROBES:
        r = rules.match(url, "https://news.example/article", psl)
        if r is not None:
            errors.append(f"collateral: {url} would be stripped by {r.kind} {r.text!r} ({r.tracker.get('name')})")
    return errors, warnings


# --------------------------------------------------------------------------
# Corpus
# --------------------------------------------------------------------------

def load_labels(path: str) -> tuple[list[dict], dict[str, str]]:
    labels, page_urls = [], {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            d = json.loads(line)
            if d.get("kind") == "summary":
                page_urls[d["page"]] = d["page_url"]
            elif "reason" in d:
                labels.append(d)
    return labels, page_urls


class ResourceCollector(html.parser.HTMLParser):
    """Collects the resource URLs the oracle examines (see SOURCES.md)."""

    LINK_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "preconnect", "dns-prefetch"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.found: list[tuple[str, str, str]] = []  # (tag, raw, kind)

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "base" and a.get("href") and self.base is None:
            self.base = a["href"]
        if tag in ("img", "source"):
            if a.get("src", "").strip():
                self.found.append((tag, a["src"].strip(), "url"))
            elif a.get("srcset", "").strip():
                # First candidate: the URL runs to the first whitespace.
                first = a["srcset"].strip().split()[0].rstrip(",")
                self.found.append((tag, first, "url"))
        elif tag in ("script", "iframe", "frame", "embed") and a.get("src"):
            self.found.append((tag, a["src"], "url"))
        elif tag == "link" and a.get("href"):
            rels = set(a.get("rel", "").lower().split())
            if rels & {"preconnect", "dns-prefetch"}:
                self.found.append((tag, a["href"], "origin"))
            elif rels & self.LINK_RELS:
                self.found.append((tag, a["href"], "url"))
        elif tag == "object" and a.get("data"):
            self.found.append((tag, a["data"], "url"))
        elif tag == "video" and a.get("poster"):
            self.found.append((tag, a["poster"], "url"))
        elif tag == "input" and a.get("type", "").lower() == "image" and a.get("src"):
            self.found.append((tag, a["src"], "url"))
        elif tag == "a" and a.get("ping"):
            self.found.append((tag, a["ping"].split()[0], "url"))


def collateral(rules: RuleSet, labels: list[dict], page_urls: dict[str, str],
               pages_dir: str, psl: PublicSuffixList) -> list[tuple[str, str, str]]:
    flagged = defaultdict(set)
    for d in labels:
        if d.get("url"):
            flagged[d["page"]].add(d["url"])
    out = []
    for page, page_url in sorted(page_urls.items()):
        path = os.path.join(pages_dir, page + ".html")
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        p = ResourceCollector()
        try:
            p.feed(text)
        except Exception:  # html.parser is lenient; be safe on odd bytes
            pass
        base = urljoin(page_url, p.base) if p.base else page_url
        for tag, raw, kind in p.found:
            raw = raw.strip()
            if raw.startswith(("data:", "javascript:", "about:", "blob:")):
                continue
            url = urljoin(base, raw)
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                continue
            # Labels store the resolved URL with the host lower-cased; origins
            # (preconnect / dns-prefetch) are matched with path "/".
            norm = url.replace(parts.netloc, parts.netloc.lower(), 1)
            if norm in flagged[page] or url in flagged[page]:
                continue
            if kind == "origin":
                url = f"{parts.scheme}://{parts.hostname}/"
            r = rules.match(url, page_url, psl)
            if r is not None:
                out.append((page, url, f"{r.kind} {r.text!r} ({r.tracker.get('name')})"))
    return out


# --------------------------------------------------------------------------

def main() -> int:
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet exit when piped to head
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rules", default=DEFAULT_RULES)
    ap.add_argument("--labels", default=DEFAULT_LABELS)
    ap.add_argument("--pages", default=DEFAULT_PAGES)
    ap.add_argument("--collateral", action="store_true",
                    help="also list unflagged corpus resources these rules would strip")
    ap.add_argument("--show-easylist", action="store_true",
                    help="also list unmatched easylist labels")
    args = ap.parse_args()

    psl = PublicSuffixList()
    with open(args.rules, "rb") as fh:
        try:
            doc = tomllib.load(fh)
        except tomllib.TOMLDecodeError as e:
            print(f"error: {args.rules}: {e}")
            return 1

    errors, warnings = validate(doc, psl)
    trackers = doc.get("tracker", []) if isinstance(doc.get("tracker"), list) else []
    n_hosts = sum(len(t.get("hosts", []) or []) for t in trackers)
    n_urls = sum(len(t.get("urls", []) or []) for t in trackers)
    n_paths = sum(len(t.get("paths", []) or []) for t in trackers)
    cats = Counter(t.get("category") for t in trackers)
    print(f"rules: {args.rules}")
    print(f"  {len(trackers)} trackers, {n_hosts} hosts, {n_urls} urls, {n_paths} paths")
    print("  by category: " + ", ".join(f"{k} {v}" for k, v in sorted(cats.items(), key=lambda x: str(x[0]))))
    print(f"  public suffix list: {psl.source}")
    for w in warnings:
        print(f"warning: {w}")
    for e in errors:
        print(f"error: {e}")
    print(f"validation: {'FAILED' if errors else 'ok'} ({len(errors)} errors, {len(warnings)} warnings)")

    if not os.path.exists(args.labels):
        print(f"labels file {args.labels} not found; skipping coverage")
        return 1 if errors else 0

    rules = RuleSet(trackers)
    labels, page_urls = load_labels(args.labels)
    matched: Counter[str] = Counter()
    total: Counter[str] = Counter()
    unmatched: dict[str, list[dict]] = defaultdict(list)
    by_tracker: Counter[str] = Counter()
    for d in labels:
        reason = d["reason"]
        if reason not in REASONS or not d.get("url"):
            continue
        total[reason] += 1
        page_url = page_urls.get(d["page"], "")
        r = rules.match(d["url"], page_url, psl)
        if r is not None:
            matched[reason] += 1
            by_tracker[r.tracker.get("name", "?")] += 1
        else:
            unmatched[reason].append(d)

    print("\ncoverage (matched/total):")
    for reason in REASONS:
        t = total[reason]
        pct = 100.0 * matched[reason] / t if t else 0.0
        print(f"  {reason:<12} {matched[reason]:>4}/{t:<4} {pct:6.2f}%")
    ep = matched["easyprivacy"] + matched["pixel-1x1"]
    et = total["easyprivacy"] + total["pixel-1x1"]
    print(f"  {'easyprivacy+pixel-1x1':<12} {ep}/{et} {100.0 * ep / et if et else 0:6.2f}%")

    show = ["easyprivacy", "pixel-1x1"] + (["easylist"] if args.show_easylist else [])
    for reason in show:
        if unmatched[reason]:
            print(f"\nunmatched {reason} labels ({len(unmatched[reason])}):")
            for d in unmatched[reason]:
                print(f"  {d['host']:<40} {d['url'][:140]}  [{d['page']}]")

    print("\ntop matching trackers:")
    for name, n in by_tracker.most_common(15):
        print(f"  {n:>4}  {name}")

    if args.collateral:
        hits = collateral(rules, labels, page_urls, args.pages, psl)
        print(f"\npossible collateral: {len(hits)} unflagged corpus resources matched")
        for page, url, why in hits:
            print(f"  {url[:120]}  <- {why}  [{page}]")

    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
