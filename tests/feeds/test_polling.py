"""poll_feeds end to end against 127.0.0.1: seen entries, conditional GET, backoff, notices, isolation."""
from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta, timezone

import pytest

from extractors.http import Fetcher
from newswatch.config import FeedConfig, FetchSettings, HealthSettings, Settings
from newswatch.polling import backoff_delay, parse_duration, poll_feeds
from tests.conftest import Route
from tests.feeds.fixtures import items, rss
from tests.feeds.helpers import open_store

T0 = datetime(2026, 11, 20, 0, 0, tzinfo=timezone.utc)


def make_settings(feeds, **health) -> Settings:
    return Settings(feeds=feeds, fetch=FetchSettings(allow_private_addresses=True, read_timeout=2, total_timeout=5),
                    health=HealthSettings(**health))


def poll(settings, store, now, feeds=None):
    async def run():
        async with Fetcher(settings.fetch) as f:
            return await poll_feeds(settings, store, f, feeds or settings.feeds, now, rng=random.Random(1))
    return {p.feed: p for p in asyncio.run(run())}


@pytest.fixture
def db(state_url):
    store = open_store(state_url)
    yield store
    store.close()


def test_seen_entries_survive_a_restart(http_server, state_url):
    http_server.routes["/f"] = Route(rss(items(3)), content_type="application/rss+xml")
    settings = make_settings([FeedConfig(name="광주일보", url=http_server.url("/f"))])
    store = open_store(state_url)
    first = poll(settings, store, T0)["광주일보"]
    assert first.status == "ok" and len(first.new_entries) == 3 and first.entries_seen == 3
    store.close()

    http_server.routes["/f"] = Route(rss(items(5)), content_type="application/rss+xml")  # 3 old + 2 new
    store = open_store(state_url)
    second = poll(settings, store, T0 + timedelta(hours=1))["광주일보"]
    assert [e.guid for e in second.new_entries] == [f"https://news.example.kr/article/{i}" for i in (3, 4)]
    assert second.entries_seen == 5
    third = poll(settings, store, T0 + timedelta(hours=2))["광주일보"]
    assert third.new_entries == ()
    store.close()


def test_304_with_stored_etag(http_server, db):
    def route(h):
        if h.headers.get("If-None-Match") == '"abc"':
            return Route(status=304, headers={"ETag": '"abc"'})
        return Route(rss(items(2)), headers={"ETag": '"abc"', "Last-Modified": "Fri, 20 Nov 2026 00:00:00 GMT"})
    http_server.routes["/e"] = route
    settings = make_settings([FeedConfig(name="e", url=http_server.url("/e"))])
    assert poll(settings, db, T0)["e"].status == "ok"
    assert db.feeds.get("e").etag == '"abc"'
    p = poll(settings, db, T0 + timedelta(minutes=10))["e"]
    assert p.status == "not_modified" and p.new_entries == ()
    headers = http_server.requests[-1][2]
    assert headers["If-None-Match"] == '"abc"'
    assert headers["If-Modified-Since"] == "Fri, 20 Nov 2026 00:00:00 GMT"
    assert db.feeds.get("e").last_success_at == T0 + timedelta(minutes=10)


def test_retry_after_is_honoured(http_server, db):
    http_server.routes["/r"] = Route("busy", status=429, headers={"Retry-After": "7200"})
    settings = make_settings([FeedConfig(name="r", url=http_server.url("/r"))], base_backoff="15m")
    p = poll(settings, db, T0)["r"]
    assert p.status == "failed" and p.failure.kind == "http_429" and p.failure.transient
    assert db.feeds.get("r").next_check_at == T0 + timedelta(seconds=7200)
    assert poll(settings, db, T0 + timedelta(hours=1))["r"].status == "skipped"
    assert len(http_server.requests) == 1
    http_server.routes["/r"] = Route(rss(items(1)))
    assert poll(settings, db, T0 + timedelta(hours=2, seconds=1))["r"].status == "ok"


