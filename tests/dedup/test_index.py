"""The persisted index: stories in the store, restarts, other workers, the sliding window."""
from __future__ import annotations

import random
import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from sqlalchemy import select

from dedup.cluster import cluster_articles
from dedup.index import DedupIndex, text_hash
from newswatch.config import DedupSettings
from state import Store
from state import schema
from tests.dedup.edits import labelled_set, load_stories, original, syndicate, update

NOW = datetime(2026, 3, 12, 3, 0, tzinfo=timezone.utc)
SETTINGS = DedupSettings()


@pytest.fixture(scope="module")
def stories():
    return {s.id: s for s in load_stories()}


def save(store, article, now=NOW) -> int:
    article_id, _ = store.articles.save(article, text_hash(article), now)
    return article_id


def add(index, store, article, now=NOW):
    return index.add(article, save(store, article, now), now)


def test_new_story_then_copy_joins_with_outlets(store, stories):
    index = DedupIndex(SETTINGS, store)
    index.load(NOW)
    story = stories["gj-ai-center"]
    first = add(index, store, original(story))
    assert first.is_new and first.method == "first" and first.similarity == 1.0
    copy, _ = syndicate(story, random.Random(1), 0)
    second = add(index, store, copy, NOW + timedelta(minutes=20))
    assert second.id == first.id and not second.is_new
    assert second.method == "minhash" and 0.6 <= second.similarity <= 1.0
    assert [o.url for o in second.outlets] == [story.url, copy.url]
    assert second.outlets[0].name == story.outlet
    assert store.stories.members(first.id) == list(second.outlets)
    assert store.articles.get(save(store, copy)).url == copy.url
    assert store.stories.story_of(save(store, copy)) == first.id


def test_exact_duplicate_by_hash_and_replay_is_idempotent(store, stories):
    index = DedupIndex(SETTINGS, store)
    a = original(stories["ec-cpi"])
    s1 = add(index, store, a)
    b = replace(a, url="https://mirror.example/cpi", title="다른 제목")
    s2 = add(index, store, b)
    assert (s2.id, s2.method, s2.similarity) == (s1.id, "hash", 1.0)
    # the same article handed over again (a retried task): same answer, no second membership
    again = index.add(b, save(store, b), NOW)
    assert (again.id, again.is_new, again.method) == (s1.id, False, "hash")
    assert len(store.stories.members(s1.id)) == 2


def test_different_stories_same_day_get_their_own_stories(store, stories):
    index = DedupIndex(SETTINGS, store)
    ids = {add(index, store, original(s)).id for s in stories.values() if s.topic == "gwangju-ai"}
    assert len(ids) == sum(1 for s in stories.values() if s.topic == "gwangju-ai")


def test_update_stays_and_becomes_representative_when_more_complete(store, stories):
    index = DedupIndex(SETTINGS, store)
    story = stories["ec-rate"]
    first = add(index, store, original(story))
    later = NOW + timedelta(hours=2)
    upd = update(story, story.updates[0], 0)
    s = add(index, store, upd, later)
    assert s.id == first.id and not s.is_new
    assert s.novelty > 0.05  # the market-reaction paragraph is new material
    # the update has the longer text: it is now the representative
    assert s.representative_url == upd.url and s.title == upd.title
    # same outlet twice: one outlet in the story, two members
    assert [o.name for o in s.outlets] == [story.outlet]
    assert len(store.stories.members(first.id)) == 2
    row = store.stories.story(first.id)
    assert row.representative_url == upd.url


def test_representative_prefers_earliest_on_equal_length(store, stories):
    index = DedupIndex(SETTINGS, store)
    a = original(stories["jeju-tourism"])
    early = replace(a, url="https://early.example/1", published=a.published - timedelta(hours=3))
    s1 = add(index, store, a)
    s2 = index.add(early, save(store, early), NOW)
    assert s2.id == s1.id and s2.representative_url == early.url


def test_restart_keeps_clusters(state_url, stories):
    first = Store.open(state_url)
    index = DedupIndex(SETTINGS, first)
    index.load(NOW)
    story = stories["bs-rain-roads"]
    s1 = add(index, first, original(story))
    first.close()

    reopened = Store.open(state_url)
    fresh = DedupIndex(SETTINGS, reopened)
    fresh.load(NOW + timedelta(hours=1))
    assert len(fresh) == 1
    copy, _ = syndicate(story, random.Random(5), 1)
    s2 = add(fresh, reopened, copy, NOW + timedelta(hours=1))
    assert s2.id == s1.id and not s2.is_new
    reopened.close()


