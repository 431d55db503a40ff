"""Article data that pages ship as JSON rather than as HTML.

Two sources:

* schema.org JSON-LD (`<script type="application/ld+json">`): the article object
  (NewsArticle, Article, ReportageNewsArticle, ...) found at the top level, in a
  list or inside `@graph`, with its articleBody, headline, dates and authors.
* page-state JSON in other `<script>` elements (`window.__NEXT_DATA__ = {...}`,
  `Fusion.globalContent={...}`, `<script type="application/json">` ...): some
  outlets render the body only from such a blob in the browser. We do not know
  their schemas, so we look for what a body looks like: one long string with
  Korean sentences, or a list of objects whose text fields read as paragraphs.

Publishers write sloppy JSON (JavaScript comments, trailing commas, raw
newlines in strings), so parsing is lenient and never raises.
"""
from __future__ import annotations

import html as htmlmod
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from lxml import html as lxml_html

ARTICLE_TYPES = frozenset({
    "newsarticle", "article", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "reviewnewsarticle", "backgroundnewsarticle", "blogposting", "report", "liveblogposting",
})
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_TAG = re.compile(r"<[^>]+>")
_BLOCK_TAG = re.compile(r"<\s*(?:br|/p|/div|/li|/h[1-6]|p|li)\b[^>]*>", re.I)
# A JS assignment of an object literal: `window.__X__ = {`, `Fusion.globalContent={`, `var data = {`.
_ASSIGN = re.compile(r"(?:^|[;\s])(?:window\.|var\s+|let\s+|const\s+|self\.)?[\w$.\[\]\"']{1,80}\s*=\s*(?=[{\[])")
# Parsing every script on big pages costs time; blobs smaller than this cannot hold a body.
_MIN_BLOB = 200
_BODY_KEYS = ("articlebody", "body", "content", "contents", "text", "html", "articletext", "article_body", "description")


@dataclass(frozen=True)
class JsonLdArticle:
    body: str = ""
    headline: str = ""
    description: str = ""
    published: str = ""
    updated: str = ""
    authors: tuple[str, ...] = ()
    publisher: str = ""
    url: str = ""
    language: str = ""
    types: tuple[str, ...] = field(default_factory=tuple)


# -- lenient JSON ----------------------------------------------------------

def _strip_js_comments(text: str) -> str:
    """Remove // and /* */ comments outside strings (MBC's JSON-LD carries `// pubdate ...`)."""
    out: list[str] = []
    i, n = 0, len(text)
    in_str = False
    quote = ""
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == quote:
                in_str = False
            i += 1
            continue
        if c in "\"'":
            in_str, quote = True, c
            out.append(c)
            i += 1
        elif c == "/" and i + 1 < n and text[i + 1] == "/":
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif c == "/" and i + 1 < n and text[i + 1] == "*":
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


_TRAILING_COMMA = re.compile(r",\s*([}\]])")


def loads_lenient(text: str) -> Any:
    """json.loads that tolerates comments, trailing commas and raw control characters; None on failure."""
    text = text.strip().rstrip(";")
    if not text:
        return None
    try:
        return json.loads(text, strict=False)
    except ValueError:
        pass
    try:
        return json.loads(_TRAILING_COMMA.sub(r"\1", _strip_js_comments(text)), strict=False)
    except ValueError:
        return None


# -- JSON-LD -----------------------------------------------------------------

def jsonld_objects(tree: lxml_html.HtmlElement) -> list[dict]:
    """Every JSON object in the page's ld+json scripts, flattened out of lists and @graph."""
    found: list[dict] = []
    for script in tree.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        data = loads_lenient(script.text or "")
        found.extend(_flatten_ld(data))
    return found


def _flatten_ld(data: Any) -> Iterator[dict]:
    if isinstance(data, list):
        for item in data:
            yield from _flatten_ld(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _flatten_ld(data["@graph"])


def _types(obj: dict) -> tuple[str, ...]:
    t = obj.get("@type")
    items = t if isinstance(t, list) else [t]
    return tuple(str(x).lower() for x in items if x)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return htmlmod.unescape(value).strip()
    if isinstance(value, list):
        return next((s for s in (_text(v) for v in value) if s), "")
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("@id") or value.get("url"))
    return ""