def test_backoff_grows_is_capped_and_alerts_once_then_recovers(http_server, db):
    http_server.routes["/b"] = Route("down", status=503)
    settings = make_settings([FeedConfig(name="b", url=http_server.url("/b"))],
                             alert_after_failures=3, base_backoff="15m", max_backoff="2h")
    now = T0
    delays = []
    for _ in range(7):
        p = poll(settings, db, now)["b"]
        assert p.status == "failed" and p.failure.kind == "http_5xx"
        state = db.feeds.get("b")
        delays.append(state.next_check_at - now)
        # before the next check: skipped, no request made
        n = len(http_server.requests)
        assert poll(settings, db, state.next_check_at - timedelta(seconds=1))["b"].status == "skipped"
        assert len(http_server.requests) == n
        now = state.next_check_at
    assert db.feeds.get("b").consecutive_failures == 7
    # exponential with jitter in [½, 1] of base·2^(n-1), never above the cap
    for i, d in enumerate(delays):
        expected = min(timedelta(minutes=15) * 2 ** i, timedelta(hours=2))
        assert expected / 2 <= d <= expected or d == timedelta(hours=2)
        assert d <= timedelta(hours=2)
    assert delays[-1] > delays[0]
    failing = db.feeds.notices("feed-failing:")
    assert len(failing) == 1 and "3 times" in failing[0]["body"]

    http_server.routes["/b"] = Route(rss(items(1)))
    p = poll(settings, db, now)["b"]
    assert p.status == "ok"
    state = db.feeds.get("b")
    assert state.consecutive_failures == 0 and state.next_check_at is None and not state.alerted_failing
    assert len(db.feeds.notices("feed-recovered:")) == 1
    poll(settings, db, now + timedelta(hours=1))
    assert len(db.feeds.notices("feed-recovered:")) == 1 and len(db.feeds.notices("feed-failing:")) == 1


def test_permanent_failures_are_retried_at_least_daily(http_server, db):
    http_server.routes["/gone"] = Route("gone", status=404)
    settings = make_settings([FeedConfig(name="g", url=http_server.url("/gone"))])
    now = T0
    for _ in range(12):
        poll(settings, db, now)
        state = db.feeds.get("g")
        assert state.next_check_at - now <= timedelta(hours=24)
        now = state.next_check_at
    assert state.consecutive_failures == 12 and state.last_error_kind == "http_404"


def test_one_broken_feed_never_fails_the_batch(http_server, db, monkeypatch):
    import newswatch.polling as polling

    http_server.routes["/ok"] = Route(rss(items(2)))
    http_server.routes["/boom"] = Route(rss(items(2, prefix="https://other.example.kr/")))
    http_server.routes["/html"] = Route("<!doctype html><html><body>점검 중</body></html>")
    real = polling.parse_feed

    def flaky(content, **kw):
        if kw["feed_name"] == "boom":
            raise RuntimeError("unexpected bug")
        return real(content, **kw)
    monkeypatch.setattr(polling, "parse_feed", flaky)
    settings = make_settings([FeedConfig(name="ok", url=http_server.url("/ok")),
                              FeedConfig(name="boom", url=http_server.url("/boom")),
                              FeedConfig(name="html", url=http_server.url("/html")),
                              FeedConfig(name="dead", url="http://127.0.0.1:1/feed")])
    done = []
    async def run():
        async with Fetcher(settings.fetch) as f:
            return await poll_feeds(settings, db, f, settings.feeds, T0, on_done=done.append)
    polls = {p.feed: p for p in asyncio.run(run())}
    assert polls["ok"].status == "ok" and len(polls["ok"].new_entries) == 2
    assert polls["boom"].status == "failed" and polls["boom"].failure.kind == "internal"
    assert polls["html"].failure.kind == "not_a_feed" and not polls["html"].failure.transient
    assert polls["dead"].failure.kind == "connection"
    assert sorted(p.feed for p in done) == ["boom", "dead", "html", "ok"]
    assert db.feeds.get("boom").consecutive_failures == 1


def test_silence_alert_once(http_server, db):
    counter = {"n": 0}
    http_server.routes["/s"] = lambda h: Route(rss(items(counter["n"] + 1)))
    settings = make_settings([FeedConfig(name="s", url=http_server.url("/s"))], silence_factor=5)
    now = T0
    for _ in range(5):  # a new item every hour
        assert len(poll(settings, db, now)["s"].new_entries) >= 1
        counter["n"] += 1
        now += timedelta(hours=1)
    counter["n"] -= 1  # the feed stops publishing
    poll(settings, db, now + timedelta(hours=2))
    assert db.feeds.notices("feed-silent:") == []
    poll(settings, db, now + timedelta(hours=7))
    poll(settings, db, now + timedelta(hours=8))
    assert len(db.feeds.notices("feed-silent:")) == 1
    counter["n"] += 1
    poll(settings, db, now + timedelta(hours=9))
    assert len(db.feeds.notices("feed-active:")) == 1


def test_disabled_feeds_are_not_polled(http_server, db):
    http_server.routes["/d"] = Route(rss(items(1)))
    settings = make_settings([FeedConfig(name="d", url=http_server.url("/d"), enabled=False)])
    assert poll(settings, db, T0) == {}
    assert http_server.requests == []


