"""Article text and metadata from one HTML page.

trafilatura is the main extractor, but Korean news pages defeat it in known
ways: some ship the body only in JSON (JSON-LD or page state), some are so short
that a menu is longer, some print the body twice. So several candidates are
built, each is cleaned (extractors.cleanup), each gets a quality score, and the
best one wins:

    candidates  trafilatura (whole page) · microdata (trafilatura on the
                itemprop="articleBody" element) · json-ld (articleBody) ·
                page-state (body-like JSON in <script>) · meta-description ·
                feed-summary (the feed entry's own summary)
    score       log(1 + chars) × sentences × (1 - links) × (1 - nav/2)
                × script × description-agreement × source prior
                (see `quality` and docs/extraction.md)

A page that yields no candidate worth keeping (a list page, a soft 404, a login
wall) raises ExtractionError(kind="no_article") rather than returning a menu.
"""
from __future__ import annotations

import copy
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import trafilatura
from lxml import etree
from lxml import html as lxml_html
from trafilatura.settings import use_config

from extractors.cleanup import clean_paragraphs, looks_like_prose, looks_like_sentence, normalize
from extractors.embedded import html_to_text, jsonld_article, jsonld_objects, page_state_bodies
from extractors.errors import ExtractionError
from extractors.metadata import PageMeta, extract_metadata
from newswatch.config import ExtractSettings
from newswatch.models import Article, Entry

log = logging.getLogger("newswatch.extract")

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN = re.compile(r"[A-Za-z]")
_SPACE = re.compile(r"\s+")
_HTML_TYPES = ("html", "xml", "text/plain")
# Only the start is sniffed: a real HTML page has no NUL byte near its top; images, PDFs and archives do.
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"RIFF")
# How much each source is trusted before its text is looked at: the page's own statement of
# the body (JSON-LD, itemprop) a little more than a guess, summaries less since they are partial.
PRIORS = {
    "json-ld": 1.10, "microdata": 1.05, "trafilatura": 1.0, "page-state": 0.95,
    "meta-description": 0.70, "feed-summary": 0.65,
}
# A guessed text of at least three paragraphs, at least _LIST_SHORT of them shorter than _SHORT_LINE
# characters, with less than _MIN_PROSE of its characters in prose, is a headline list or a menu. On the
# shared corpus every real body has prose >= 0.7; menus and headline boxes have 0.0-0.2.
_SHORT_LINE, _LIST_SHORT, _MIN_PROSE = 60, 0.8, 0.3
# Sources where the page itself says "this is the article", so a very short body is still trusted.
_DECLARED = {"json-ld", "microdata"}
_SOFT_404 = re.compile(
    r"페이지를\s*찾을\s*수\s*없|존재하지\s*않는\s*(?:기사|페이지|뉴스)|삭제된\s*(?:기사|페이지)|요청하신\s*(?:웹\s*)?페이지|"
    r"page\s*not\s*found|404\s*not\s*found|잘못된\s*경로", re.I)
_LOGIN_WALL = re.compile(
    r"로그인\s*(?:이|을|후)?\s*(?:필요|해\s*주세요|하세요|후\s*이용)|회원\s*(?:전용|만\s*(?:볼|이용|열람))|유료\s*(?:회원|구독자)\s*(?:전용|만)|"
    r"구독자\s*전용|sign\s*in\s*to\s*continue|subscribers\s*only", re.I)


@dataclass
class Candidate:
    source: str
    paragraphs: list[str]
    score: float = 0.0
    features: dict[str, float] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


# -- entry point ------------------------------------------------------------------

