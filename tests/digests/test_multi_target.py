"""One destination URL, several recipients: each recipient gets each story once, only failed ones are retried."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from digests.deliver import deliver_due
from digests.queue import queue_items
from digests.targets import WHOLE, expand_targets
from tests.conftest import Route
from tests.digests.helpers import T0, article, match, settings, story

GOOD, BAD = "good@example.kr", "bad@example.kr"


def urls_in(msg) -> list[str]:
    return sorted(set(re.findall(r'href="(https://news0[^"]+)"', msg.get_body(("html",)).get_content())))


def story_url(i: int) -> str:
    return f"https://news0.example.kr/a/{100 + i}"


@pytest.fixture
def two_recipients(tmp_path, monkeypatch, smtp):
    monkeypatch.setenv("NW_TEST_MAIL", smtp.url(f"{GOOD},{BAD}"))
    monkeypatch.setenv("NW_TEST_ADMIN", smtp.url("admin@example.kr"))
    return settings(
        tmp_path,
        [{"name": "mail", "url": "${NW_TEST_MAIL}", "schedule": "immediate"},
         {"name": "ops", "url": "${NW_TEST_ADMIN}", "rules": ["none"], "schedule": "immediate"}],
        admin="ops",
        digest={"alert_after_failures": 2},
    )


def test_refused_recipient_is_retried_alone_and_the_good_one_gets_each_story_once(store, smtp, two_recipients, caplog):
    s = two_recipients
    smtp.reject.add(BAD)
    for i in range(2):
        queue_items(store, s, story(i), article(i), [match()], T0)
    caplog.set_level("DEBUG")
    now, reports = T0, []
    for _ in range(4):  # give_up_after_failures: 0, so bad@ is retried forever
        reports.append(deliver_due(store, s, now))
        now += timedelta(hours=1)
    good = smtp.received_by(GOOD)
    assert len(good) == 1 and urls_in(good[0]) == [story_url(0), story_url(1)]  # once, not at every retry
    assert smtp.received_by(BAD) == []
    rows = store.outbox.pending("mail")
    assert len(rows) == 2 and {r.attempts for r in rows} == {4}
    # the admin is told once, at the 2nd failure
    alerts = smtp.received_by("admin@example.kr")
    assert len(alerts) == 1 and "digest delivery to mail failing" in alerts[0]["Subject"]
    body = alerts[0].get_body(("plain", "html")).get_content()
    assert "recipient 2/2" in body
    # no address of the destination appears in a failure, a stored error, a log line or the admin notice
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail.log"))  # not the test's SMTP server
    everything = repr(reports) + ours + repr(rows) + body
    assert "recipient 2/2" in reports[0].failures[0][1]
    for address in (GOOD, BAD, "newswatch@example.kr"):
        assert address not in everything
    # bad@ starts accepting: it gets the digest once, good@ nothing more
    smtp.reject.clear()
    report = deliver_due(store, s, now)
    assert report.failures == () and report.sent[0].items == 2
    assert len(smtp.received_by(GOOD)) == 1
    [late] = smtp.received_by(BAD)
    assert urls_in(late) == [story_url(0), story_url(1)]
    assert store.outbox.pending("mail") == []
    assert deliver_due(store, s, now + timedelta(hours=1)).sent == ()


def test_a_retry_sends_each_recipient_only_what_it_lacks(store, smtp, two_recipients):
    s = two_recipients
    smtp.reject.add(BAD)
    queue_items(store, s, story(0), article(0), [match()], T0)
    deliver_due(store, s, T0)
    queue_items(store, s, story(1), article(1), [match()], T0 + timedelta(minutes=30))
    smtp.reject.clear()
    report = deliver_due(store, s, T0 + timedelta(hours=1))
    assert report.failures == ()
    good, bad = smtp.received_by(GOOD), smtp.received_by(BAD)
    assert [urls_in(m) for m in good] == [[story_url(0)], [story_url(1)]]  # the new story only
    assert [urls_in(m) for m in bad] == [[story_url(0), story_url(1)]]
    assert all(len(r) == 1 for r in smtp.recipients)  # one recipient per message
    assert store.outbox.pending() == []


def test_give_up_after_failures_leaves_the_good_recipient_served(store, tmp_path, monkeypatch, smtp):
    monkeypatch.setenv("NW_TEST_MAIL", smtp.url(f"{GOOD},{BAD}"))
    s = settings(tmp_path, [{"name": "mail", "url": "${NW_TEST_MAIL}", "schedule": "immediate"}],
                 digest={"give_up_after_failures": 2})
    smtp.reject.add(BAD)
    queue_items(store, s, story(0), article(0), [match()], T0)
    deliver_due(store, s, T0)
    deliver_due(store, s, T0 + timedelta(hours=1))
    assert len(smtp.received_by(GOOD)) == 1
    assert store.outbox.status_counts()["mail"]["failed"] == 1


def test_cc_and_path_recipients_are_targets_too(store, tmp_path, monkeypatch, smtp):
    url = f"mailto://127.0.0.1:{smtp.port}/{GOOD}?from=newswatch@example.kr&cc={BAD}&mode=insecure"
    assert len(expand_targets(url)) == 2
    monkeypatch.setenv("NW_TEST_MAIL", url)
    s = settings(tmp_path, [{"name": "mail", "url": "${NW_TEST_MAIL}", "schedule": "immediate"}])
    smtp.reject.add(BAD)
    queue_items(store, s, story(0), article(0), [match()], T0)
    deliver_due(store, s, T0)
    smtp.reject.clear()
    deliver_due(store, s, T0 + timedelta(hours=1))
    assert len(smtp.received_by(GOOD)) == 1 and len(smtp.received_by(BAD)) == 1


def test_expansion():
    one = "mailto://127.0.0.1:25?from=a@example.kr&to=b@example.kr&mode=insecure"
    assert [t.url for t in expand_targets(one)] == [one]
    assert expand_targets("json://127.0.0.1:1/hook")[0].key == WHOLE
    many = expand_targets("mailtos://u:p@smtp.example.kr?from=n+x@example.kr&to=a@example.kr;b@example.kr&name=뉴스")
    assert [t.url for t in many] == [
        "mailtos://u:p@smtp.example.kr?from=n+x@example.kr&name=뉴스&to=a@example.kr",
        "mailtos://u:p@smtp.example.kr?from=n+x@example.kr&name=뉴스&to=b@example.kr",
    ]
    assert len({t.key for t in many}) == 2 and all("@" not in t.key for t in many)
    slack = expand_targets("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/#general/#random?footer=no")
    assert [t.url for t in slack] == [
        "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/%23general?footer=no",
        "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/%23random?footer=no",
    ]
    bot = expand_targets("slack://xoxb-1234-5678-abcd/#news?to=%23ops")
    assert [t.url for t in bot] == ["slack://xoxb-1234-5678-abcd/%23news", "slack://xoxb-1234-5678-abcd/%23ops"]
    # another apprise service with several targets: split by the plugin itself, each URL reaches one chat
    tg = expand_targets("tgram://123456789:AAHabcdefghijklmnopqrstuvwxyz12345/111/222")
    import apprise

    assert len(tg) == 2 and all(len(apprise.Apprise.instantiate(t.url)) == 1 for t in tg)


@pytest.fixture
def slack_here(http_server, monkeypatch):
    from apprise.plugins.slack import NotifySlack

    monkeypatch.setattr(NotifySlack, "webhook_url", http_server.url("/services"))
    return http_server


def test_slack_channel_failing_is_retried_alone(store, tmp_path, monkeypatch, slack_here):
    tokens = "T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"
    refuse = {"on": True}

    def route(handler):
        channel = json.loads(handler.server.requests[-1][3]).get("channel")
        bad = refuse["on"] and channel == "#random"
        return Route("channel_not_found" if bad else "ok", status=404 if bad else 200, content_type="text/plain")

    slack_here.routes["/services/" + tokens] = route
    monkeypatch.setenv("NW_TEST_HOOK", f"slack://{tokens}/#general/#random")
    s = settings(tmp_path, [{"name": "slack", "url": "${NW_TEST_HOOK}", "schedule": "immediate"}])
    queue_items(store, s, story(0), article(0), [match()], T0)
    first = deliver_due(store, s, T0)
    assert first.failures and "recipient 2/2" in first.failures[0][1]
    refuse["on"] = False
    assert deliver_due(store, s, T0 + timedelta(hours=1)).failures == ()
    channels = [json.loads(b).get("channel") for m, p, _, b in slack_here.requests if m == "POST"]
    assert channels == ["#general", "#random", "#random"]  # #general once; #random retried
    assert store.outbox.pending() == []
