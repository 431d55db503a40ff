"""Article metadata from the page head, JSON-LD and microdata.

Title without the outlet's suffix or prefix, publication and update times with
an offset, authors, outlet name, canonical URL and language. Every source is
optional; what a page lacks stays empty rather than guessed from the body.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from lxml import html as lxml_html

from extractors.embedded import JsonLdArticle

# Separators outlets put between a headline and their name: "제목 - 연합뉴스", "제목 | 한국일보",
# "제목 : 네이버 뉴스", "대전일보 모바일 :: 제목". Spaces around them are required so that
# "A-B" or "3:1" inside a headline is never cut.
_TITLE_SEP = re.compile(r"\s+(?:\||-|–|—|:|::|<|>|«|»|·|ㅣ)\s+")
# Words an outlet's name ends with ("연합뉴스", "SBS 뉴스", "iMBC 연예", "한국일보", "KBS TV"). A title segment, or an
# author value, shaped like "<at most one word> <outlet word>" is taken for an outlet's name, not for words of a
# headline or a person. "경제" counts only glued to a name ("서울경제"): "무너진 지역 경제" is a headline.
_OUTLET_WORD = (r"뉴스|일보|신문|방송|타임스|타임즈|저널|미디어|통신|닷컴|데일리|투데이|포스트|헤럴드|모바일|연예|"
                r"news|times|daily|herald|post|journal|tv|\.com|\.co\.kr|\.kr")
_OUTLET_SHAPE = re.compile(r"^(?:\S+\s+)?\S*(?:" + _OUTLET_WORD + r")$|^\S+경제$", re.I)
_DATE_META = (
    ("property", "article:published_time"), ("name", "article:published_time"),
    ("property", "og:article:published_time"), ("property", "dd:published_time"),
    ("itemprop", "datePublished"), ("name", "pubdate"), ("name", "publishdate"), ("name", "date"),
    ("property", "og:published_time"), ("name", "dc.date.issued"), ("name", "sailthru.date"),
)
_UPDATED_META = (
    ("property", "article:modified_time"), ("name", "article:modified_time"),
    ("property", "og:updated_time"), ("property", "dd:modified_time"), ("itemprop", "dateModified"),
    ("name", "lastmod"),
)
# Author keys, read from name=, property= or itemprop= alike: outlets disagree (TV조선 writes
# <meta property="dable:author">, SBS <meta name="dable:author">).
_AUTHOR_KEYS = ("author", "article:author", "dable:author", "byl")
# Values that name nobody: CMS accounts and the word "news".
_NOT_AUTHORS = frozenset({"news", "뉴스", "admin", "administrator", "관리자", "운영자", "editor", "편집자"})
_LOOSE_DATE = re.compile(
    r"(\d{4})\s*[-./년]\s*(\d{1,2})\s*[-./월]\s*(\d{1,2})(?:\s*일)?"
    r"(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?",
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ROLE = re.compile(r"\s*(기자|특파원|에디터|객원기자|인턴기자|앵커|PD|논설위원|칼럼니스트)$")


@dataclass(frozen=True)
class PageMeta:
    title: str = ""
    site_name: str = ""
    canonical_url: str = ""
    published: datetime | None = None
    updated: datetime | None = None
    authors: tuple[str, ...] = ()
    language: str = ""
    description: str = ""
    og_type: str = ""


def _metas(tree: lxml_html.HtmlElement) -> dict[tuple[str, str], list[str]]:
    """All <meta> values by (attribute, lower-cased key), in page order: one pass instead of many."""
    out: dict[tuple[str, str], list[str]] = {}
    for el in tree.iter("meta"):
        content = (el.get("content") or "").strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop"):
            key = el.get(attr)
            if key:
                out.setdefault((attr, key.strip().lower()), []).append(content)
    return out


def parse_date(value: str, default_tz: ZoneInfo) -> datetime | None:
    """ISO 8601 or Korean CMS formats (2023.04.21 16:25, 2023년 4월 21일); naive means default_tz."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)  # 3.11 reads "Z", a space separator and fractions
    except ValueError:
        m = _LOOSE_DATE.search(value)
        if not m:
            return None
        y, mo, d, h, mi, s, off = m.groups()
        try:
            dt = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
        except ValueError:
            return None
        if off:
            off = "+00:00" if off == "Z" else (off if ":" in off else off[:3] + ":" + off[3:])
            dt = datetime.fromisoformat(dt.isoformat() + off)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=default_tz)
    return dt


