"""The entries table: insert-or-ignore identity, the claim queue, retries, failures kept visible."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from extractors.urls import canonical_url
from newswatch.models import Entry
from state import schema
from state.entries import MAX_ATTEMPTS
from tests.feeds.helpers import open_store

T0 = datetime(2026, 11, 20, tzinfo=timezone.utc)


@pytest.fixture
def store(state_url):
    """A store on SQLite and, where PostgreSQL is installed, on PostgreSQL too."""
    s = open_store(state_url)
    yield s
    s.close()


def entry(i: int, feed: str = "f", guid: bool = True) -> Entry:
    link = f"https://news.example.kr/a/{i}?utm_source=rss"
    return Entry(feed=feed, guid=f"g-{i}" if guid else None, link=link, canonical_url=canonical_url(link),
                 title=f"제목 {i}", summary="요약", published=T0)


def test_record_new_returns_only_unseen(store):
    from state.entries import EntryRepo
    repo = EntryRepo(store)
    first = repo.record_new([entry(1), entry(2)], T0)
    assert [e.guid for _, e in first] == ["g-1", "g-2"]
    again = repo.record_new([entry(2), entry(3)], T0)
    assert [e.guid for _, e in again] == ["g-3"]
    # the same item in another feed is a different entry (the article stage dedups by URL)
    assert len(repo.record_new([entry(1, feed="other")], T0)) == 1


def test_identity_by_canonical_url_without_guid(store):
    from state.entries import EntryRepo
    repo = EntryRepo(store)
    e1 = entry(7, guid=False)
    e2 = Entry(feed="f", guid=None, link="https://NEWS.example.kr/a/7?fbclid=zz#c",
               canonical_url=canonical_url("https://NEWS.example.kr/a/7?fbclid=zz#c"), title="", summary="", published=T0)
    assert len(repo.record_new([e1], T0)) == 1
    assert repo.record_new([e2], T0) == []


def test_concurrent_workers_record_each_entry_once(state_url):
    stores = [open_store(state_url) for _ in range(4)]
    batch = [entry(i) for i in range(40)]
    results: list[int] = []
    lock = threading.Lock()

    def work(s):
        got = s.entries.record_new(batch, T0)
        with lock:
            results.append(len(got))
    threads = [threading.Thread(target=work, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 40
    for s in stores:
        s.close()


def test_claims_are_exclusive_and_stale_claims_expire(state_url):
    a, b = open_store(state_url), open_store(state_url)
    a.entries.record_new([entry(i) for i in range(6)], T0)
    got_a = a.entries.claim_pending("worker-a", 4, T0)
    got_b = b.entries.claim_pending("worker-b", 4, T0)
    assert len(got_a) == 4 and len(got_b) == 2
    assert not {i for i, _ in got_a} & {i for i, _ in got_b}
    assert b.entries.claim_pending("worker-b", 4, T0 + timedelta(minutes=1)) == []
    # worker-a crashed: after the stale period its entries are claimable again
    again = b.entries.claim_pending("worker-b", 10, T0 + timedelta(hours=1))
    assert {i for i, _ in again} == {i for i, _ in got_a} | {i for i, _ in got_b}
    e = again[0][1]
    assert e.title.startswith("제목") and e.link.endswith("utm_source=rss") and e.published == T0
    a.close()
    b.close()


def test_transient_failures_retry_then_fail(store):
    from state.entries import EntryRepo
    repo = EntryRepo(store)
    [(eid, _)] = repo.record_new([entry(1)], T0)
    now = T0
    for attempt in range(1, MAX_ATTEMPTS):
        assert [i for i, _ in repo.claim_pending("w", 10, now)] == [eid]
        repo.mark_failed(eid, "timeout", "timed out", True, now)
        row = repo.get(eid)
        assert row["status"] == "pending" and row["attempts"] == attempt
        assert repo.claim_pending("w", 10, now + timedelta(seconds=1)) == []  # not before its retry time
        now = row["next_attempt_at"]
    assert repo.claim_pending("w", 10, now)
    repo.mark_failed(eid, "timeout", "timed out", True, now)
    assert repo.get(eid)["status"] == "failed"
    assert repo.claim_pending("w", 10, now + timedelta(days=30)) == []
    assert [r["id"] for r in repo.failed()] == [eid]


def test_permanent_failure_is_kept_visible(store):
    from state.entries import EntryRepo
    from state.feeds import FeedRepo
    repo = EntryRepo(store)
    from newswatch.config import FeedConfig
    FeedRepo(store).upsert([FeedConfig(name="f", url="https://news.example.kr/rss")])
    [(eid, _)] = repo.record_new([entry(1)], T0)
    repo.claim_pending("w", 1, T0)
    repo.mark_failed(eid, "http_404", "HTTP 404", False, T0)
    row = repo.get(eid)
    assert row["status"] == "failed" and row["error_kind"] == "http_404"
    (frow,) = FeedRepo(store).table(T0)
    assert frow.failed_entries == 1 and frow.items_7d == 1


def test_mark_done(store):
    from state.entries import EntryRepo
    repo = EntryRepo(store)
    [(eid, e)] = repo.record_new([entry(1)], T0)
    with store.engine.begin() as conn:
        aid = conn.execute(insert(schema.articles).values(canonical_url=e.canonical_url, text_hash="x",
                                                          fetched_at=T0)).inserted_primary_key[0]
    repo.mark_done(eid, aid)
    assert repo.get(eid)["status"] == "done" and repo.get(eid)["article_id"] == aid
    assert repo.claim_pending("w", 10, T0) == []


def _e(guid: str | None, link: str, feed: str = "f") -> Entry:
    return Entry(feed=feed, guid=guid, link=link, canonical_url=canonical_url(link), title="제목", summary="",
                 published=T0)


def test_known_by_guid_or_by_canonical_url_across_a_restart(state_url):
    store = open_store(state_url)
    assert len(store.entries.record_new([_e("g-1", "https://news.example.kr/a/1?utm_source=rss")], T0)) == 1
    store.close()
    store = open_store(state_url)  # a restart
    # the feed changed the GUID, the link is the same article (other tracking tags, a fragment, host case)
    assert store.entries.record_new([_e("g-1-v2", "https://NEWS.example.kr/a/1?utm_medium=x#top")], T0) == []
    # the same GUID with a changed link is known too
    assert store.entries.record_new([_e("g-1", "https://news.example.kr/a/1-renamed")], T0) == []
    # another feed with the same article is its own entry (the article stage fetches it once)
    assert len(store.entries.record_new([_e("h-1", "https://news.example.kr/a/1", feed="other")], T0)) == 1
    # a new article is new
    assert len(store.entries.record_new([_e("g-2", "https://news.example.kr/a/2")], T0)) == 1
    store.close()


def test_a_link_without_guid_then_with_one_is_known(store):
    assert len(store.entries.record_new([_e(None, "https://news.example.kr/a/5")], T0)) == 1
    assert store.entries.record_new([_e("urn:uuid:5", "https://news.example.kr/a/5?fbclid=1")], T0) == []


def test_a_shared_link_does_not_identify_entries(store):
    # items that all link to the same section page (or the front page) are told apart by GUID
    section = "https://news.example.kr/notice"
    first = store.entries.record_new([_e("n-1", section), _e("n-2", section)], T0)
    assert len(first) == 2
    assert len(store.entries.record_new([_e("n-3", section)], T0)) == 1  # the state knows the link is shared
    assert len(store.entries.record_new([_e("h-1", "https://news.example.kr/")], T0)) == 1
    assert len(store.entries.record_new([_e("h-2", "https://news.example.kr/?utm_source=rss")], T0)) == 1