def extract_article(html: bytes | str, *, url: str, content_type: str | None = None, entry: Entry | None = None,
                    default_tz: ZoneInfo = ZoneInfo("Asia/Seoul"), settings: ExtractSettings | None = None) -> Article:
    """The cleaned article of one page; raises ExtractionError (no_article, extractor_failed, wrong_type, too_large)."""
    settings = settings or ExtractSettings()
    text = _decode(html, url=url, content_type=content_type, settings=settings)
    if not text.strip():
        raise ExtractionError(f"{url}: the page is empty", kind="no_article", url=url)
    try:
        tree = _parse(text)
        ld = jsonld_article(jsonld_objects(tree))
        meta = extract_metadata(tree, url, ld, default_tz)
        best, candidates = _choose(tree, meta, ld, entry, settings)
    except ExtractionError:
        raise
    except Exception as exc:  # lxml, trafilatura and our own parsing: classified, with the URL
        raise ExtractionError(f"{url}: extraction failed: {type(exc).__name__}: {exc}",
                              kind="extractor_failed", url=url) from exc
    _refuse_non_article(best, meta, url, settings)
    log.debug("extracted", extra={"url": url, "stage": "extract", "feed": entry.feed if entry else None})
    paragraphs = best.paragraphs
    return Article(
        url=meta.canonical_url or url,
        title=meta.title or (entry.title if entry else ""),
        text="\n".join(paragraphs),
        lead=_lead(paragraphs),
        published=meta.published or (entry.published if entry and not entry.published_is_fallback else None),
        updated=meta.updated,
        authors=meta.authors or ((entry.author,) if entry and entry.author else ()),
        site_name=meta.site_name,
        language=meta.language or _guess_language(best.text),
        extractor=best.source,
        feed=entry.feed if entry else None,
        guid=entry.guid if entry else None,
    )


def explain(html: bytes | str, *, url: str, content_type: str | None = None, entry: Entry | None = None,
            default_tz: ZoneInfo = ZoneInfo("Asia/Seoul"), settings: ExtractSettings | None = None) -> list[Candidate]:
    """Every candidate with its score, best first (for `newswatch extract --candidates` and debugging)."""
    settings = settings or ExtractSettings()
    text = _decode(html, url=url, content_type=content_type, settings=settings)
    try:
        tree = _parse(text)
        ld = jsonld_article(jsonld_objects(tree))
        meta = extract_metadata(tree, url, ld, default_tz)
        _best, candidates = _choose(tree, meta, ld, entry, settings, exhaustive=True)
    except Exception as exc:
        raise ExtractionError(f"{url}: extraction failed: {type(exc).__name__}: {exc}",
                              kind="extractor_failed", url=url) from exc
    return sorted(candidates, key=lambda c: c.score, reverse=True)


# -- input ------------------------------------------------------------------------

def _decode(html: bytes | str, *, url: str, content_type: str | None, settings: ExtractSettings) -> str:
    size = len(html.encode("utf-8", "surrogatepass")) if isinstance(html, str) else len(html)
    if size > settings.max_bytes:
        raise ExtractionError(f"{url}: page is {size} bytes, more than extract.max_bytes={settings.max_bytes}",
                              kind="too_large", url=url)
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype and not any(t in ctype for t in _HTML_TYPES):
        raise ExtractionError(f"{url}: not an HTML page (Content-Type {ctype})", kind="wrong_type", url=url)
    if isinstance(html, str):
        return html
    head = html[:1024]
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))  # UTF-16 HTML is full of NULs and still text
    if head.startswith(_BINARY_MAGIC) or (b"\x00" in head and not utf16):
        raise ExtractionError(f"{url}: the body is binary, not HTML", kind="wrong_type", url=url)
    from extractors.encoding import decode_html  # the shared decoder: BOM, header, meta, verified

    text, _encoding = decode_html(html, content_type)
    return text


def _parse(text: str) -> lxml_html.HtmlElement:
    # Encoding is settled already: parse UTF-8 bytes with an explicit parser encoding so that a
    # lying <meta charset=euc-kr> or an <?xml encoding?> line cannot make lxml decode again.
    parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True)
    tree = lxml_html.document_fromstring(text.encode("utf-8", "replace") or b"<html></html>", parser=parser)
    if tree is None:
        raise ValueError("empty document")
    return tree


# -- preparing the tree -------------------------------------------------------------

# Class names of text meant only for screen readers ("기사 본문 영역", "상세페이지"); never story text.
_SR_ONLY = frozenset({"blind", "sr-only", "screen_out", "screen-out", "visually-hidden", "visuallyhidden",
                      "a11y-hidden", "skip-nav", "skipnav", "skip_nav", "offscreen", "hidden-text"})
