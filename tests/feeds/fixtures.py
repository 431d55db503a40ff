"""Feeds written for these tests (invented Korean news text, no outlet's copy)."""
from __future__ import annotations

from xml.sax.saxutils import escape

HEADLINES = [
    "광주시, 인공지능 산업 육성 계획 발표",
    "전남대 연구팀, 배터리 신소재 개발",
    "광주테크노파크 새 센터 개소",
    "지역 청년 창업 지원 사업 확대",
    "빛고을 문화축제 다음 달 개막",
]


def rss(items: list[dict], *, encoding: str = "utf-8", declare: str | None = None, title: str = "광주 시험 뉴스",
        pre: str = "") -> bytes:
    """An RSS 2.0 document; `declare` is what the XML declaration claims (may lie)."""
    decl = f'<?xml version="1.0" encoding="{declare}"?>\n' if declare else ""
    body = [f"{decl}{pre}<rss version=\"2.0\"><channel><title>{escape(title)}</title>",
            "<link>https://news.example.kr/</link><description>시험용</description>"]
    for it in items:
        parts = ["<item>"]
        for tag in ("title", "link", "guid", "pubDate", "description"):
            if it.get(tag) is not None:
                parts.append(f"<{tag}>{escape(it[tag])}</{tag}>")
        parts.append("</item>")
        body.append("".join(parts))
    body.append("</channel></rss>")
    return "\n".join(body).encode(encoding)


def items(n: int, *, start: int = 0, prefix: str = "https://news.example.kr/article/",
          date: str = "Fri, 20 Nov 2026 09:00:00 +0900") -> list[dict]:
    return [{
        "title": f"{HEADLINES[i % len(HEADLINES)]} ({i})",
        "link": f"{prefix}{i}?utm_source=rss&utm_medium=feed",
        "guid": f"{prefix}{i}",
        "pubDate": date,
        "description": f"<p>{HEADLINES[i % len(HEADLINES)]}에 관한 시험 기사 {i}번입니다.</p>",
    } for i in range(start, start + n)]