def _pick_date(values: list[str], default_tz: ZoneInfo) -> datetime | None:
    parsed = [(v, d) for v in values if (d := parse_date(v, default_tz)) is not None]
    if not parsed:
        return None
    first_value, first = parsed[0]
    # Korean CMSs often stamp local time with "Z"; when another source gives the same wall clock
    # with a real offset, that one is right (04:24:13Z beside dd:published_time 04:24:13+09:00).
    if first_value.rstrip().endswith("Z"):
        for _v, other in parsed[1:]:
            if other.replace(tzinfo=None) == first.replace(tzinfo=None) and other.utcoffset() != first.utcoffset():
                return other
    return first


def clean_title(title: str, site_names: tuple[str, ...] = ()) -> str:
    """Remove the outlet's name when it is glued to the headline with a separator."""
    title = re.sub(r"\s+", " ", title or "").strip()
    names = {n.strip().lower() for n in site_names if n and n.strip()}
    for _ in range(2):  # a suffix and a prefix: "대전일보 모바일 :: 제목 - 대전일보"
        parts = _TITLE_SEP.split(title)
        if len(parts) < 2:
            break
        seps = _TITLE_SEP.findall(title)
        last, first = parts[-1].strip(), parts[0].strip()
        rest_tail = title[: len(title) - len(last) - len(seps[-1])].strip()
        rest_head = title[len(first) + len(seps[0]):].strip()
        if _is_outlet(last, names) and len(rest_tail) >= 2:
            title = rest_tail
        elif _is_outlet(first, names, by_shape=False) and len(rest_head) >= 2:
            # A prefix must name the site: "가짜뉴스 : …" or "지역신문 - …" opens many headlines.
            title = rest_head
        else:
            break
    return title


def _is_outlet(segment: str, names: set[str], by_shape: bool = True) -> bool:
    """The segment is the site's name (equal, containing it, or a part of it), or (by_shape) short and shaped like an outlet."""
    low = re.sub(r"\s+", " ", segment.lower()).strip()
    if not low:
        return False
    if any(low == n or (n in low and len(low) <= len(n) + 8) or (low in n and len(low) >= 2 and len(low.split()) <= 2)
           for n in names):
        return True
    return by_shape and looks_like_outlet(low)


def looks_like_outlet(value: str) -> bool:
    """At most two words, the last ending in an outlet word: "연합뉴스", "MBC NEWS", "iMBC 연예", "대전일보 모바일"."""
    value = re.sub(r"\s+", " ", value).strip()
    return 0 < len(value) <= 20 and bool(_OUTLET_SHAPE.match(value))


def _clean_author(value: str, site_keys: tuple[str, ...] = ()) -> str:
    """A person's name from an author value; "" for the outlet itself or an outlet-shaped value.

    The outlet's name glued before a reporter's ("연합뉴스 홍길동 기자") is removed; a value that is the
    site's name, a part of it ("SBS"), or shaped like an outlet ("SBS 뉴스", "iMBC 연예") is no author.
    """
    value = _EMAIL.sub("", value).strip(" ()[]<>/,|")
    value = _ROLE.sub("", value).strip()
    value = re.sub(r"^[^=]{1,20}=\s*", "", value)  # "스포츠조선=홍길동": outlet (or dateline) = reporter
    if value.startswith("http") or len(value) > 40:
        return ""
    words = value.split()
    while len(words) > 1 and _outlet_word(words[0], site_keys):
        words = words[1:]  # "연합뉴스 홍길동", "SBS 홍길동" -> "홍길동"
    value = " ".join(words)
    key = _site_key(value)
    if not key or key in _NOT_AUTHORS or looks_like_outlet(value):
        return ""
    if any(key == k or (len(key) >= 3 and key in k) for k in site_keys):
        return ""
    return value


def _outlet_word(word: str, site_keys: tuple[str, ...]) -> bool:
    """A word before a reporter's name that names the outlet: outlet-shaped ("빛고을일보"), or a part of the
    site's name that is Hangul or an acronym ("SBS" of "SBS NEWS"; not "Kim" of kimnews.example)."""
    if looks_like_outlet(word):
        return True
    key = _site_key(word)
    named = len(key) >= 3 and any(key in k for k in site_keys)
    return named and (word.isupper() or bool(re.fullmatch(r"[가-힣0-9]+", word)))


def _site_key(value: str) -> str:
    return re.sub(r"[\s._-]+", "", value.lower())