def test_encoding_override_and_feed_timezone(http_server, db):
    its = items(1, date="2026-11-20 09:00:00")
    http_server.routes["/k"] = Route(rss(its, encoding="cp949", declare="utf-8"), content_type="text/xml; charset=utf-8")
    settings = make_settings([FeedConfig(name="k", url=http_server.url("/k"), encoding="euc-kr",
                                         timezone="America/New_York")])
    p = poll(settings, db, T0)["k"]
    (e,) = p.new_entries
    assert e.title.startswith("광주시") and p.encoding == "euc-kr"
    assert e.published.utcoffset() == timedelta(hours=-5)


def test_durations_and_backoff_cap():
    assert parse_duration("15m") == timedelta(minutes=15) and parse_duration("24h") == timedelta(hours=24)
    with pytest.raises(ValueError):
        parse_duration("soon")
    h = HealthSettings(base_backoff="15m", max_backoff="24h")
    assert backoff_delay(h, 50, rng=random.Random(0)) == timedelta(hours=24)
    assert backoff_delay(h, 1, retry_after=10 ** 9) == timedelta(hours=24)


def test_silence_detected_through_304s(http_server, db):
    counter = {"n": 1, "304": False}

    def route(h):
        if counter["304"] and h.headers.get("If-None-Match"):
            return Route(status=304)
        return Route(rss(items(counter["n"])), headers={"ETag": f'"{counter["n"]}"'})
    http_server.routes["/q"] = route
    settings = make_settings([FeedConfig(name="q", url=http_server.url("/q"))], silence_factor=5)
    now = T0
    for _ in range(5):
        poll(settings, db, now)
        counter["n"] += 1
        now += timedelta(hours=1)
    counter["304"] = True
    assert poll(settings, db, now + timedelta(hours=1))["q"].status == "not_modified"
    assert db.feeds.notices("feed-silent:") == []
    assert db.feeds.get("q").last_success_at == now + timedelta(hours=1)
    poll(settings, db, now + timedelta(hours=8))
    poll(settings, db, now + timedelta(hours=9))
    assert len(db.feeds.notices("feed-silent:")) == 1


def test_batched_writes_keep_feeds_apart(http_server, db):
    """Feeds recorded in one write batch: the same GUID in two feeds is new in each, counted per feed."""
    for i in range(6):
        http_server.routes[f"/m{i}"] = Route(rss(items(3 + i)))  # same GUIDs across feeds, different counts
    settings = make_settings([FeedConfig(name=f"m{i}", url=http_server.url(f"/m{i}")) for i in range(6)])
    polls = poll(settings, db, T0)
    for i in range(6):
        p = polls[f"m{i}"]
        assert p.status == "ok" and len(p.new_entries) == 3 + i == len(set(p.entry_ids))
        assert all(e.feed == f"m{i}" for e in p.new_entries)
    ids = [i for p in polls.values() for i in p.entry_ids]
    assert len(ids) == len(set(ids))
    assert all(poll(settings, db, T0 + timedelta(hours=1))[f"m{i}"].new_entries == () for i in range(6))


def test_state_failure_becomes_a_failed_poll(http_server, db, monkeypatch):
    from state.errors import StateUnavailable

    http_server.routes["/z"] = Route(rss(items(2)))
    settings = make_settings([FeedConfig(name="z", url=http_server.url("/z"))])

    def broken(*a, **kw):
        raise StateUnavailable("database is locked")
    monkeypatch.setattr(db.feeds, "record_polls", broken)
    p = poll(settings, db, T0)["z"]
    assert p.status == "failed" and p.failure.kind == "state_unavailable" and p.failure.transient
    monkeypatch.undo()
    assert len(poll(settings, db, T0 + timedelta(days=1))["z"].new_entries) == 2  # nothing was lost


def test_changed_guid_with_the_same_link_is_not_new_again(http_server, state_url):
    """Identity is the GUID and the canonical URL: a feed that renumbers its GUIDs does not flood."""
    its = items(3)
    http_server.routes["/g"] = Route(rss(its), content_type="application/rss+xml")
    settings = make_settings([FeedConfig(name="g", url=http_server.url("/g"))])
    store = open_store(state_url)
    assert len(poll(settings, store, T0)["g"].new_entries) == 3
    store.close()
    renumbered = [{**it, "guid": f"urn:v2:{i}", "link": it["link"].replace("utm_source=rss", "utm_source=feed") + "#x"}
                  for i, it in enumerate(its)] + items(1, start=3)
    http_server.routes["/g"] = Route(rss(renumbered), content_type="application/rss+xml")
    store = open_store(state_url)  # across a restart
    p = poll(settings, store, T0 + timedelta(hours=1))["g"]
    assert [e.guid for e in p.new_entries] == ["https://news.example.kr/article/3"] and p.entries_seen == 4
    store.close()