# Inline tags inside a link that only style part of a headline; their text alone is not a link's text.
_INLINE_TEXT = frozenset({"b", "i", "u", "font", "sup", "sub", "small", "mark", "big", "s", "abbr", "q", "br", "img"})
_INLINE = frozenset({"a", "span", "b", "strong", "em", "i", "u", "font", "sup", "sub", "small", "mark", "big", "s", "abbr", "cite", "q"})
_BR_CONTAINERS = ("div", "td", "section", "article", "span", "font", "p")


def _prepare(tree: lxml_html.HtmlElement) -> None:
    """Remove screen-reader labels and turn <br>-separated text into <p> paragraphs, in place.

    Many Korean CMSs write a body as text nodes separated by <br><br> directly in a
    <div>; trafilatura then loses the text before the first <br> (the lead) or
    merges everything into one paragraph.
    """
    for el in tree.xpath("//*[@class]"):
        classes = set((el.get("class") or "").lower().split())
        if classes & _SR_ONLY and el.getparent() is not None and el.tag not in ("html", "body", "meta"):
            el.drop_tree()
    for el in list(tree.iter("h1", "h2", "h3", "h4", "h5", "h6")):
        # A "heading" wrapping whole blocks of text is a layout container (대전일보 puts the body in <h4>).
        if el.find(".//div") is not None or el.find(".//p") is not None or len(el.text_content()) > 300:
            el.tag = "div"
    for el in list(tree.iter(*_BR_CONTAINERS)):
        if el.find("br") is not None and _direct_text_len(el) >= 20:
            _paragraphize(el)


def _direct_text_len(el: lxml_html.HtmlElement) -> int:
    return len((el.text or "").strip()) + sum(len((c.tail or "").strip()) for c in el)


def _paragraphize(el: lxml_html.HtmlElement) -> None:
    children = list(el)
    text = el.text
    for c in children:
        el.remove(c)
    el.text = None
    tag = "span" if el.tag in ("p", "span", "font") else "p"  # no <p> inside <p>
    current = None

    def para():
        nonlocal current
        if current is None:
            current = etree.SubElement(el, tag)
        return current

    def add_text(t: str | None) -> None:
        if not t or not t.strip():
            return
        p = para()
        if len(p):
            p[-1].tail = (p[-1].tail or "") + t
        else:
            p.text = (p.text or "") + t

    add_text(text)
    for c in children:
        tail, c.tail = c.tail, None
        if c.tag == "br":
            if current is not None and tag == "span":
                etree.SubElement(el, "br")
            current = None
        elif isinstance(c.tag, str) and c.tag in _INLINE:
            para().append(c)
        else:
            current = None
            el.append(c)
        add_text(tail)


# -- candidates ------------------------------------------------------------------

@lru_cache(maxsize=8)
def _traf_config(min_extracted_size: int):
    config = use_config()
    # The default 250 characters makes trafilatura discard a short article and return the menu.
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", str(min_extracted_size))
    config.set("DEFAULT", "MIN_OUTPUT_SIZE", "1")
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # no signal-based timeout: we run in worker threads
    return config


_TRAFILATURA_DEFAULT_MIN = 250


def _trafilatura(doc: str | lxml_html.HtmlElement, settings: ExtractSettings, min_size: int | None = None) -> list[str]:
    text = trafilatura.extract(
        doc,
        config=_traf_config(settings.min_extracted_size if min_size is None else min_size),
        # fast: no readability/jusText fallback; our own candidates are the fallbacks, and they cost less.
        fast=True,
        favor_precision=settings.favor == "precision",
        favor_recall=settings.favor == "recall",
        include_comments=False,
        include_tables=settings.include_tables,
        include_images=False,
        include_links=False,
        deduplicate=False,  # trafilatura's cache is process-wide: a second page would lose shared lines
        output_format="txt",
    )
    return (text or "").splitlines()


