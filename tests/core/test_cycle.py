"""The cycle's plain functions end to end, without Prefect: real HTTP on 127.0.0.1, real state."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import yaml
from sqlalchemy import func, select

from newswatch.config import load_settings
from newswatch.cycle import run_cycle
from newswatch.demo.site import start_demo_site
from newswatch.localserver import Route
from state import Store, schema
from tests.conftest import REPO

NOW = datetime.now(timezone.utc)


def _config(tmp_path, feeds, **extra):
    path = tmp_path / "cycle.yaml"
    data = {"data_dir": str(tmp_path / "data"), "rules": [str(REPO / "rules")], "feeds": feeds,
            "fetch": {"allow_private_addresses": True, "connect_timeout": 2, "read_timeout": 3, "total_timeout": 5},
            **extra}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_settings(path)


def _outbox(store):
    with store.engine.connect() as conn:
        return conn.execute(select(schema.outbox.c.rule, schema.outbox.c.payload, schema.outbox.c.revision)
                            .where(schema.outbox.c.story_id > 0)).all()


def test_demo_sources_cycle_then_nothing_new(tmp_path):
    site = start_demo_site(NOW)
    try:
        settings = _config(tmp_path, site.feeds)
        store = Store.open(settings.state_url)
        printed: list[str] = []
        first = run_cycle(settings, store, now=NOW, echo=printed.append)
        assert (first.new_entries, first.articles_extracted, first.duplicates_dropped) == (6, 6, 1)
        titles = {p["title"] for rule, p, _ in _outbox(store) if rule == "gwangju-ai"}
        assert "경기도 광주시, AI 신호 제어로 출퇴근 정체 줄인다" not in titles
        assert any("데이터센터 2단계" in t for t in titles) and len(titles) == 3
        # the wire story leads its entry (the fuller, earlier text), with the copy's outlet beside it,
        # even though the shorter copy was processed first
        assert printed and "광주 국가 AI 데이터센터 2단계 착공" in printed[0]
        assert "[종합] 광주 AI 데이터센터" not in printed[0] and "+1개 매체: 남도경제신문" in printed[0]
        # restart: a new store object on the same file sees everything as seen
        store.close()
        store = Store.open(settings.state_url)
        second = run_cycle(settings, store, now=NOW + timedelta(minutes=20), echo=printed.append)
        assert (second.new_entries, second.articles_extracted, second.digests_sent) == (0, 0, 0)
        store.close()
    finally:
        site.server.stop()


def _feed(items):
    body = "".join(f"<item><title>{t}</title><link>{l}</link><guid>{g}</guid><description>{d}</description>"
                   f"<pubDate>{format_datetime(NOW)}</pubDate></item>" for t, l, g, d in items)
    return Route(f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>테스트</title>{body}'
                 "</channel></rss>", content_type="application/rss+xml")


PAGE = """<html><head><meta charset="utf-8"><title>{title}</title><meta property="og:site_name" content="테스트일보"></head>
<body><nav><a href="/">홈</a> <a href="/a">정치</a> <a href="/b">경제</a></nav><article><h1>{title}</h1>
<div itemprop="articleBody">{body}</div></article><footer>ⓒ 테스트일보 무단전재 및 재배포 금지</footer></body></html>"""

BODY = ["광주광역시는 인공지능 반도체 설계 지원센터를 다음 달 첨단지구에 연다고 밝혔다.",
        "센터는 지역 팹리스 기업 스무 곳에 설계 도구와 시제품 제작 비용을 지원한다.",
        "시는 앞으로 3년 동안 모두 90억 원을 투입해 반도체 설계 인력 200명을 길러낼 계획이다.",
        "지원 대상 기업은 이달 말까지 광주정보문화산업진흥원 누리집에서 신청하면 된다."]
UPDATE = BODY + ["시는 이날 오후 설명회에서 신청 기업이 예상보다 많으면 지원 규모를 늘리는 방안도 검토하겠다고 덧붙였다.",
                 "설명회에 참석한 한 기업 대표는 설계 도구 비용이 가장 큰 부담이었다며 지원을 반겼다."]


def _page(title, paragraphs):
    return Route(PAGE.format(title=title, body="".join(f"<p>{p}</p>" for p in paragraphs)))


def test_broken_feed_and_pages_do_not_stop_the_cycle(tmp_path, http_server):
    srv = http_server
    srv.routes["/good.xml"] = _feed([
        ("광주 AI 반도체 설계 지원센터 연다", srv.url("/a1"), "a1", "요약"),
        ("사라진 기사", srv.url("/gone"), "gone", "광주광역시 인공지능 실증 사업 결과 보고회가 열렸다는 소식으로, 페이지는 삭제되었지만 피드 요약은 남아 있다."),
        ("잠시 오류", srv.url("/busy"), "busy", "잠시 뒤 다시 열리는 기사"),
    ])
    srv.routes["/a1"] = _page("광주 AI 반도체 설계 지원센터 연다", BODY)
    srv.routes["/gone"] = Route("없음", status=404)
    srv.routes["/busy"] = Route("잠시 후", status=503)
    srv.routes["/html.xml"] = Route("<html><body>피드가 아닙니다</body></html>")
    feeds = [{"name": "good", "url": srv.url("/good.xml")}, {"name": "notfeed", "url": srv.url("/html.xml")},
             {"name": "closed", "url": "http://127.0.0.1:9/rss"}]
    settings = _config(tmp_path, feeds)
    store = Store.open(settings.state_url)
    summary = run_cycle(settings, store, now=NOW, echo=lambda _: None)
    kinds = {f.feed: f.kind for f in summary.feed_failures}
    assert kinds == {"notfeed": "not_a_feed", "closed": "connection"}
    # the 404 page's story is still shown, from the feed's own summary; the 503 one waits for a retry
    assert summary.articles_extracted == 2
    assert [(u.rsplit("/", 1)[-1], k) for u, k, _ in summary.article_failures] == [("busy", "http_5xx")]
    with store.engine.connect() as conn:
        statuses = dict(conn.execute(select(schema.entries.c.guid, schema.entries.c.status)).all())
    assert statuses == {"a1": "done", "gone": "done", "busy": "pending"}
    # the page comes back: the next cycle picks the pending entry up (its retry time has come)
    srv.routes["/busy"] = _page("잠시 오류", ["광주 시민 천 명이 참여한 인공지능 교육 과정이 이번 주 수료식을 열었다.",
                                          "교육은 석 달 동안 주말마다 열렸고 참가자 대부분이 과정을 마쳤다."])
    later = run_cycle(settings, store, now=NOW + timedelta(hours=2), echo=lambda _: None)
    assert later.articles_extracted == 1
    store.close()


def test_update_alerts_again_only_for_rules_that_ask(tmp_path, http_server):
    srv = http_server
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / "r.yaml").write_text(yaml.safe_dump({"rules": [
        {"id": "once", "all": ["광주", "반도체"]},
        {"id": "again", "all": ["광주", "반도체"], "realert_on_update": True},
    ]}, allow_unicode=True), encoding="utf-8")
    srv.routes["/rss"] = _feed([("광주 반도체 설계 지원", srv.url("/v1"), "v1", "")])
    srv.routes["/v1"] = _page("광주 반도체 설계 지원", BODY)
    settings = _config(tmp_path, [{"name": "f", "url": srv.url("/rss")}], rules=[str(rules_dir)])
    store = Store.open(settings.state_url)
    run_cycle(settings, store, now=NOW, echo=lambda _: None)
    assert sorted((r, rev) for r, _, rev in _outbox(store)) == [("again", 0), ("once", 0)]
    # a plain copy from another outlet joins the story and alerts nobody
    srv.routes["/rss"] = _feed([("광주 반도체 설계 지원", srv.url("/v1"), "v1", ""),
                                ("[종합] 광주 반도체 설계 지원", srv.url("/copy"), "copy", "")])
    srv.routes["/copy"] = _page("[종합] 광주 반도체 설계 지원", BODY)
    copy = run_cycle(settings, store, now=NOW + timedelta(minutes=30), echo=lambda _: None)
    assert copy.duplicates_dropped == 1 and len(_outbox(store)) == 2
    # an update with two new paragraphs alerts again, for the rule that asks only
    srv.routes["/rss"] = _feed([("광주 반도체 설계 지원 (2보)", srv.url("/v2"), "v2", "")])
    srv.routes["/v2"] = _page("광주 반도체 설계 지원 (2보)", UPDATE)
    run_cycle(settings, store, now=NOW + timedelta(hours=1), echo=lambda _: None)
    rows = sorted((r, rev > 0) for r, _, rev in _outbox(store))
    assert rows == [("again", False), ("again", True), ("once", False)]
    store.close()


def test_an_article_that_fails_midway_leaves_no_trace_and_is_processed_next_cycle(tmp_path, state_url):
    """The article, its story, matches and outbox rows commit together: a failure after the dedup
    decision (here, the outbox insert) rolls all of it back, the entry stays pending, and the
    dedup index in memory does not remember a story that was never stored."""
    from state.errors import StateUnavailable

    site = start_demo_site(NOW)
    try:
        settings = _config(tmp_path, site.feeds, state={"url": state_url})
        store = Store.open(settings.state_url)
        real_enqueue, calls = store.outbox.enqueue, []

        def failing_once(rows, now):
            calls.append(rows[0]["payload"]["url"])
            if len(calls) == 1:
                raise StateUnavailable("state database error: connection lost")
            return real_enqueue(rows, now)

        store.outbox.enqueue = failing_once
        first = run_cycle(settings, store, now=NOW, deliver=False)
        failed_url = calls[0]
        assert [f[1] for f in first.article_failures] == ["state_unavailable"]
        assert first.articles_extracted == 5
        with store.engine.connect() as conn:
            urls = conn.execute(select(schema.articles.c.canonical_url)).scalars().all()
            members = conn.execute(select(func.count()).select_from(schema.story_members)).scalar()
            pending = conn.execute(select(schema.entries.c.status).where(schema.entries.c.status != "done")).all()
        assert failed_url not in urls and len(urls) == 5 and members == 5
        assert pending == [("pending",)]  # transient: tried again next cycle

        second = run_cycle(settings, store, now=NOW + timedelta(minutes=20), deliver=False)
        assert second.articles_extracted == 1 and not second.article_failures
        with store.engine.connect() as conn:
            statuses = conn.execute(select(schema.entries.c.status)).scalars().all()
            placed = conn.execute(select(func.count()).select_from(schema.story_members.join(
                schema.articles, schema.articles.c.id == schema.story_members.c.article_id))
                .where(schema.articles.c.canonical_url == failed_url)).scalar()
        assert set(statuses) == {"done"} and placed == 1
        # the same totals as a cycle that never failed: 6 articles, the wire copy in its story
        assert first.duplicates_dropped + second.duplicates_dropped == 1
        assert first.stories_new + second.stories_new == 5
        store.close()
    finally:
        site.server.stop()
