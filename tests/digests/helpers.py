"""Invented Korean news items and settings for the digest tests (written for this project)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from newswatch.config import Settings
from newswatch.models import Article, Evidence, InstitutionMention, Match, Outlet, Story

KST = timezone(timedelta(hours=9))
T0 = datetime(2026, 11, 20, 23, 0, tzinfo=timezone.utc)  # 08:00 in Seoul

OUTLETS = ["빛고을일보", "남도경제", "호남뉴스", "광주매일소식", "전남타임스", "무등신문"]
TOPICS = [
    ("광주시, 인공지능 데이터센터 2단계 착공", "광주시가 첨단3지구에서 인공지능 데이터센터 2단계 공사를 시작했다. 시는 2028년까지 연산 능력을 두 배로 늘릴 계획이다."),
    ("광주 AI 스타트업 12곳, 해외 판로 개척", "광주 지역 인공지능 스타트업 12곳이 동남아 시장에 진출한다. 광주정보문화산업진흥원이 현지 설명회를 지원했다."),
    ("광주AI융합센터 개소…연구 인력 80명 상주", "광주AI융합센터가 21일 문을 열었다. 센터에는 연구 인력 80명이 상주하며 의료·에너지 분야 인공지능을 개발한다."),
    ("전남 반도체 특화단지 지정 신청", "전라남도가 반도체 특화단지 지정을 신청했다. 도는 광주와 연계한 인력 양성 방안을 함께 냈다."),
    ("광주 반도체 설계 인력 300명 양성", "광주시와 지역 대학이 반도체 설계 인력 300명을 키운다. 교육은 내년 3월 시작한다."),
]


def story(i: int, outlets: int = 3) -> Story:
    names = OUTLETS[:outlets]
    return Story(
        id=100 + i,
        representative_url=url(i),
        title=TOPICS[i % len(TOPICS)][0],
        outlets=tuple(Outlet(n, f"https://news{k}.example.kr/a/{100 + i}") for k, n in enumerate(names)),
    )


def url(i: int, k: int = 0) -> str:
    return f"https://news{k}.example.kr/a/{100 + i}"


def article(i: int, when: datetime = T0) -> Article:
    title, body = TOPICS[i % len(TOPICS)]
    suffix = f" ({i})" if i >= len(TOPICS) else ""  # many stories in one digest still get distinct titles
    return Article(url=url(i), title=title + suffix, text=body, site_name=OUTLETS[0], published=when)


def match(rule: str = "gwangju-ai", title: str = "광주 AI", priority: str = "normal", new_inst: bool = False, destinations=()) -> Match:
    ev = (
        Evidence(term="광주", matched="광주시가", field="body", start=0, end=4, snippet="광주시가 첨단3지구에서"),
        Evidence(term="인공지능", matched="인공지능", field="body", start=15, end=19, snippet="인공지능 데이터센터"),
        Evidence(term="광주", matched="광주", field="title", start=0, end=2, snippet="광주시, 인공지능"),
    )
    inst = (InstitutionMention("광주AI융합센터", "AI융합센터", "광주AI융합센터가 21일 문을 열었다.", "개소", new_inst),)
    return Match(rule=rule, title=title, priority=priority, destinations=tuple(destinations), evidence=ev, institutions=inst if new_inst else ())


def settings(tmp_path, destinations=(), **extra) -> Settings:
    return Settings.model_validate({"data_dir": str(tmp_path / "data"), "destinations": list(destinations), **extra})