def test_signatures_added_by_another_worker_are_seen_before_deciding(state_url, stories):
    a_store, b_store = Store.open(state_url), Store.open(state_url)
    worker_a, worker_b = DedupIndex(SETTINGS, a_store), DedupIndex(SETTINGS, b_store)
    worker_a.load(NOW)
    worker_b.load(NOW)
    story = stories["chip-hynix"]
    s_b = add(worker_b, b_store, original(story))
    copy, _ = syndicate(story, random.Random(2), 0)
    s_a = add(worker_a, a_store, copy)  # worker A never loaded B's article: it must catch up under the lock
    assert s_a.id == s_b.id and not s_a.is_new
    a_store.close()
    b_store.close()


def test_concurrent_workers_never_split_one_story(state_url, stories):
    """Two workers (own store, own index) add interleaved copies at once: one story per gold story (SQLite and PostgreSQL)."""
    chosen = [stories[k] for k in ("gj-ai-fund", "gj-ai-gist", "ec-cpi", "seoul-fare")]
    rng = random.Random(11)
    articles = []
    # light edits only, so that any arrival order gives one story per gold story when run serially
    light = ("byline", "caption", "boilerplate", "respace", "reorder")
    for story in chosen:
        articles.append(original(story))
        articles += [syndicate(story, rng, n, ops=tuple(rng.sample(light, k=2)))[0] for n in range(5)]
    rng.shuffle(articles)
    gold = {a.url: s.id for s in chosen for a in articles if a.url == s.url or f"/{s.id}-" in a.url}
    stores = [Store.open(state_url) for _ in range(2)]
    indexes = [DedupIndex(SETTINGS, s) for s in stores]
    for ix in indexes:
        ix.load(NOW)
    result: dict[str, int] = {}
    errors = []

    def work(n):
        try:
            for article in articles[n::2]:
                result[article.url] = add(indexes[n], stores[n], article).id
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    by_gold: dict[str, set[int]] = {}
    for url, story_id in result.items():
        by_gold.setdefault(gold[url], set()).add(story_id)
    assert all(len(ids) == 1 for ids in by_gold.values()), by_gold
    assert len({next(iter(ids)) for ids in by_gold.values()}) == len(chosen)
    with stores[0].engine.connect() as conn:
        rows = conn.execute(
            select(schema.signatures.c.seq, schema.articles.c.canonical_url)
            .join(schema.articles, schema.articles.c.id == schema.signatures.c.article_id)
            .order_by(schema.signatures.c.seq)
        ).all()
    assert [r.seq for r in rows] == list(range(1, len(articles) + 1))
    # serialisable: replaying the articles serially in the order the lock admitted them gives the same clusters
    by_url = {a.url: a for a in articles}
    serial = cluster_articles([by_url[r.canonical_url] for r in rows], SETTINGS)
    serial_groups = sorted(sorted(rows[i].canonical_url for i, _, _ in members) for members in serial)
    stored: dict[int, list[str]] = {}
    for url, story_id in result.items():
        stored.setdefault(story_id, []).append(url)
    assert sorted(sorted(v) for v in stored.values()) == serial_groups
    for s in stores:
        s.close()


def test_window_pruning_forgets_old_signatures(store, stories):
    settings = DedupSettings(window_days=2)
    index = DedupIndex(settings, store)
    story = stories["jn-wildfire"]
    s1 = add(index, store, original(story))
    other = add(index, store, original(stories["edu-neulbom"]), NOW + timedelta(days=1, hours=12))
    assert len(index) == 2
    later = NOW + timedelta(days=3)
    assert index.prune(later) == 1  # the first article left the window, the second not yet
    assert len(index) == 1
    # a restarted worker loads only what is inside the window
    fresh = DedupIndex(settings, store)
    fresh.load(later)
    assert len(fresh) == 1
    # a copy of the forgotten story now starts a new story; the old one keeps its members
    copy, _ = syndicate(story, random.Random(4), 0)
    s3 = add(index, store, copy, later)
    assert s3.is_new and s3.id not in (s1.id, other.id)
    assert len(store.stories.members(s1.id)) == 1


def test_persisted_decisions_match_the_pure_clustering(store):
    """The store-backed index and cluster_articles decide the same on a slice of the labelled set."""
    from dedup.cluster import cluster_articles

    items = labelled_set()[:60]
    index = DedupIndex(SETTINGS, store, cache_size=8)  # tiny cache: shingle sets come back from the store
    story_ids = [add(index, store, replace(it.article, url=it.article.url + "#x")).id for it in items]
    clusters = cluster_articles([it.article for it in items], SETTINGS)
    expected = sorted(sorted(i for i, _, _ in members) for members in clusters)
    got: dict[int, list[int]] = {}
    for i, sid in enumerate(story_ids):
        got.setdefault(sid, []).append(i)
    assert sorted(got.values()) == expected
