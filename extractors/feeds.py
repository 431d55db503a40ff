"""From feed bytes to frozen `Entry` models: encoding, dates and identity done right.

feedparser does the XML (RSS, Atom, RDF, and its forgiving parser for broken
feeds) but never the network, the encoding or the dates: the bytes are decoded
here (extractors.encoding) and handed over re-encoded as UTF-8, and dates are
parsed from the raw strings (extractors.dates) because feedparser's parsed
dates ignore KST and misread Korean formats.
"""
from __future__ import annotations

import hashlib
import html
import io
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import feedparser

from extractors.dates import parse_date
from extractors.encoding import as_utf8_document, decode_feed_full
from extractors.errors import FeedError
from extractors.urls import canonical_url
from newswatch.models import Entry

log = logging.getLogger("newswatch.feeds")

_FEED_ROOT = re.compile(r"<(?:[\w-]+:)?(rss|feed|rdf|RDF|channel)[\s>/]", re.I)
_HTML_ROOT = re.compile(r"^\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html[\s>])", re.I | re.S)
_DOCTYPE_WITH_ENTITIES = re.compile(r"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"<\s*(?:br|/p|/div|/li|/h\d)\b[^>]*>", re.I)
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)
_DATE_KEYS = ("published", "pubdate", "issued", "created", "dc_date", "date", "updated", "modified")


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    entries: tuple[Entry, ...]
    encoding: str
    warnings: tuple[str, ...] = ()
    link: str = ""


def plain_text(value: str | None) -> str:
    """HTML fragment to one line of text (feed titles and summaries are often HTML)."""
    if not value:
        return ""
    text = _SCRIPT.sub(" ", value)
    text = _BLOCK.sub(" ", text)
    text = _TAG.sub("", text)
    text = html.unescape(text).replace("\u00a0", " ")
    return " ".join(text.split())


def _strip_entity_declarations(text: str, warnings: list[str]) -> str:
    """Remove an internal DTD subset: entity declarations are how XML bombs expand."""
    if "<!ENTITY" not in text.upper():
        return text
    warnings.append("the feed declares XML entities (a possible entity-expansion bomb); the DTD was removed")
    return _DOCTYPE_WITH_ENTITIES.sub("", text, count=1)


