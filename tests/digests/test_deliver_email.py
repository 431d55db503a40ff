"""E-mail through apprise to a real SMTP server (aiosmtpd) on 127.0.0.1."""
from __future__ import annotations

import re
from datetime import timedelta

from digests.deliver import deliver_due
from digests.queue import queue_items
from tests.digests.helpers import T0, article, match, settings, story


def mail_settings(tmp_path, monkeypatch, smtp, **dest):
    monkeypatch.setenv("NW_TEST_MAIL", smtp.url())
    d = {"name": "mail", "url": "${NW_TEST_MAIL}", "schedule": "immediate", **dest}
    return settings(tmp_path, [d])


def queue(store, s, n, new_inst_at=(), at=T0):
    for i in range(n):
        queue_items(store, s, story(i), article(i, at), [match(new_inst=i in new_inst_at)], at)


def test_mime_parsed_back(store, tmp_path, monkeypatch, smtp):
    s = mail_settings(tmp_path, monkeypatch, smtp)
    queue(store, s, 4, new_inst_at=(2,))
    report = deliver_due(store, s, T0)
    assert report.failures == () and [x.items for x in report.sent] == [4]
    [msg] = smtp.messages
    assert msg["Subject"] == "[newswatch] 광주 AI 4건 · 신규 기관 1곳"  # RFC 2047 decoded
    assert "=?utf-8?" in smtp.raw[0].decode("ascii", "replace").lower()  # and encoded on the wire
    assert msg.get_content_type() == "multipart/alternative"
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    for i in range(4):
        assert f'href="https://news0.example.kr/a/{100 + i}"' in html
        assert f"https://news0.example.kr/a/{100 + i}" in text  # links survive in the text part
    assert "광주시, 인공지능 데이터센터 2단계 착공" in html and "광주시, 인공지능 데이터센터 2단계 착공" in text
    assert "왜 알림이 왔나" in text and "신규 기관" in text and "광주AI융합센터" in text
    assert store.outbox.pending() == []


def test_max_items_splits_into_several_mails_in_order(store, tmp_path, monkeypatch, smtp):
    s = mail_settings(tmp_path, monkeypatch, smtp, max_items=2)
    queue(store, s, 5)
    deliver_due(store, s, T0)
    subjects = [m["Subject"] for m in smtp.messages]
    assert subjects == [
        "[newswatch] 광주 AI 2건 (1/3)", "[newswatch] 광주 AI 2건 (2/3)", "[newswatch] 광주 AI 1건 (3/3)",
    ]
    urls = [u for m in smtp.messages for u in re.findall(r'href="(https://news0[^"]+)"', m.get_body(("html",)).get_content())]
    assert sorted(set(urls)) == [f"https://news0.example.kr/a/{100 + i}" for i in range(5)]


def test_smtp_down_two_cycles_then_up_every_item_once(store, tmp_path, monkeypatch, smtp):
    s = mail_settings(tmp_path, monkeypatch, smtp, max_items=3)
    queue(store, s, 7)
    smtp.down()
    now = T0
    for cycle in range(2):
        report = deliver_due(store, s, now)
        assert report.sent == () and report.failures and report.pending == 7
        assert "Connection error" in report.failures[0][1] and smtp.url() not in report.failures[0][1]
        now += timedelta(hours=1)  # past the backoff (5 min, then 10 min)
    rows = store.outbox.pending()
    assert {r.attempts for r in rows} == {2, 0}  # the first message's items failed twice; the rest were never tried
    smtp.up()
    report = deliver_due(store, s, now)
    assert report.failures == () and sum(x.items for x in report.sent) == 7
    seen = [u for m in smtp.messages for u in sorted(set(re.findall(r'href="(https://news0[^"]+)"', m.get_body(("html",)).get_content())))]
    assert sorted(seen) == sorted(f"https://news0.example.kr/a/{100 + i}" for i in range(7))  # each exactly once
    assert deliver_due(store, s, now + timedelta(hours=1)).sent == ()  # nothing left, nothing resent
    assert len(smtp.messages) == 3


def test_backoff_is_respected(store, tmp_path, monkeypatch, smtp):
    s = mail_settings(tmp_path, monkeypatch, smtp)
    queue(store, s, 1)
    smtp.down()
    deliver_due(store, s, T0)
    smtp.up()
    assert deliver_due(store, s, T0 + timedelta(minutes=4)).sent == ()  # 5 min backoff not over
    assert deliver_due(store, s, T0 + timedelta(minutes=5)).sent[0].items == 1


def test_admin_told_after_n_failures(store, tmp_path, monkeypatch, smtp):
    monkeypatch.setenv("NW_TEST_MAIL", "mailto://127.0.0.1:1?from=a@example.kr&to=b@example.kr&mode=insecure")
    monkeypatch.setenv("NW_TEST_ADMIN", smtp.url("admin@example.kr"))
    s = settings(
        tmp_path,
        [{"name": "mail", "url": "${NW_TEST_MAIL}", "schedule": "immediate"}, {"name": "ops", "url": "${NW_TEST_ADMIN}", "rules": ["none"]}],
        admin="ops",
        digest={"alert_after_failures": 2},
    )
    queue(store, s, 2)
    now = T0
    for _ in range(3):
        deliver_due(store, s, now)
        now += timedelta(hours=1)
    alerts = [m for m in smtp.messages if "admin@example.kr" in m["To"]]
    assert len(alerts) == 1  # told once, at the 2nd failure, not again at the 3rd
    assert "digest delivery to mail failing" in alerts[0]["Subject"]
    body = alerts[0].get_body(("plain", "html")).get_content()
    assert "mailto://127.0.0.1:1?***" in body and "b@example.kr" not in body  # the URL is redacted


def test_feed_notices_go_to_admin(store, tmp_path, monkeypatch, smtp):
    monkeypatch.setenv("NW_TEST_ADMIN", smtp.url("admin@example.kr"))
    s = settings(tmp_path, [{"name": "ops", "url": "${NW_TEST_ADMIN}"}], admin="ops")
    repo = store.outbox
    assert repo.add_notice("feed-failing:빛고을일보:3", "빛고을일보 피드 실패", "5회 연속 실패", T0)
    assert not repo.add_notice("feed-failing:빛고을일보:3", "빛고을일보 피드 실패", "5회 연속 실패", T0)
    deliver_due(store, s, T0)
    deliver_due(store, s, T0 + timedelta(minutes=1))
    assert [m["Subject"] for m in smtp.messages] == ["[newswatch] 빛고을일보 피드 실패"]
