"""deliver_due with schedules, quiet hours, urgent items, empty digests, the first-run local digest, two workers."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from digests.deliver import deliver_due
from digests.queue import queue_items
from tests.conftest import Route
from tests.digests.helpers import T0, article, match, settings, story

SEOUL = ZoneInfo("Asia/Seoul")


def kst(day, h, m=0):
    return datetime(2026, 11, day, h, m, tzinfo=SEOUL).astimezone(timezone.utc)


def hook(tmp_path, monkeypatch, server, **dest):
    server.routes["/hook"] = Route("ok", content_type="text/plain")
    monkeypatch.setenv("NW_TEST_HOOK", server.url("/hook").replace("http://", "json://"))
    return settings(tmp_path, [{"name": "hook", "url": "${NW_TEST_HOOK}", **dest}])


def posts(server):
    return [json.loads(b) for m, _, _, b in server.requests if m == "POST"]


def test_daily_digest_waits_for_its_time_and_quiet_hours(store, tmp_path, monkeypatch, http_server):
    s = hook(tmp_path, monkeypatch, http_server, schedule="daily", at="08:30", quiet_hours="22:00-09:00")
    queue_items(store, s, story(0), article(0), [match()], kst(21, 10))
    assert deliver_due(store, s, kst(21, 23)).sent == ()
    # 08:30 the next day is inside the quiet hours: delayed to 09:00, not dropped
    assert deliver_due(store, s, kst(22, 8, 45)).sent == ()
    report = deliver_due(store, s, kst(22, 9, 0))
    assert report.sent[0].items == 1 and len(posts(http_server)) == 1


def test_urgent_goes_at_once_even_in_quiet_hours(store, tmp_path, monkeypatch, http_server):
    s = hook(tmp_path, monkeypatch, http_server, schedule="daily", quiet_hours="22:00-07:00")
    queue_items(store, s, story(0), article(0), [match("alarm", "긴급", priority="urgent")], kst(21, 23))
    queue_items(store, s, story(1), article(1), [match()], kst(21, 23))
    report = deliver_due(store, s, kst(21, 23, 1))
    assert report.sent[0].items == 1 and "긴급" in posts(http_server)[0]["title"]
    assert len(store.outbox.pending()) == 1


def test_send_empty_once_per_slot(store, tmp_path, monkeypatch, http_server):
    s = hook(tmp_path, monkeypatch, http_server, schedule="daily", at="08:30", send_empty=True)
    deliver_due(store, s, kst(21, 8, 40))
    deliver_due(store, s, kst(21, 12, 0))
    deliver_due(store, s, kst(22, 8, 31))
    titles = [p["title"] for p in posts(http_server)]
    assert titles == ["[newswatch] 새 소식 없음", "[newswatch] 새 소식 없음"]
    assert store.outbox.status_counts() == {}  # the markers are not items


def test_no_empty_message_by_default(store, tmp_path, monkeypatch, http_server):
    s = hook(tmp_path, monkeypatch, http_server, schedule="hourly")
    assert deliver_due(store, s, kst(21, 9)).sent == () and posts(http_server) == []


def test_first_run_without_destinations_writes_files_and_echoes(store, tmp_path):
    s = settings(tmp_path)
    for i in range(2):
        queue_items(store, s, story(i), article(i), [match()], T0)
    store.outbox.add_notice("feed-failing:x:1", "빛고을일보 피드 실패", "3회 연속 실패", T0)
    echoed = []
    report = deliver_due(store, s, T0, echo=echoed.append)
    assert report.sent[0].destination == "local" and report.sent[0].items == 2
    [text] = echoed
    assert "광주 AI 2건" in text and "빛고을일보 피드 실패" in text
    files = sorted(p.suffix for p in s.digest_dir.iterdir())
    assert files == [".html", ".txt"]
    assert deliver_due(store, s, T0 + timedelta(hours=1), echo=echoed.append).sent == () and len(echoed) == 1


def test_two_workers_never_claim_the_same_item(store, tmp_path):
    s = settings(tmp_path, [{"name": "hook", "url": "json://127.0.0.1:1/x"}])
    for i in range(5):
        queue_items(store, s, story(i), article(i), [match()], T0)
    repo = store.outbox
    ids = [r.id for r in repo.pending()]
    a = repo.claim(ids, "worker-a", T0)
    b = repo.claim(ids, "worker-b", T0)
    assert len(a) == 5 and b == []
    # a crashed worker's claim is taken back by another only after the lease
    assert repo.release_stale("worker-b", T0 + timedelta(minutes=5), timedelta(minutes=15)) == 0
    assert repo.release_stale("worker-b", T0 + timedelta(minutes=16), timedelta(minutes=15)) == 5
