"""Webhooks through apprise to a local HTTP server: json:// and Slack (apprise's Slack plugin, host pointed here)."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from digests.deliver import deliver_due
from digests.queue import queue_items
from digests.render_slack import check_payload
from tests.conftest import Route
from tests.digests.helpers import T0, article, match, settings, story

SLACK_TOKENS = "T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"


def json_settings(tmp_path, monkeypatch, url, **dest):
    monkeypatch.setenv("NW_TEST_HOOK", url)
    return settings(tmp_path, [{"name": "hook", "url": "${NW_TEST_HOOK}", "schedule": "immediate", **dest}])


def queue(store, s, n, at=T0, new_inst_at=()):
    for i in range(n):
        queue_items(store, s, story(i), article(i, at), [match(new_inst=i in new_inst_at)], at)


def answers(*statuses):
    """A route answering with these statuses in turn, then 200."""
    left = list(statuses)

    def route(_handler):
        status = left.pop(0) if left else 200
        return Route("error" if status >= 400 else "ok", status=status, content_type="text/plain")

    return route


def posted(server, path):
    return [json.loads(body) for method, p, _, body in server.requests if method == "POST" and p.startswith(path)]


def test_json_500_then_200(store, tmp_path, monkeypatch, http_server):
    http_server.routes["/hook"] = answers(500)
    s = json_settings(tmp_path, monkeypatch, http_server.url("/hook").replace("http://", "json://"))
    queue(store, s, 3)
    first = deliver_due(store, s, T0)
    assert first.sent == () and "500" in first.failures[0][1] and first.pending == 3
    second = deliver_due(store, s, T0 + timedelta(minutes=10))
    assert second.failures == () and second.sent[0].items == 3
    bodies = posted(http_server, "/hook")
    assert len(bodies) == 2 and bodies[0]["title"] == bodies[1]["title"] == "[newswatch] 광주 AI 3건"  # the retry sends the same digest
    for i in range(3):
        assert bodies[1]["message"].count(f"https://news0.example.kr/a/{100 + i}") == 1
    assert store.outbox.pending() == []


@pytest.mark.parametrize("status", [404, 400, 302])
def test_non_2xx_answer_is_a_failure(store, tmp_path, monkeypatch, http_server, status):
    # changedetection.io once counted a 404 as delivered: apprise's plugin result must not
    http_server.routes["/hook"] = answers(status)
    s = json_settings(tmp_path, monkeypatch, http_server.url("/hook").replace("http://", "json://"))
    queue(store, s, 1)
    report = deliver_due(store, s, T0)
    assert report.sent == () and str(status) in report.failures[0][1]
    [row] = store.outbox.pending()
    assert row.attempts == 1 and row.last_error


def test_unreachable_and_invalid_urls_fail_cleanly(store, tmp_path, monkeypatch):
    s = json_settings(tmp_path, monkeypatch, "json://127.0.0.1:1/hook")
    queue(store, s, 1)
    assert deliver_due(store, s, T0).failures
    s2 = json_settings(tmp_path, monkeypatch, "nosuchservice://whatever")
    report = deliver_due(store, s2, T0 + timedelta(days=1))
    assert report.failures and "not a valid apprise URL" in report.failures[0][1]
    assert "whatever" not in report.failures[0][1]


def test_missing_env_var_is_a_clear_failure(store, tmp_path, monkeypatch):
    monkeypatch.delenv("NW_TEST_UNSET", raising=False)
    s = settings(tmp_path, [{"name": "hook", "url": "${NW_TEST_UNSET}", "schedule": "immediate"}])
    queue(store, s, 1)
    report = deliver_due(store, s, T0)
    assert report.failures == (("hook", "destinations.hook.url: environment variable NW_TEST_UNSET is not set"),)
    assert len(store.outbox.pending()) == 1


@pytest.fixture
def slack_here(http_server, monkeypatch):
    """Point apprise's Slack plugin at the local server (its host is fixed to hooks.slack.com)."""
    from apprise.plugins.slack import NotifySlack

    monkeypatch.setattr(NotifySlack, "webhook_url", http_server.url("/services"))
    return http_server


def test_slack_long_digest_within_limits_in_order(store, tmp_path, monkeypatch, slack_here):
    path = "/services/" + SLACK_TOKENS
    slack_here.routes[path] = answers()
    s = json_settings(tmp_path, monkeypatch, "slack://" + SLACK_TOKENS, max_items=25)
    queue(store, s, 40, new_inst_at=(3,))
    report = deliver_due(store, s, T0)
    assert report.failures == () and report.sent[0].items == 40
    payloads = posted(slack_here, path)
    assert len(payloads) >= 3  # 40 stories: two digests (25 + 15), each several messages
    for p in payloads:
        assert check_payload(p) == [], p
        blocks = p["attachments"][0]["blocks"]
        assert blocks[0]["type"] == "header" and blocks[1]["text"]["type"] == "mrkdwn"
    text = "\n".join(p["attachments"][0]["blocks"][1]["text"]["text"] for p in payloads)
    urls = re.findall(r"\*<(https://news0\.example\.kr/a/\d+)\|", text)  # story titles, not institution links
    assert sorted(urls) == sorted(f"https://news0.example.kr/a/{100 + i}" for i in range(40))  # all, once each
    assert "광주AI융합센터" in text and "왜 알림이 왔나" in text


