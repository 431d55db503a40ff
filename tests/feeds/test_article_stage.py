"""The article stage against 127.0.0.1: one fetch per article URL per cycle, a page's Retry-After honoured."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
import yaml
from sqlalchemy import select

from newswatch.config import load_settings
from newswatch.cycle import enabled_feeds, extract_pages, poll_stage, process_pending
from newswatch.models import CycleSummary
from state import Store, schema
from state.entries import RETRY_AFTER_MAX, RETRY_BASE
from tests.conftest import Route

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)

PAGE = """<html><head><meta charset="utf-8"><title>{title}</title></head><body><article><h1>{title}</h1>
<div itemprop="articleBody"><p>광주광역시는 인공지능 반도체 설계 지원센터를 다음 달 첨단지구에 연다고 밝혔다.</p>
<p>센터는 지역 팹리스 기업 스무 곳에 설계 도구와 시제품 제작 비용을 지원한다.</p>
<p>시는 앞으로 3년 동안 모두 90억 원을 투입해 반도체 설계 인력 200명을 길러낼 계획이다.</p></div>
</article></body></html>"""


def feed(items) -> Route:
    body = "".join(f"<item><title>{t}</title><link>{link}</link><guid>{g}</guid><description>{d}</description>"
                   f"<pubDate>{format_datetime(NOW)}</pubDate></item>" for t, link, g, d in items)
    return Route(f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>시험</title>{body}'
                 "</channel></rss>", content_type="application/rss+xml")


@pytest.fixture
def cycle_env(tmp_path, http_server):
    rules = tmp_path / "rules"
    rules.mkdir()

    def make(feeds):
        path = tmp_path / "c.yaml"
        path.write_text(yaml.safe_dump({
            "data_dir": str(tmp_path / "data"), "rules": [str(rules)], "feeds": feeds,
            "fetch": {"allow_private_addresses": True, "connect_timeout": 2, "read_timeout": 3, "total_timeout": 5},
        }, allow_unicode=True), encoding="utf-8")
        settings = load_settings(path)
        return settings, Store.open(settings.state_url)
    return http_server, make


def run(settings, store, now=NOW, **kw) -> CycleSummary:
    summary = CycleSummary()
    poll_stage(settings, store, enabled_feeds(settings), now, summary)
    process_pending(settings, store, now, summary, **kw)
    return summary


def entries(store):
    with store.engine.connect() as conn:
        return {r.guid: r for r in conn.execute(select(schema.entries)).all()}


def article_count(store) -> int:
    with store.engine.connect() as conn:
        return len(conn.execute(select(schema.articles.c.id)).all())


def two_feeds_one_article(srv, page: Route | None = None):
    srv.routes["/a.xml"] = feed([("광주 AI 반도체 설계 지원센터 연다", srv.url("/news/1?utm_source=a&utm_medium=rss#top"),
                                  "a-1", "요약")])
    srv.routes["/b.xml"] = feed([("[속보] 광주 AI 반도체 센터", srv.url("/news/1?utm_campaign=b#comments"),
                                  "b-77", "요약")])
    srv.routes["/news/1"] = page or Route(PAGE.format(title="광주 AI 반도체 설계 지원센터 연다"))
    return [{"name": "a", "url": srv.url("/a.xml")}, {"name": "b", "url": srv.url("/b.xml")}]


def page_requests(srv) -> int:
    return sum(1 for _, path, _, _ in srv.requests if path.startswith("/news/1"))


@pytest.mark.parametrize("mode", ["one batch", "batches of one", "batches of one, looking ahead"])
def test_the_same_article_from_two_feeds_is_fetched_once(cycle_env, mode):
    srv, make = cycle_env
    settings, store = make(two_feeds_one_article(srv))
    kw = {}
    if mode != "one batch":
        kw["batch_size"] = 1
    if mode.endswith("looking ahead"):
        # a fanned-out run claims and fetches the next batch before the current one is stored
        kw["extract_submit"] = lambda pages: (lambda: extract_pages(pages, settings))
    summary = run(settings, store, **kw)
    assert page_requests(srv) == 1
    assert article_count(store) == 1 and summary.articles_extracted == 1
    rows = entries(store)
    assert {g: r.status for g, r in rows.items()} == {"a-1": "done", "b-77": "done"}
    assert rows["a-1"].article_id == rows["b-77"].article_id is not None
    assert summary.duplicates_dropped == 1 and not summary.article_failures  # counted, not dropped silently
    store.close()


def test_a_failed_shared_page_fails_both_entries_with_one_request(cycle_env):
    srv, make = cycle_env
    settings, store = make(two_feeds_one_article(srv, Route("busy", status=503, headers={"Retry-After": "1800"})))
    summary = run(settings, store)
    assert page_requests(srv) == 1
    rows = entries(store)
    for guid in ("a-1", "b-77"):
        assert rows[guid].status == "pending" and rows[guid].error_kind == "http_5xx"
        assert rows[guid].next_attempt_at == NOW + timedelta(seconds=1800)
    assert [k for _, k, _ in summary.article_failures] == ["http_5xx", "http_5xx"]
    store.close()


@pytest.mark.parametrize("status,retry_after,expected", [
    (429, "3600", timedelta(hours=1)),
    (503, "in 45 minutes", None),  # an HTTP date
    (429, "60", RETRY_BASE),  # shorter than the entry's own backoff: the backoff wins
    (503, "999999999", RETRY_AFTER_MAX),  # bounded
    (503, None, RETRY_BASE),
])
def test_a_pages_retry_after_sets_the_entrys_next_attempt(cycle_env, status, retry_after, expected):
    srv, make = cycle_env
    if retry_after == "in 45 minutes":  # dates are read against the wall clock
        retry_after = format_datetime(datetime.now(timezone.utc) + timedelta(minutes=45), usegmt=True)
    srv.routes["/f.xml"] = feed([("잠시 오류", srv.url("/busy"), "busy", "잠시 뒤 다시 열리는 기사")])
    srv.routes["/busy"] = Route("slow down", status=status, headers={"Retry-After": retry_after} if retry_after else {})
    settings, store = make([{"name": "f", "url": srv.url("/f.xml")}])
    run(settings, store)
    row = entries(store)["busy"]
    assert row.status == "pending" and row.attempts == 1
    wait = row.next_attempt_at - NOW
    if expected is None:
        assert timedelta(minutes=40) < wait <= timedelta(minutes=45)
    else:
        assert wait == expected
    # not claimed before then: no second request in a cycle before the time
    n = len(srv.requests)
    run(settings, store, now=NOW + min(wait, RETRY_AFTER_MAX) - timedelta(seconds=1))
    assert sum(1 for _, p, _, _ in srv.requests[n:] if p == "/busy") == 0
    store.close()


def test_dedup_features_are_computed_once_per_batch(cycle_env, monkeypatch):
    from dedup.index import DedupIndex

    srv, make = cycle_env
    second = PAGE.split("<p>")[0] + (
        "<p>국가 AI 데이터센터 2단계 구축 사업이 올해 예산안에 반영돼 착공 절차에 들어간다.</p>"
        "<p>과학기술정보통신부는 연산 용량을 지금의 두 배로 늘리는 설계를 마쳤다고 설명했다.</p>"
        "<p>입주를 희망하는 기업은 다음 달 말까지 신청서를 내면 된다.</p></div></article></body></html>")
    srv.routes["/news/1"] = Route(PAGE.format(title="광주 AI 반도체 설계 지원센터 연다"))
    srv.routes["/news/2"] = Route(PAGE.format(title="[종합] 광주에 AI 반도체 설계 지원센터"))  # a copy of /news/1
    srv.routes["/news/3"] = Route(second.format(title="광주 AI 데이터센터 2단계 착수"))
    srv.routes["/news/4"] = Route("gone", status=404)  # shown from the feed's summary: its own features
    SUMMARY = "광주광역시가 인공지능 산업 육성을 위한 새 지원 사업 계획을 발표했다고 오늘 밝혔다."
    srv.routes["/a.xml"] = feed([(f"기사 {i}", srv.url(f"/news/{i}"), f"g{i}", SUMMARY) for i in range(1, 5)])
    settings, store = make([{"name": "a", "url": srv.url("/a.xml")}])
    batches, singles = [], []
    many, one = DedupIndex.features_many, DedupIndex.features
    monkeypatch.setattr(DedupIndex, "features_many", lambda self, arts: batches.append(len(arts)) or many(self, arts))
    monkeypatch.setattr(DedupIndex, "features", lambda self, art: singles.append(art.url) or one(self, art))
    summary = run(settings, store)
    assert batches == [3] and singles == [srv.url("/news/4")]
    assert summary.articles_extracted == 4 and summary.stories_new == 3 and summary.duplicates_dropped == 1
    assert {r.status for r in entries(store).values()} == {"done"}
    store.close()
