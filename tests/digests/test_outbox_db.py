"""The outbox queries on both SQLite and PostgreSQL (skips PostgreSQL when it is not installed)."""
from __future__ import annotations

import threading
from datetime import timedelta

from digests.deliver import deliver_due
from digests.queue import queue_items
from tests.conftest import Route
from tests.digests.helpers import T0, article, match, settings, story


def test_outbox_life_cycle(state_store, tmp_path):
    s = settings(tmp_path, [{"name": "a", "url": "json://127.0.0.1:1/x"}, {"name": "b", "url": "json://127.0.0.1:1/y"}])
    for i in range(4):
        assert queue_items(state_store, s, story(i), article(i), [match()], T0) == 2
    assert queue_items(state_store, s, story(0), article(0), [match()], T0) == 0
    repo = state_store.outbox
    a_ids = [r.id for r in repo.candidates("a", T0)]
    claimed = repo.claim(a_ids, "w1", T0)
    assert [r.id for r in claimed] == a_ids and repo.claim(a_ids, "w2", T0) == []
    repo.mark_sent(a_ids[:2], "m1", T0)
    failed = repo.mark_failed(a_ids[2:], "boom", T0, lambda n: timedelta(minutes=5 * n), give_up_after=2)
    assert {(r.status, r.attempts) for r in failed} == {("pending", 1)}
    assert repo.candidates("a", T0 + timedelta(minutes=4)) == []
    again = repo.claim([r.id for r in repo.candidates("a", T0 + timedelta(minutes=5))], "w1", T0)
    failed = repo.mark_failed([r.id for r in again], "boom", T0, lambda n: timedelta(0), give_up_after=2)
    assert {r.status for r in failed} == {"failed"}
    counts = repo.status_counts()
    assert counts["a"]["sent"] == 2 and counts["a"]["failed"] == 2 and counts["b"]["pending"] == 4
    assert repo.retry_failed("a") == 2
    assert repo.add_notice("k1", "s", "b", T0) and not repo.add_notice("k1", "s", "b", T0)
    repo.add_marker("a", "__empty__:x", T0)
    repo.add_marker("a", "__empty__:x", T0)
    assert repo.has_marker("a", "__empty__:x") and repo.status_counts()["a"]["pending"] == 2


def test_concurrent_deliveries_send_each_item_once(state_store, tmp_path, monkeypatch, http_server):
    http_server.routes["/hook"] = Route("ok", content_type="text/plain", delay=0.05)
    monkeypatch.setenv("NW_TEST_HOOK", http_server.url("/hook").replace("http://", "json://"))
    s = settings(tmp_path, [{"name": "hook", "url": "${NW_TEST_HOOK}", "schedule": "immediate", "max_items": 1}])
    for i in range(12):
        queue_items(state_store, s, story(i), article(i), [match()], T0)
    reports = []
    threads = [threading.Thread(target=lambda w=w: reports.append(deliver_due(state_store, s, T0, worker=w))) for w in ("w1", "w2", "w3")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    posts = [b for m, _, _, b in http_server.requests if m == "POST"]
    assert len(posts) == 12 and sum(x.items for r in reports for x in r.sent) == 12


def test_per_target_records_and_story_siblings(state_store, tmp_path):
    s = settings(tmp_path, [{"name": "a", "url": "json://127.0.0.1:1/x"}])
    queue_items(state_store, s, story(0), article(0), [match("r1", "규칙1"), match("r2", "규칙2")], T0)
    queue_items(state_store, s, story(1), article(1), [match("r1", "규칙1")], T0)
    repo = state_store.outbox
    rows = repo.pending("a")
    s0 = [r.id for r in rows if r.story_id == 100]
    s1 = [r.id for r in rows if r.story_id == 101]
    assert {r.id for r in repo.siblings("a", [(100, 0)], exclude=s0[:1])} == set(s0[1:])
    repo.claim(s0 + s1, "w", T0)
    # two recipients: nothing is sent until both have the story; a record is idempotent
    assert repo.record_sent([s0, s1], "k1", ["k1", "k2"], "m1", T0) == []
    assert repo.record_sent([s0], "k1", ["k1", "k2"], "m1", T0) == []
    assert repo.delivered(s0 + s1) == {i: {"k1"} for i in s0 + s1}
    # a story's rows are one group: once the group has reached every target, all its rows are sent
    assert sorted(repo.record_sent([s0], "k2", ["k1", "k2"], "m2", T0)) == sorted(s0)
    assert repo.sent_keys("a", [(100, 0), (101, 0), (100, 5)]) == {(100, 0)}
    assert {r.id for r in repo.rows(s1) if r.status == "sending"} == set(s1)
    # notices per target
    assert repo.add_notice("n", "s", "b", T0)
    [notice] = repo.pending_notices()
    repo.mark_delivered("notice", notice.id, "k1", T0)
    repo.mark_delivered("notice", notice.id, "k1", T0)
    assert repo.delivered([notice.id], kind="notice") == {notice.id: {"k1"}}


def test_upgrade_from_version_1_adds_deliveries_and_keeps_the_outbox(state_url):
    from sqlalchemy import inspect, insert

    from state import Store, migrations, schema
    from state.db import create_state_engine

    bare = Store(create_state_engine(state_url))
    with bare.engine.begin() as conn:
        schema.schema_version.create(conn, checkfirst=True)
        migrations.MIGRATIONS[0][2](conn)  # a database at version 1, as released
        conn.execute(insert(schema.schema_version).values(version=1, applied_at=T0))
        conn.execute(insert(schema.outbox).values(story_id=100, destination="a", rule="r", priority="normal",
                                                  payload={}, status="pending", attempts=0, created_at=T0, revision=0))
    with bare.engine.connect() as conn:
        assert "deliveries" not in inspect(conn).get_table_names()
    bare.close()
    store = Store.open(state_url)  # applies version 2
    try:
        assert store.version() == migrations.LATEST == 2
        with store.engine.connect() as conn:
            assert "deliveries" in inspect(conn).get_table_names()
        [row] = store.outbox.pending("a")
        store.outbox.claim([row.id], "w", T0)
        store.outbox.record_sent([[row.id]], "k1", ["k1", "k2"], "m", T0)
        assert store.outbox.delivered([row.id]) == {row.id: {"k1"}}
    finally:
        store.close()
