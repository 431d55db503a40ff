"""Canonical URLs: one spelling per article, so "seen before" survives tracking tags."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

# Query parameters that only say where a click came from, never which article.
_TRACKERS = {
    "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "twclid", "igshid", "mc_cid", "mc_eid",
    "_ga", "_gl", "spm", "ncid", "cmpid", "ocid", "mkt_tok", "__twitter_impression", "wt.mc_id",
}
_TRACKER_PREFIXES = ("utm_",)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracker(key: str) -> bool:
    low = key.lower()
    return low in _TRACKERS or low.startswith(_TRACKER_PREFIXES)


def canonical_url(url: str) -> str:
    """Drop trackers, the fragment and default ports; lower-case scheme and host.

    Anything that is not an absolute http(s) URL comes back stripped but otherwise unchanged.
    """
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return url
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username:  # keep credentials only when present; rare in feeds
        cred = parts.username + (f":{parts.password}" if parts.password else "")
        netloc = f"{cred}@{netloc}"
    # Percent-encode raw non-ASCII (Korean paths) so both spellings compare equal.
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~-._")
    path = re.sub(r"/{2,}", "/", path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracker(k)]
    query_str = urlencode(query, doseq=True, safe="/:@!$'()*,;~") if query else ""
    return urlunsplit((scheme, netloc, path, query_str, ""))