def _raw_date(entry: dict, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        # dict.get bypasses feedparser's aliases ("updated" silently falling back to "published")
        value = dict.get(entry, key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _link(entry: dict, guid: str | None) -> str:
    link = (entry.get("link") or "").strip()
    if not link.lower().startswith(("http://", "https://")):
        for alt in entry.get("links") or ():
            href = (alt.get("href") or "").strip()
            if href.lower().startswith(("http://", "https://")) and alt.get("rel", "alternate") == "alternate":
                return href
        if guid and guid.lower().startswith(("http://", "https://")):
            return guid  # e.g. <link>undefined</link> with a permalink guid
    return link


def _entry(raw: dict, feed_name: str, default_tz: ZoneInfo, now: datetime, problems: dict[str, int],
           base_url: str | None = None) -> Entry | None:
    guid = (raw.get("id") or "").strip() or None
    link = _link(raw, guid)
    if link and base_url and not link.lower().startswith(("http://", "https://")) and link.lower() != "undefined":
        link = urljoin(base_url, link)
    if not link and not guid:
        # Kept, not dropped: identified by its text (see entry_identity); the pipeline decides what to do.
        problems["entry without link or guid (identified by its title)"] = \
            problems.get("entry without link or guid (identified by its title)", 0) + 1
    canon = canonical_url(link) if link else ""
    raw_published = _raw_date(raw, _DATE_KEYS)
    published = parse_date(raw_published, default_tz)
    if raw_published and published is None:
        problems["unreadable date"] = problems.get("unreadable date", 0) + 1
    updated = parse_date(_raw_date(raw, ("updated", "modified")), default_tz)
    summary = raw.get("summary") or ""
    if not summary and raw.get("content"):
        summary = raw["content"][0].get("value") or ""
    return Entry(
        feed=feed_name,
        guid=guid,
        link=link,
        canonical_url=canon or (guid or ""),
        title=plain_text(raw.get("title")),
        summary=plain_text(summary),
        published=published or now,
        published_is_fallback=published is None,
        updated=updated,
        author=plain_text(raw.get("author")) or None,
    )


def entry_identity(entry: Entry) -> str:
    """The entry's key in the state (unique per feed): the GUID when the feed gives one, else the
    canonical URL; an entry with neither is known by a hash of its title and summary.

    "Seen before" checks this key *and* `url_identity`: an entry whose GUID changed while its
    link stayed the same is known (see `state.entries.EntryRepo.record_new_in`).
    """
    if entry.guid or entry.canonical_url:
        return entry.guid or entry.canonical_url
    digest = hashlib.sha1(f"{entry.title}\n{entry.summary}".encode("utf-8")).hexdigest()
    return f"text:{digest}"


def url_identity(entry: Entry) -> str | None:
    """The canonical URL when it can identify an article, else None.

    A link to a site's front page ("https://news.example.kr/") says nothing about which item it is
    (feeds that link every item to the home page exist), so it never identifies an entry.
    """
    url = entry.canonical_url
    if not url or not url.lower().startswith(("http://", "https://")):
        return None
    parts = urlsplit(url)
    if parts.path in ("", "/") and not parts.query:
        return None
    return url


def parse_feed(content: bytes, *, feed_name: str, content_type: str | None, default_tz: ZoneInfo,
               now: datetime, encoding_override: str | None = None, base_url: str | None = None) -> ParsedFeed:
    """Parse feed bytes into entries; raises FeedError(empty | not_a_feed | parse_error)."""
    if not content or not content.strip():
        raise FeedError("the feed is empty (no bytes)", kind="empty")
    decoded = decode_feed_full(content, content_type, encoding_override)
    warnings = list(decoded.warnings)
    text = decoded.text
    if not _FEED_ROOT.search(text[:20000]):
        what = "an HTML page" if _HTML_ROOT.match(text) else "not RSS, Atom or RDF"
        raise FeedError(f"this is {what}, not a feed", kind="not_a_feed")
    text = _strip_entity_declarations(text, warnings)
    # No content-location: feedparser would then rewrite every URL it sees (slow); links are joined in _entry.
    headers = {"content-type": "application/xml; charset=utf-8"}
    try:
        # Relative links are joined below; feedparser's own resolution re-parses every HTML body (slow).
        parsed = feedparser.parse(io.BytesIO(as_utf8_document(text)), response_headers=headers,
                                  sanitize_html=False, resolve_relative_uris=False)
    except Exception as exc:  # feedparser can raise on pathological input; classify, do not leak
        raise FeedError(f"the feed could not be parsed: {type(exc).__name__}: {exc}", kind="parse_error") from None
    if not parsed.get("version") and not parsed.entries:
        if parsed.get("bozo"):
            raise FeedError(f"malformed feed: {parsed.get('bozo_exception')}", kind="parse_error")
        raise FeedError("no RSS, Atom or RDF content found", kind="not_a_feed")
    if parsed.get("bozo"):
        warnings.append(f"malformed XML ({parsed.get('bozo_exception')}); {len(parsed.entries)} entries recovered")

    problems: dict[str, int] = {}
    entries: list[Entry] = []
    seen: set[str] = set()
    for raw in parsed.entries:
        entry = _entry(raw, feed_name, default_tz, now, problems, base_url)
        if entry is None:
            continue
        identity = entry_identity(entry)
        if identity in seen:
            problems["duplicate entry in the same feed"] = problems.get("duplicate entry in the same feed", 0) + 1
            continue
        seen.add(identity)
        entries.append(entry)
    fallback = sum(e.published_is_fallback for e in entries)
    if fallback:
        warnings.append(f"{fallback} entr{'y' if fallback == 1 else 'ies'} without a usable date: first-seen time used")
    warnings.extend(f"{n} × {what}" for what, n in problems.items() if what != "unreadable date")
    if problems.get("unreadable date"):
        warnings.append(f"{problems['unreadable date']} date string(s) could not be read")
    feed_info = parsed.get("feed") or {}
    return ParsedFeed(
        title=plain_text(feed_info.get("title")),
        entries=tuple(entries),
        encoding=decoded.encoding,
        warnings=tuple(warnings),
        link=(feed_info.get("link") or "").strip(),
    )