def _microdata(tree: lxml_html.HtmlElement, settings: ExtractSettings) -> list[str]:
    """trafilatura on the element the page marks as itemprop="articleBody" (one or several)."""
    bodies = [el for el in tree.xpath("//*[@itemprop]") if "articlebody" in (el.get("itemprop") or "").lower()]
    metas = [el.get("content") or "" for el in bodies if el.tag == "meta"]
    bodies = [el for el in bodies if el.tag != "meta"]
    if not bodies:
        # <meta itemprop="articleBody" content="…">: the body as an attribute
        return "\n".join(html_to_text(m) for m in metas if m.strip()).splitlines()
    inner = "".join(etree.tostring(el, encoding="unicode", with_tail=False) for el in bodies)
    return _trafilatura(f"<html><body><article>{inner}</article></body></html>", settings)


def _choose(tree: lxml_html.HtmlElement, meta: PageMeta, ld, entry: Entry | None,
            settings: ExtractSettings, exhaustive: bool = False) -> tuple[Candidate, list[Candidate]]:
    anchors = _anchor_keys(tree)
    desc = _bigrams(meta.description) if len(meta.description) >= 30 else Counter()
    korean = (meta.language or "ko").startswith("ko")
    candidates: list[Candidate] = []

    def add(source: str, paragraphs: list[str]) -> None:
        cleaned = clean_paragraphs(paragraphs, title=meta.title, link_texts=anchors)
        if cleaned and not any(c.paragraphs == cleaned for c in candidates):
            cand = Candidate(source, cleaned)
            quality(cand, anchors=anchors, description=desc, korean=korean)
            candidates.append(cand)

    if ld and ld.body:
        add("json-ld", ld.body.splitlines())
    work = copy.deepcopy(tree)  # `tree` stays as the page gave it for page-state and metadata
    _prepare(work)
    add("microdata", _microdata(work, settings))
    small = _trafilatura(work, settings)
    add("trafilatura", small)
    if sum(len(p) for p in small) < _TRAFILATURA_DEFAULT_MIN:
        # With a low minimum trafilatura may settle for a small block where its own fallback
        # (used below 250 characters) finds the body; both are scored, the better one wins.
        add("trafilatura", _trafilatura(work, settings, min_size=_TRAFILATURA_DEFAULT_MIN))
    best_so_far = max((c.score for c in candidates), default=0.0)
    # page-state JSON is the slowest source to search; look there only when nothing good was found.
    if exhaustive or best_so_far < settings.good_enough:
        for body in page_state_bodies(tree, limit=4):
            add("page-state", body.splitlines())
    if meta.description:
        add("meta-description", [meta.description])
    if entry and entry.summary:
        add("feed-summary", entry.summary.splitlines())
    if not candidates:
        return Candidate("none", []), candidates
    return max(candidates, key=lambda c: c.score), candidates


# -- quality score ---------------------------------------------------------------

def _bigrams(text: str) -> Counter:
    s = _SPACE.sub("", text)
    return Counter(s[i:i + 2] for i in range(len(s) - 1))


def _anchor_keys(tree: lxml_html.HtmlElement) -> set[str]:
    """Normalized texts of the page's links, and of the blocks inside a link: a headline box prints
    <a><em>정치</em><strong>headline</strong></a>, where no link's whole text is the headline alone."""
    keys = set()
    for a in tree.iter("a"):
        k = normalize(a.text_content())
        if len(k) >= 2:
            keys.add(k)
        if len(k) > 4:
            for child in a.iterdescendants():
                if isinstance(child.tag, str) and child.tag not in _INLINE_TEXT:
                    ck = normalize(child.text_content())
                    if len(ck) >= 4 and ck != k:
                        keys.add(ck)
    return keys