def extract_metadata(tree: lxml_html.HtmlElement, url: str, ld: JsonLdArticle | None,
                     default_tz: ZoneInfo) -> PageMeta:
    metas = _metas(tree)
    first = lambda *keys: next((metas[k][0] for k in keys if k in metas), "")  # noqa: E731

    site_name = first(("property", "og:site_name"), ("name", "og:site_name")) or (ld.publisher if ld else "") \
        or first(("name", "application-name"))
    site_names = tuple(n for n in (site_name, ld.publisher if ld else "", urlsplit(url).hostname or "") if n)

    raw_title = (first(("property", "og:title"), ("name", "og:title")) or (ld.headline if ld else "")
                 or first(("name", "twitter:title"), ("property", "twitter:title")) or _title_tag(tree))
    title = clean_title(raw_title, site_names)

    dates = ([ld.published] if ld and ld.published else []) + [v for k in _DATE_META for v in metas.get((k[0], k[1].lower()), [])]
    updates = ([ld.updated] if ld and ld.updated else []) + [v for k in _UPDATED_META for v in metas.get((k[0], k[1].lower()), [])]
    published = _pick_date(dates, default_tz) or _time_element(tree, default_tz) \
        or _data_attr_date(tree, ("data-date-time", "data-published", "data-pubdate"), default_tz) \
        or _text_date(tree, default_tz)
    updated = _pick_date(updates, default_tz) or _data_attr_date(tree, ("data-modify-date-time", "data-modified"), default_tz)

    authors: list[str] = []
    raw_authors = list(ld.authors) if ld else []
    raw_authors += [v for key in _AUTHOR_KEYS for attr in ("name", "property", "itemprop") for v in metas.get((attr, key), [])]
    site_keys = tuple({_site_key(n) for n in (*site_names, first(("name", "application-name"))) if n})
    for a in raw_authors:
        name = _clean_author(a, site_keys)
        if name and name not in authors:
            authors.append(name)

    return PageMeta(
        title=title,
        site_name=site_name or (urlsplit(url).hostname or ""),
        canonical_url=_canonical(tree, url, metas, ld),
        published=published,
        updated=updated,
        authors=tuple(authors),
        language=_language(tree, metas, ld),
        description=first(("property", "og:description"), ("name", "description"), ("name", "twitter:description"))
        or (ld.description if ld else ""),
        og_type=first(("property", "og:type")).lower(),
    )


def _title_tag(tree: lxml_html.HtmlElement) -> str:
    el = tree.find(".//title")
    return (el.text_content() if el is not None else "").strip()


def _time_element(tree: lxml_html.HtmlElement, default_tz: ZoneInfo) -> datetime | None:
    for el in tree.iter("time"):
        d = parse_date(el.get("datetime") or "", default_tz)
        if d:
            return d
    return None


def _data_attr_date(tree: lxml_html.HtmlElement, attrs: tuple[str, ...], default_tz: ZoneInfo) -> datetime | None:
    """Portal pages (네이버 뉴스) keep the times in data-* attributes of the byline, not in <meta>."""
    for attr in attrs:
        for el in tree.xpath(f"//*[@{attr}]")[:3]:
            d = parse_date(el.get(attr) or "", default_tz)
            if d:
                return d
    return None


_LABELLED_DATE = re.compile(r"(?:기사\s*)?(?:입력|등록|발행|송고|작성|승인)\s*(?:일|일시|시간)?\s*[:：]?\s*(\d{4}[-./]\s*\d{1,2}[-./]\s*\d{1,2}\.?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)")
_BARE_DATETIME = re.compile(r"\b(\d{4}[-./]\d{2}[-./]\d{2}\.?\s+\d{2}:\d{2}(?::\d{2})?)")


def _text_date(tree: lxml_html.HtmlElement, default_tz: ZoneInfo) -> datetime | None:
    """Last resort for small CMSs with no date markup: '입력 2020-03-04 16:52', else the first full
    date and time near the top of the visible page (the byline line)."""
    body = tree.find("body")
    if body is None:
        return None
    parts = body.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]")
    text = " ".join(t.strip() for t in parts if t.strip())[:8000]
    m = _LABELLED_DATE.search(text) or _BARE_DATETIME.search(text)
    return parse_date(re.sub(r"\s+", " ", m.group(1)), default_tz) if m else None


def _canonical(tree: lxml_html.HtmlElement, url: str, metas: dict, ld: JsonLdArticle | None) -> str:
    candidates = [el.get("href") or "" for el in tree.iter("link") if "canonical" in (el.get("rel") or "").lower()]
    candidates += metas.get(("property", "og:url"), []) + ([ld.url] if ld and ld.url else [])
    for c in candidates:
        full = urljoin(url, c.strip()) if c.strip() else ""
        if full.startswith(("http://", "https://")):
            return full
    return url


def _language(tree: lxml_html.HtmlElement, metas: dict, ld: JsonLdArticle | None) -> str:
    for value in (tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
                  ld.language if ld else "", (metas.get(("property", "og:locale")) or [""])[0]):
        if value and re.match(r"^[A-Za-z]{2,3}\b", value.strip()):
            return value.strip()[:2].lower()
    return ""