def test_slack_500_mid_digest_resends_only_what_is_missing(store, tmp_path, monkeypatch, slack_here):
    path = "/services/" + SLACK_TOKENS
    calls = {"n": 0}

    def route(_h):
        calls["n"] += 1
        return Route("ok" if calls["n"] != 2 else "server_error", status=200 if calls["n"] != 2 else 500, content_type="text/plain")

    slack_here.routes[path] = route
    s = json_settings(tmp_path, monkeypatch, "slack://" + SLACK_TOKENS)
    queue(store, s, 20)
    first = deliver_due(store, s, T0)
    assert first.failures and first.sent[0].items > 0
    sent_first = first.sent[0].items
    second = deliver_due(store, s, T0 + timedelta(minutes=10))
    assert second.failures == () and sent_first + second.sent[0].items == 20
    ok_payloads = [json.loads(b) for (m, p, _, b), n in zip(slack_here.requests, range(1, 999)) if n != 2]
    text = "\n".join(p["attachments"][0]["blocks"][1]["text"]["text"] for p in ok_payloads)
    urls = re.findall(r"\*<(https://news0\.example\.kr/a/\d+)\|", text)  # story titles, not institution links
    assert sorted(urls) == sorted(f"https://news0.example.kr/a/{100 + i}" for i in range(20))


def test_failure_messages_never_hold_the_slack_tokens(store, tmp_path, monkeypatch, slack_here, caplog):
    slack_here.routes["/services/" + SLACK_TOKENS] = answers(403, 403)
    s = json_settings(tmp_path, monkeypatch, "slack://" + SLACK_TOKENS)
    queue(store, s, 1)
    caplog.set_level("DEBUG")
    report = deliver_due(store, s, T0)
    everything = repr(report) + caplog.text + repr(store.outbox.pending())
    for token in SLACK_TOKENS.split("/"):
        assert token not in everything


def test_failure_on_a_piece_of_a_long_story_counts_for_that_story(store, tmp_path, monkeypatch, slack_here):
    from newswatch.models import Outlet, Story

    slack_here.routes["/services/" + SLACK_TOKENS] = answers(500)
    s = json_settings(tmp_path, monkeypatch, "slack://" + SLACK_TOKENS)
    outlets = tuple(Outlet(f"아주긴이름의지역신문사{k:03d}", f"https://o{k}.example.kr/") for k in range(300))
    big = Story(id=100, representative_url="https://news0.example.kr/a/100", title="t", outlets=outlets)
    queue_items(store, s, big, article(0), [match()], T0)
    assert deliver_due(store, s, T0).failures
    [row] = store.outbox.pending()
    assert row.attempts == 1 and row.next_attempt_at == T0 + timedelta(minutes=5)
    report = deliver_due(store, s, T0 + timedelta(minutes=5))
    assert report.failures == () and report.sent[0].items == 1
    text = "".join(p["attachments"][0]["blocks"][1]["text"]["text"] for p in posted(slack_here, "/services/")[1:])
    assert all(o.name in text for o in outlets)  # nothing cut off


def test_pieces_of_a_long_story_that_went_out_are_not_resent(store, tmp_path, monkeypatch, slack_here):
    from newswatch.models import Outlet, Story

    calls = {"n": 0}

    def route(_h):
        calls["n"] += 1
        bad = calls["n"] == 2  # the second piece fails once
        return Route("server_error" if bad else "ok", status=500 if bad else 200, content_type="text/plain")

    slack_here.routes["/services/" + SLACK_TOKENS] = route
    s = json_settings(tmp_path, monkeypatch, "slack://" + SLACK_TOKENS)
    outlets = tuple(Outlet(f"아주긴이름의지역신문사{k:03d}", f"https://o{k}.example.kr/") for k in range(300))
    big = Story(id=100, representative_url="https://news0.example.kr/a/100", title="t", outlets=outlets)
    queue_items(store, s, big, article(0), [match()], T0)
    assert deliver_due(store, s, T0).failures
    report = deliver_due(store, s, T0 + timedelta(minutes=5))
    assert report.failures == () and report.sent[0].items == 1
    bodies = [p["attachments"][0]["blocks"][1]["text"]["text"] for p in posted(slack_here, "/services/")]
    delivered = [b for n, b in enumerate(bodies, 1) if n != 2]
    assert len(delivered) == len(set(delivered))  # piece 1 went out once, not again with the retry
    assert all(o.name in "".join(delivered) for o in outlets)  # and nothing is missing
