"""Queueing: one outbox row per (story, destination, rule), routed by rule and destination filters."""
from __future__ import annotations

from datetime import timedelta

from digests.deliver import load_items
from digests.queue import LOCAL, queue_items
from newswatch.models import Outlet
from tests.digests.helpers import T0, article, match, settings, story

DESTS = [
    {"name": "all", "url": "json://127.0.0.1:1/a"},
    {"name": "ai-only", "url": "json://127.0.0.1:1/b", "rules": ["gwangju-ai"]},
    {"name": "other", "url": "json://127.0.0.1:1/c", "rules": ["semis"]},
]


def rows(store):
    return sorted((r.story_id, r.destination, r.rule) for r in store.outbox.pending())


def test_routes_by_destination_rules_and_match_destinations(store, tmp_path):
    s = settings(tmp_path, DESTS)
    assert queue_items(store, s, story(0), article(0), [match()], T0) == 2
    assert rows(store) == [(100, "ai-only", "gwangju-ai"), (100, "all", "gwangju-ai")]
    # a rule naming its destinations restricts further
    assert queue_items(store, s, story(1), article(1), [match(destinations=["all"])], T0) == 1
    assert (101, "ai-only", "gwangju-ai") not in rows(store)


def test_idempotent_and_never_requeued_after_delivery(store, tmp_path):
    s = settings(tmp_path, DESTS[:1])
    assert queue_items(store, s, story(0), article(0), [match()], T0) == 1
    assert queue_items(store, s, story(0), article(0), [match()], T0 + timedelta(hours=1)) == 0
    repo = store.outbox
    [row] = repo.pending()
    claimed = repo.claim([row.id], "w", T0)
    repo.mark_sent([c.id for c in claimed], "b", T0)
    # another copy of the story arrives later: same (story, destination, rule), nothing new
    assert queue_items(store, s, story(0), article(0), [match()], T0 + timedelta(days=1)) == 0
    assert repo.pending() == []


def test_without_destinations_items_go_to_local(store, tmp_path):
    s = settings(tmp_path)
    assert queue_items(store, s, story(0), article(0), [match(), match("semis", "반도체")], T0) == 2
    assert {r[1] for r in rows(store)} == {LOCAL}


def test_payload_holds_the_digest_item(store, tmp_path):
    s = settings(tmp_path, DESTS[:1])
    queue_items(store, s, story(2, outlets=4), article(2), [match(new_inst=True)], T0)
    [(row_id, item)] = load_items(store, store.outbox.pending()).values()
    assert item.title.startswith("광주AI융합센터 개소") and item.outlet == "빛고을일보"
    assert [o.name for o in item.also_in] == ["남도경제", "호남뉴스", "광주매일소식"]
    assert item.institutions[0].is_new and item.why[0].term == "광주"


class _Stories:
    def __init__(self, outlets):
        self.outlets = outlets

    def story(self, story_id):
        from newswatch.models import Story

        if story_id != 100:
            raise KeyError(story_id)
        return Story(id=100, representative_url="x", title="t", outlets=self.outlets)


class _StoreView:
    """The real store, with the dedup stage's story lookup answering from a list."""

    def __init__(self, store, outlets):
        self.outbox, self.stories = store.outbox, _Stories(outlets)


def test_outlets_are_read_again_at_send_time(store, tmp_path):
    s = settings(tmp_path, DESTS[:1])
    queue_items(store, s, story(0, outlets=2), article(0), [match()], T0)
    grown = story(0, outlets=5).outlets + (Outlet("남도경제", "https://dup.example.kr/"),)
    [(_, item)] = load_items(_StoreView(store, grown), store.outbox.pending()).values()
    assert [o.name for o in item.also_in] == ["남도경제", "호남뉴스", "광주매일소식", "전남타임스"]
