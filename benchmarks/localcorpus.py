"""A synthetic local news corpus for benchmarks: N feeds x M articles served on 127.0.0.1.

Article bodies are drawn from the demo's sample sentences plus a unique
numbered sentence, so most articles are distinct stories to the dedup stage.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from newswatch.demo.site import _page, load_sample
from newswatch.localserver import LocalHTTPServer, Route

PLACES = ["광주", "목포", "순천", "여수", "나주", "전주", "대구", "부산", "대전", "세종", "청주", "춘천"]
TOPICS = ["인공지능", "데이터센터", "반도체", "수소", "자율주행", "스마트팜", "바이오", "로봇", "배터리", "드론"]


def _sentences() -> list[str]:
    sample = load_sample()
    return [p for a in sample["articles"] for p in a["paragraphs"]]


def _padding(kb: int, rng: random.Random) -> str:
    """Site furniture real pages carry (menus, most-read lists, scripts): what makes a page ~60 kB."""
    if kb <= 0:
        return ""
    parts, size = [], 0
    while size < kb * 1024:
        place, topic = rng.choice(PLACES), rng.choice(TOPICS)
        item = (f'<li><a href="/news/{rng.randint(1, 10**6)}">{place} {topic} 관련 소식 '
                f'{rng.randint(1, 999)}</a></li><script>var ad_{rng.randint(1, 10**6)} = "slot";</script>')
        parts.append(item)
        size += len(item.encode())
    return f'<aside class="most-read"><ul>{"".join(parts)}</ul></aside>'


def build_corpus(n_feeds: int, per_feed: int, seed: int = 7, page_kb: int = 0) -> tuple[LocalHTTPServer, list[dict]]:
    rng = random.Random(seed)
    pool = _sentences()
    server = LocalHTTPServer()
    base = server.base_url
    now = datetime.now(timezone.utc)
    feeds = []
    outlet = {"key": "bench", "name": "벤치일보", "encoding": "utf-8"}
    for f in range(n_feeds):
        items = []
        for i in range(per_feed):
            place, topic = rng.choice(PLACES), rng.choice(TOPICS)
            n = f * per_feed + i
            paras = rng.sample(pool, 4) + [
                f"{place}시는 {n}번째 {topic} 지원 사업의 세부 계획을 {rng.randint(1, 28)}일 발표했다.",
                f"이번 사업에는 모두 {rng.randint(10, 990)}억 원이 투입되며 {rng.randint(2, 90)}개 기업이 참여한다.",
            ]
            rng.shuffle(paras)
            article = {"id": f"b{n}", "title": f"{place} {topic} 사업 {n}호 발표", "lead": f"{topic} 기업 지원",
                       "caption": f"{place} {topic} 현장", "reporter": "홍길동", "email": "hong@bench.example",
                       "paragraphs": paras}
            url = f"{base}/f{f}/news/{n}"
            when = now - timedelta(minutes=n)
            page = _page(article, outlet, url, when, []).replace("</main>", _padding(page_kb, rng) + "</main>")
            server.routes[f"/f{f}/news/{n}"] = Route(page.encode())
            items.append((article, url, when))
        rss = "".join(
            f"<item><title>{a['title']}</title><link>{u}</link><guid>{u}</guid>"
            f"<description>{a['paragraphs'][0]}</description><pubDate>{format_datetime(w)}</pubDate></item>"
            for a, u, w in items)
        server.routes[f"/f{f}/rss"] = Route(
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>피드 {f}</title>{rss}</channel></rss>'.encode(),
            content_type="application/rss+xml")
        feeds.append({"name": f"feed-{f}", "url": f"{base}/f{f}/rss", "outlet": f"벤치일보 {f}"})
    return server.start(), feeds
