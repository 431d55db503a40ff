"""Backoff settings are checked when the config is loaded, and a feed failure can never crash a poll."""
from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta, timezone

import pytest

from extractors.http import Fetcher
from newswatch.config import FeedConfig, FetchSettings, HealthSettings, Settings, load_settings
from newswatch.errors import ConfigError
from newswatch.polling import backoff_delay, poll_feeds
from tests.conftest import Route
from tests.feeds.helpers import open_store

T0 = datetime(2026, 11, 20, tzinfo=timezone.utc)


def load(tmp_path, health: str):
    path = tmp_path / "c.yaml"
    path.write_text("timezone: Asia/Seoul\nhealth:\n" + health, encoding="utf-8")
    return path, lambda: load_settings(path)


@pytest.mark.parametrize("line,field,words", [
    ('  base_backoff: "15 minutes"\n', "health.base_backoff", "not a duration: '15 minutes'"),
    ("  max_backoff: soon\n", "health.max_backoff", "not a duration: 'soon'"),
    ("  max_backoff: 2d\n", "health.max_backoff", "retried at least daily"),
    ("  max_backoff: 90000\n", "health.max_backoff", "longer than 1 day"),
    ("  base_backoff: 0s\n", "health.base_backoff", "longer than zero"),
    ("  base_backoff: [15m]\n", "health.base_backoff", "not a duration"),
])
def test_bad_durations_are_refused_at_load_with_file_line_and_field(tmp_path, line, field, words):
    path, loader = load(tmp_path, "  alert_after_failures: 3\n" + line)
    with pytest.raises(ConfigError) as err:
        loader()
    assert f"{path}:4:3: {field}:" in str(err.value) and words in str(err.value)


def test_base_longer_than_max_is_refused(tmp_path):
    path, loader = load(tmp_path, "  base_backoff: 2h\n  max_backoff: 1h\n")
    with pytest.raises(ConfigError, match=r"health: .*base_backoff \(2h\) is longer than max_backoff \(1h\)") as err:
        loader()
    assert f"{path}:2:" in str(err.value)


def test_good_durations_load(tmp_path):
    _, loader = load(tmp_path, "  base_backoff: 900\n  max_backoff: 24h\n")
    health = loader().health
    assert health.base_backoff == "900s" and health.max_backoff == "24h"
    assert backoff_delay(health, 1, rng=random.Random(0)) <= timedelta(minutes=15)
    assert HealthSettings(base_backoff="1d", max_backoff="1d").max_backoff == "1d"


def test_backoff_never_exceeds_a_day_nor_overflows():
    h = HealthSettings(base_backoff="1d", max_backoff="24h")
    assert backoff_delay(h, 10_000, rng=random.Random(0)) == timedelta(days=1)
    assert backoff_delay(h, 1, retry_after=1e30) == timedelta(days=1)
    # settings that skipped validation (model_copy) cannot break the poll: defaults are used
    broken = h.model_copy(update={"base_backoff": "15 minutes", "max_backoff": "3d"})
    assert timedelta(minutes=7, seconds=30) <= backoff_delay(broken, 1) <= timedelta(minutes=15)
    assert backoff_delay(broken, 30) == timedelta(days=1)


def _poll(settings, store):
    async def run():
        async with Fetcher(settings.fetch) as f:
            return await poll_feeds(settings, store, f, settings.feeds, T0, rng=random.Random(1))
    return {p.feed: p for p in asyncio.run(run())}


def test_a_failure_while_recording_a_failure_does_not_escape(http_server, sqlite_url, monkeypatch):
    """The catch-all for one feed calls the failure path again; that path itself cannot raise."""
    import newswatch.polling as polling

    http_server.routes["/down"] = Route("down", status=503)
    http_server.routes["/ok"] = Route(b'<rss version="2.0"><channel><title>t</title><item><title>x</title>'
                                      b"<link>https://news.example.kr/a/1</link></item></channel></rss>")
    settings = Settings(feeds=[FeedConfig(name="down", url=http_server.url("/down")),
                               FeedConfig(name="ok", url=http_server.url("/ok"))],
                        fetch=FetchSettings(allow_private_addresses=True, read_timeout=2, total_timeout=5))

    def broken(*a, **kw):
        raise ValueError("not a duration: '15 minutes'")
    monkeypatch.setattr(polling, "backoff_delay", broken)
    store = open_store(sqlite_url)
    try:
        polls = _poll(settings, store)
        assert polls["down"].status == "failed" and polls["down"].failure.kind == "http_5xx"
        assert polls["ok"].status == "ok" and len(polls["ok"].new_entries) == 1
    finally:
        store.close()


def test_invalid_backoff_settings_still_record_the_failure(http_server, sqlite_url):
    http_server.routes["/down"] = Route("down", status=503)
    settings = Settings(feeds=[FeedConfig(name="down", url=http_server.url("/down"))],
                        fetch=FetchSettings(allow_private_addresses=True, read_timeout=2, total_timeout=5))
    settings = settings.model_copy(update={"health": settings.health.model_copy(update={"base_backoff": "15 minutes"})})
    store = open_store(sqlite_url)
    try:
        p = _poll(settings, store)["down"]
        assert p.status == "failed" and p.next_check_at is not None
        state = store.feeds.get("down")
        assert state.consecutive_failures == 1 and state.next_check_at - T0 <= timedelta(minutes=15)
    finally:
        store.close()
