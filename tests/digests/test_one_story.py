"""A story that several rules match is one entry per destination, and is never sent again under another rule."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from digests.deliver import deliver_due
from digests.queue import queue_items
from tests.conftest import Route
from tests.digests.helpers import T0, article, match, settings, story

URL0 = "https://news0.example.kr/a/100"


@pytest.fixture
def hook(tmp_path, monkeypatch, http_server):
    http_server.routes["/hook"] = Route("ok", content_type="text/plain")
    monkeypatch.setenv("NW_TEST_HOOK", http_server.url("/hook").replace("http://", "json://"))

    def make(**dest):
        return settings(tmp_path, [{"name": "hook", "url": "${NW_TEST_HOOK}", "schedule": "immediate", **dest}])

    return make


def messages(server) -> list[str]:
    return [json.loads(b)["title"] + "\n" + json.loads(b)["message"] for m, _, _, b in server.requests if m == "POST"]


def test_two_rules_one_entry_in_the_first_rules_section(store, hook, http_server):
    s = hook()
    rules = [match("gwangju-ai", "광주 AI"), match("semis", "광주 반도체"), match("alert", "긴급 속보", priority="urgent")]
    assert queue_items(store, s, story(0), article(0), rules, T0) == 3
    report = deliver_due(store, s, T0)
    assert report.failures == () and report.sent[0].items == 1
    [text] = messages(http_server)
    assert text.count(URL0) == 1
    assert text.startswith("[newswatch] 긴급 속보 1건")  # the urgent rule's section, no other section
    assert "광주 AI (" not in text and "광주 반도체 (" not in text
    assert "다른 규칙: 광주 AI, 광주 반도체" in text
    assert store.outbox.pending() == [] and store.outbox.status_counts()["hook"]["sent"] == 3


def test_a_later_rule_for_the_same_story_is_not_sent_again(store, hook, http_server):
    s = hook()
    queue_items(store, s, story(0), article(0), [match("gwangju-ai", "광주 AI")], T0)
    deliver_due(store, s, T0)
    # the same story and revision, queued later under another rule
    assert queue_items(store, s, story(0), article(0), [match("semis", "광주 반도체")], T0 + timedelta(minutes=1)) == 1
    assert deliver_due(store, s, T0 + timedelta(minutes=2)).sent == ()
    assert len(messages(http_server)) == 1 and store.outbox.pending() == []
    # an update (a new revision) is a new alert
    queue_items(store, s, story(0), article(0), [match("semis", "광주 반도체")], T0 + timedelta(minutes=3), revision=7)
    assert deliver_due(store, s, T0 + timedelta(minutes=4)).sent[0].items == 1
    assert len(messages(http_server)) == 2


def test_rows_not_yet_due_go_with_the_story(store, hook, http_server):
    s = hook(schedule="hourly")
    at = T0 + timedelta(minutes=10)  # 08:10 in Seoul: the hourly rule waits for 09:00, the urgent one does not
    queue_items(store, s, story(0), article(0), [match("gwangju-ai", "광주 AI"), match("alert", "긴급", priority="urgent")], at)
    report = deliver_due(store, s, at)
    assert report.sent[0].items == 1 and store.outbox.pending() == []
    assert deliver_due(store, s, T0 + timedelta(hours=1, minutes=1)).sent == ()
    assert len(messages(http_server)) == 1


def test_without_destinations_the_local_digest_shows_the_story_once(store, tmp_path):
    s = settings(tmp_path)
    queue_items(store, s, story(0), article(0), [match("gwangju-ai", "광주 AI"), match("semis", "광주 반도체")], T0)
    shown = []
    deliver_due(store, s, T0, echo=shown.append)
    assert shown[0].count(URL0) == 1 and "다른 규칙: 광주 반도체" in shown[0]
    assert store.outbox.pending() == []
