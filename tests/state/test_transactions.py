"""`Store.transaction()`: several repository calls commit together or not at all, on both back ends."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dedup.text import text_hash
from newswatch.models import Article

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def _article(n: int) -> Article:
    return Article(url=f"https://news.example.kr/{n}", title=f"기사 {n}", text=f"광주 인공지능 기사 본문 {n}.")


def test_a_failed_transaction_writes_nothing_and_runs_no_after_commit(state_store):
    ran = []
    with pytest.raises(RuntimeError):
        with state_store.transaction(dedup_lock=True):
            article_id, created = state_store.articles.save(_article(1), text_hash("x"), NOW)
            assert created and state_store.articles.get(article_id) is not None  # reads see the open transaction
            state_store.after_commit(lambda: ran.append("committed"))
            raise RuntimeError("the outbox insert failed")
    assert state_store.articles.id_for_url("https://news.example.kr/1") is None
    assert ran == []


def test_a_committed_transaction_keeps_every_write_then_runs_after_commit(state_store):
    ran = []
    with state_store.transaction(dedup_lock=True):
        first, _ = state_store.articles.save(_article(1), text_hash("a"), NOW)
        second, _ = state_store.articles.save(_article(2), text_hash("b"), NOW)
        state_store.after_commit(lambda: ran.append(state_store.articles.get(first).title))
        assert ran == []  # not before the commit
    assert ran == ["기사 1"]
    assert state_store.articles.ids_for_urls(["https://news.example.kr/1", "https://news.example.kr/2",
                                              "https://news.example.kr/3"]) == {
        "https://news.example.kr/1": first, "https://news.example.kr/2": second}


def test_saving_a_stored_url_again_inside_a_transaction_returns_the_stored_id(state_store):
    # ON CONFLICT, not a caught IntegrityError: on PostgreSQL the error would abort the transaction
    with state_store.transaction():
        first, created = state_store.articles.save(_article(1), text_hash("a"), NOW)
        again, created_again = state_store.articles.save(_article(1), text_hash("a"), NOW)
        later, _ = state_store.articles.save(_article(2), text_hash("b"), NOW)
    assert (created, created_again, again) == (True, False, first)
    assert state_store.articles.get(later) is not None


def test_outside_a_transaction_after_commit_runs_at_once(state_store):
    ran = []
    state_store.after_commit(lambda: ran.append(1))
    assert ran == [1]