def quality(cand: Candidate, *, anchors: set[str], description: Counter, korean: bool = True) -> float:
    """Score a cleaned candidate; higher is better. Stores the features on the candidate.

    * chars: non-space characters; the score grows with log(1 + chars), so a long
      text beats a short one only when it is as clean.
    * sentences: share of characters in paragraphs ending like a sentence (…다. …요. ”).
      Menus and lists of headlines do not.
    * links: share of characters in paragraphs that are the text of a link on the
      page (menus, related-article lists).
    * nav: share of paragraphs that are short and not sentences.
    * script: for a Korean page, share of Hangul among letters (scripts, URLs and
      code found in JSON are not Korean).
    * description: how much of og:description the text contains; the body of an
      article almost always starts with or contains it.
    * truncated: a text ending in "…" is a summary, not the body.

    Two more features are recorded for the no-article decision, not scored: `prose` (share of
    characters in paragraphs ending like reported prose, stricter than `sentences`: a headline
    ending in a quoted phrase is not prose) and `short` (share of paragraphs under 60 characters).
    """
    paras = cand.paragraphs
    lengths = [len(_SPACE.sub("", p)) for p in paras]
    chars = sum(lengths) or 1
    sentence = sum(n for p, n in zip(paras, lengths) if looks_like_sentence(p)) / chars
    linked = sum(n for p, n in zip(paras, lengths) if normalize(p) in anchors) / chars
    nav = sum(1 for p, n in zip(paras, lengths) if n < 25 and not looks_like_sentence(p)) / len(paras)
    joined = "".join(paras)
    hangul = len(_HANGUL.findall(joined))
    letters = hangul + len(_LATIN.findall(joined))
    script = (0.3 + 0.7 * min(1.0, (hangul / letters) / 0.6)) if korean and letters else 1.0
    if description:
        got = _bigrams(joined)
        overlap = sum((got & description).values()) / max(1, sum(description.values()))
        agree = 0.6 + 0.4 * overlap
    else:
        overlap, agree = 0.0, 1.0
    truncated = 0.8 if joined.rstrip().endswith(("…", "...")) else 1.0
    prose = sum(n for p, n in zip(paras, lengths) if looks_like_prose(p)) / chars
    short = sum(1 for n in lengths if n < _SHORT_LINE) / len(paras)
    score = (math.log1p(chars) * (0.25 + 0.75 * sentence) * (1 - linked) * (1 - 0.5 * nav)
             * script * agree * truncated * PRIORS.get(cand.source, 1.0))
    cand.score = score
    cand.features = {"chars": chars, "sentences": round(sentence, 3), "links": round(linked, 3),
                     "nav": round(nav, 3), "script": round(script, 3), "description": round(overlap, 3),
                     "prose": round(prose, 3), "short": round(short, 3), "score": round(score, 3)}
    return score


# -- refusing non-articles ---------------------------------------------------------------

def _refuse_non_article(best: Candidate, meta: PageMeta, url: str, settings: ExtractSettings) -> None:
    text = best.text
    chars = len(_SPACE.sub("", text))
    minimum = settings.min_chars if best.source in _DECLARED else settings.min_chars_guessed
    f = best.features
    reason = ""
    if not text or chars < minimum:
        reason = f"no article text (best candidate {best.source} has {chars} characters)"
    elif chars < 400 and (_SOFT_404.search(meta.title) or _SOFT_404.search(text)):
        reason = "the page says it was not found (soft 404)"
    elif chars < 400 and _LOGIN_WALL.search(text):
        reason = "the article is behind a login or subscription wall"
    elif best.source not in _DECLARED and (f.get("links", 0) > 0.5 or (f.get("sentences", 1) < 0.2 and f.get("nav", 0) > 0.5)):
        # A body the page itself declares may be one caption line; a guessed one that reads like a menu is refused.
        reason = "the page is a list of links, not an article"
    elif best.source not in _DECLARED and len(best.paragraphs) >= 3 and f.get("prose", 1) < _MIN_PROSE \
            and f.get("short", 0) >= _LIST_SHORT:
        # Headline boxes and menus whose items are not links (onclick lists) or end in a quotation
        # ('…노사 "협상 재개"', which `sentences` counts): short lines, hardly any reported prose.
        reason = "the page is a list of headlines or menu labels, not an article"
    if reason:
        raise ExtractionError(f"{url}: {reason}", kind="no_article", url=url)


def _lead(paragraphs: list[str]) -> str:
    """The first real paragraph (a subtitle or the lead sentence), skipping labels such as "[앵커]"."""
    if len(paragraphs) < 2:
        return ""
    return next((p for p in paragraphs if len(_SPACE.sub("", p)) >= 20), "")


def _guess_language(text: str) -> str:
    hangul = len(_HANGUL.findall(text))
    latin = len(_LATIN.findall(text))
    if not hangul and not latin:
        return ""
    return "ko" if hangul >= latin * 0.3 else "en"
