"""The demo's news sites: feeds and article pages built from articles.yaml and
served on 127.0.0.1, dressed like real Korean outlets (menus, bylines, doubled
photo captions, copyright lines, related-article lists) so the real pipeline has
real clean-up work to do."""
from __future__ import annotations

import html
import json
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from importlib import resources
from zoneinfo import ZoneInfo

import yaml

from newswatch.localserver import LocalHTTPServer, Route

KST = ZoneInfo("Asia/Seoul")


@dataclass(frozen=True)
class DemoSite:
    server: LocalHTTPServer
    feeds: list[dict]  # {"name", "url", "outlet"} for the generated config


def load_sample() -> dict:
    return yaml.safe_load(resources.files("newswatch.demo").joinpath("articles.yaml").read_text("utf-8"))


def _feed_date(when: datetime, style: str) -> str:
    local = when.astimezone(KST)
    if style == "korean":
        return local.strftime("%Y-%m-%d %H:%M:%S")
    if style == "kst":
        return local.strftime("%a, %d %b %Y %H:%M:%S KST")
    return format_datetime(local)


def _page(article: dict, outlet: dict, url: str, when: datetime, related: list[dict]) -> str:
    esc = html.escape
    local = when.astimezone(KST)
    paragraphs = [f"<p>{esc(p)}</p>" for p in article["paragraphs"]]
    # Korean CMSs often print the caption twice (figcaption and alt-text block)
    figure = (f'<figure><img src="/img/{article["id"]}.jpg" alt="{esc(article["caption"])}">'
              f'<figcaption>{esc(article["caption"])} (사진={esc(outlet["name"])})</figcaption></figure>'
              f'<p class="caption">{esc(article["caption"])} (사진={esc(outlet["name"])})</p>')
    paragraphs.insert(1, figure)
    related_items = "".join(f'<li><a href="{esc(r["url"])}">{esc(r["title"])}</a></li>' for r in related)
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": article["title"],
                     "datePublished": local.isoformat(), "author": {"@type": "Person", "name": article["reporter"]},
                     "publisher": {"@type": "Organization", "name": outlet["name"]}}, ensure_ascii=False)
    charset = outlet["encoding"]
    return f"""<!DOCTYPE html>
<html lang="ko"><head><meta charset="{charset}">
<title>{esc(article["title"])} - {esc(outlet["name"])}</title>
<meta property="og:title" content="{esc(article["title"])}">
<meta property="og:site_name" content="{esc(outlet["name"])}">
<meta property="og:description" content="{esc(article["paragraphs"][0])}">
<meta property="article:published_time" content="{local.isoformat()}">
<link rel="canonical" href="{esc(url)}">
<script type="application/ld+json">{ld}</script>
</head><body>
<header><a href="/">{esc(outlet["name"])}</a>
<nav><ul><li><a href="/politics">정치</a></li><li><a href="/economy">경제</a></li><li><a href="/society">사회</a></li>
<li><a href="/it">IT·과학</a></li><li><a href="/culture">문화</a></li><li><a href="/opinion">오피니언</a></li>
<li><a href="/login">로그인</a></li><li><a href="/subscribe">구독신청</a></li></ul></nav></header>
<main><article>
<h1>{esc(article["title"])}</h1>
<h2 class="subtitle">{esc(article["lead"])}</h2>
<div class="byline">{esc(article["reporter"])} 기자 | 입력 {local:%Y.%m.%d %H:%M}</div>
<div id="article-body">
{"".join(paragraphs)}
</div>
<p class="reporter">{esc(article["reporter"])} 기자 {esc(article["email"])}</p>
<p class="copyright">저작권자 ⓒ {esc(outlet["name"])} 무단전재 및 재배포 금지</p>
<div class="like">이 기사 좋아요 <button>공유하기</button></div>
</article>
<aside><h3>[관련기사]</h3><ul>{related_items}</ul></aside>
</main>
<footer>회사소개 | 광고문의 | 개인정보처리방침 | 청소년보호정책 | 제보하기<br>Copyright ⓒ {esc(outlet["name"])}. All rights reserved.</footer>
</body></html>"""


def _feed(outlet: dict, items: list[tuple[dict, str, datetime]], base: str) -> str:
    esc = html.escape
    parts = []
    for article, url, when in items:
        parts.append(f"""<item><title>{esc(article["title"])}</title><link>{esc(url)}&amp;utm_source=rss&amp;utm_medium=feed</link>
<guid isPermaLink="false">{outlet["key"]}-{article["id"]}</guid>
<description>{esc(article["paragraphs"][0])}</description>
<pubDate>{_feed_date(when, outlet["feed_dates"])}</pubDate><author>{esc(article["reporter"])}</author></item>""")
    return f"""<?xml version="1.0" encoding="{outlet["encoding"]}"?>
<rss version="2.0"><channel><title>{esc(outlet["name"])} 전체기사</title><link>{base}/{outlet["key"]}/</link>
<description>{esc(outlet["name"])}</description><language>ko</language>
{"".join(parts)}
</channel></rss>"""


def start_demo_site(now: datetime) -> DemoSite:
    """Serve every outlet's feed and pages on a free port of 127.0.0.1."""
    sample = load_sample()
    outlets = {o["key"]: o for o in sample["outlets"]}
    server = LocalHTTPServer()
    base = server.base_url
    placed = []
    for article in sample["articles"]:
        outlet = outlets[article["outlet"]]
        idxno = zlib.crc32(article["id"].encode()) % 90000 + 10000
        url = f"{base}/{outlet['key']}/news/articleView.html?idxno={idxno}"
        placed.append((article, outlet, url, now - timedelta(hours=article["hours_ago"])))
    for article, outlet, url, when in placed:
        related = [{"title": a["title"], "url": u} for a, o, u, _ in placed if o is outlet and a is not article][:3]
        body = _page(article, outlet, url, when, related).encode(outlet["encoding"])
        path = url[len(base):]
        server.routes[path] = Route(body, content_type=f"text/html; charset={outlet['encoding']}")
    feeds = []
    for key, outlet in outlets.items():
        items = [(a, u, w) for a, o, u, w in placed if o is outlet]
        xml = _feed(outlet, items, base).encode(outlet["encoding"])
        server.routes[f"/{key}/rss"] = Route(xml, content_type="application/rss+xml")
        feeds.append({"name": outlet["name"], "url": f"{base}/{key}/rss", "outlet": outlet["name"]})
    server.start()
    return DemoSite(server=server, feeds=feeds)
