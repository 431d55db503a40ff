"""A synthetic local news corpus for benchmarks: N feeds x M articles served on 127.0.0.1.

Each article is a distinct story: its sentences are drawn from templates with many
slots (places, topics, institutions, people, figures), so two stories share little
more than the templates' fixed words. About one article in ten is a syndicated
copy of an earlier one (another feed republishing a wire story with a new headline
and its last paragraph cut), as in real Korean news, so dedup has real work too.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from newswatch.demo.site import _page
from newswatch.localserver import LocalHTTPServer, Route

PLACES = ["광주", "목포", "순천", "여수", "나주", "전주", "대구", "부산", "대전", "세종", "청주", "춘천"]
TOPICS = ["인공지능", "데이터센터", "반도체", "수소", "자율주행", "스마트팜", "바이오", "로봇", "배터리", "드론"]
ORGS = ["지역혁신진흥원", "첨단기술재단", "산학협력단", "창업지원센터", "정보문화산업진흥원", "테크노파크",
        "과학기술연구원", "에너지공사", "경제자유구역청", "디지털융합센터", "미래산업협회", "실증지원단"]
THINGS = ["실증 사업", "기업 유치", "인력 양성", "연구 시설 확충", "규제 특례", "기술 이전", "투자 펀드 조성",
          "시제품 제작 지원", "해외 판로 개척", "공동 연구", "창업 보육", "장비 구축"]
SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = "민서준하지우현도윤수아은호진영재원성예"
ROLES = ["시장", "원장", "센터장", "대표", "교수", "본부장", "국장", "이사장"]
MONTHS = ["상반기", "하반기", "연말", "내년 초", "다음 달", "이달 말"]

TEMPLATES = [
    "{place}시는 {day}일 {org}와 함께 {topic} 분야 {thing} 계획을 발표했다.",
    "이번 사업에는 {money}억 원이 투입되며 {count}개 기업이 참여한다.",
    "{person} {role}은 \"{topic} 산업이 자리를 잡으려면 {thing}이 먼저\"라고 말했다.",
    "{org}는 {year}년까지 {people}명의 전문 인력을 길러낼 예정이다.",
    "{place} {district}에는 {area}제곱미터 규모의 {topic} {thing} 거점이 들어선다.",
    "지난해 {place} 지역 {topic} 기업의 매출은 {money}억 원으로 {pct}% 늘었다.",
    "{org} 관계자는 {month}까지 {thing} 대상 기업 {count}곳을 뽑는다고 설명했다.",
    "{person} {role}은 {place}의 {topic} 경쟁력을 {rank}위권으로 끌어올리겠다고 밝혔다.",
    "시의회는 {thing} 예산 {money}억 원을 {month} 추경에 반영하는 방안을 논의하고 있다.",
    "업계에서는 {topic} 수요가 {year}년까지 해마다 {pct}%씩 늘 것으로 보고 있다.",
    "{org}와 {org2}는 {day}일 {topic} {thing}을 위한 업무협약을 맺었다.",
    "{place}에 본사를 둔 {count}개 {topic} 기업이 {month} {thing}에 나선다.",
]


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)


def _sentence(rng: random.Random, template: str, place: str, topic: str) -> str:
    return template.format(
        place=place, topic=topic, org=f"{place}{rng.choice(ORGS)}", org2=f"{rng.choice(PLACES)}{rng.choice(ORGS)}",
        thing=rng.choice(THINGS), person=_person(rng), role=rng.choice(ROLES), month=rng.choice(MONTHS),
        district=f"{rng.choice('동서남북')}구 {rng.choice(['첨단', '신도', '산단', '혁신'])}{rng.randint(1, 9)}지구",
        day=rng.randint(1, 28), money=rng.randint(10, 990), count=rng.randint(2, 90), year=rng.randint(2027, 2035),
        people=rng.randint(50, 3000), area=rng.randint(1000, 90000), pct=rng.randint(2, 60), rank=rng.randint(1, 5),
    )


def _story(rng: random.Random, n: int) -> dict:
    place, topic = rng.choice(PLACES), rng.choice(TOPICS)
    paragraphs = [_sentence(rng, t, place, topic) for t in rng.sample(TEMPLATES, 6)]
    return {"id": f"b{n}", "title": f"{place} {topic} 사업 {n}호 발표", "lead": f"{place} {topic} 기업 지원",
            "caption": f"{place} {topic} 현장", "reporter": _person(rng), "email": "desk@bench.example",
            "paragraphs": paragraphs}


def _copy(original: dict, n: int) -> dict:
    """Another outlet's copy of a wire story: new headline, last paragraph cut."""
    return {**original, "id": f"b{n}", "title": f"[종합] {original['title'].replace('발표', '공개')} ({n})",
            "paragraphs": original["paragraphs"][:-1]}


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


def build_corpus(n_feeds: int, per_feed: int, seed: int = 7, page_kb: int = 0,
                 copy_share: float = 0.1) -> tuple[LocalHTTPServer, list[dict]]:
    rng = random.Random(seed)
    server = LocalHTTPServer()
    base = server.base_url
    now = datetime.now(timezone.utc)
    feeds = []
    outlet = {"key": "bench", "name": "벤치일보", "encoding": "utf-8"}
    stories: list[dict] = []
    for f in range(n_feeds):
        items = []
        for i in range(per_feed):
            n = f * per_feed + i
            if stories and rng.random() < copy_share:
                article = _copy(rng.choice(stories), n)
            else:
                article = _story(rng, n)
                stories.append(article)
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