def _names(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        name = _text(item.get("name")) if isinstance(item, dict) else _text(item)
        if name and name not in names:
            names.append(name)
    return tuple(names)


def jsonld_article(objects: Iterable[dict]) -> JsonLdArticle | None:
    """The page's article object: the one with an article type and the longest body (or a headline)."""
    best: dict | None = None
    best_key = (-1, -1)
    for obj in objects:
        types = _types(obj)
        if not any(t in ARTICLE_TYPES for t in types):
            continue
        key = (len(_text(obj.get("articleBody"))), 1 if obj.get("headline") else 0)
        if key > best_key:
            best, best_key = obj, key
    if best is None:
        return None
    main = best.get("mainEntityOfPage")
    url = _text(best.get("url")) or (_text(main) if isinstance(main, (dict, str)) else "")
    return JsonLdArticle(
        body=html_to_text(_text(best.get("articleBody"))),
        headline=_text(best.get("headline") or best.get("name")),
        description=_text(best.get("description")),
        published=_text(best.get("datePublished") or best.get("dateCreated")),
        updated=_text(best.get("dateModified")),
        authors=_names(best.get("author") or best.get("creator")),
        publisher=_names(best.get("publisher"))[0] if _names(best.get("publisher")) else "",
        url=url if url.startswith("http") else "",
        language=_text(best.get("inLanguage")),
        types=_types(best),
    )


# -- page-state JSON ---------------------------------------------------------

def html_to_text(value: str) -> str:
    """Text of an HTML fragment found in JSON, with block boundaries as newlines."""
    if "<" in value:
        value = _TAG.sub("", _BLOCK_TAG.sub("\n", value))
    lines = (line.strip() for line in htmlmod.unescape(value).splitlines())
    return "\n".join(line for line in lines if line)


def _script_blobs(tree: lxml_html.HtmlElement) -> Iterator[Any]:
    decoder = json.JSONDecoder(strict=False)
    for script in tree.iter("script"):
        stype = (script.get("type") or "").lower()
        if "ld+json" in stype or script.get("src"):
            continue
        text = script.text or ""
        if len(text) < _MIN_BLOB or not _HANGUL.search(text):
            continue
        if "json" in stype:
            data = loads_lenient(text)
            if data is not None:
                yield data
            continue
        for m in _ASSIGN.finditer(text):
            try:
                data, _ = decoder.raw_decode(text, m.end())
            except ValueError:
                continue
            if isinstance(data, (dict, list)):
                yield data


def _hangul_count(s: str) -> int:
    return len(_HANGUL.findall(s))


def _paragraph_list(items: list) -> str:
    """Text of a list of content elements ({type: text, content: ...}) or of plain strings."""
    parts: list[str] = []
    for item in items:
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, dict):
            kind = str(item.get("type") or item.get("_type") or "text").lower()
            if kind not in ("text", "paragraph", "p", "header", "heading", "quote", "list_item"):
                continue
            for key in ("content", "text", "value", "body", "html"):
                v = item.get(key)
                if isinstance(v, str) and v.strip():
                    parts.append(v)
                    break
    return "\n".join(html_to_text(p) for p in parts if p.strip())


def _walk(data: Any, depth: int = 0) -> Iterator[tuple[str, str]]:
    """(key, candidate text) for long strings under body-like keys and for lists of paragraphs."""
    if depth > 12:
        return
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str):
                if key.lower() in _BODY_KEYS and _hangul_count(value) >= 30:
                    yield key, html_to_text(value)
            elif isinstance(value, list) and value:
                joined = _paragraph_list(value)
                if _hangul_count(joined) >= 30:
                    # The list is the body; its items' own strings would only be fragments of it.
                    yield key, joined
                    for item in value:
                        if isinstance(item, (dict, list)):
                            yield from _walk_nested_lists(item, depth + 1)
                else:
                    yield from _walk(value, depth + 1)
            else:
                yield from _walk(value, depth + 1)
    elif isinstance(data, list):
        for item in data:
            yield from _walk(item, depth + 1)


def _walk_nested_lists(data: Any, depth: int) -> Iterator[tuple[str, str]]:
    """Inside a paragraph item, only nested lists can be another body (e.g. a list item holding paragraphs)."""
    if depth > 12 or not isinstance(data, dict):
        return
    for key, value in data.items():
        if isinstance(value, list) and value:
            joined = _paragraph_list(value)
            if _hangul_count(joined) >= 30:
                yield key, joined


def page_state_bodies(tree: lxml_html.HtmlElement, limit: int = 8) -> list[str]:
    """Candidate article bodies found in page-state JSON, longest Korean text first."""
    seen: set[str] = set()
    found: list[str] = []
    for blob in _script_blobs(tree):
        for _key, text in _walk(blob):
            if text not in seen:
                seen.add(text)
                found.append(text)
    found.sort(key=_hangul_count, reverse=True)
    return found[:limit]
