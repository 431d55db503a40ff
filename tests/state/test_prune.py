"""Retention: old rows go whole-story at a time; pending work is never touched."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

from state import schema
from state.prune import TABLES, parse_duration, prune

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
OLD = NOW - timedelta(days=120)
RECENT = NOW - timedelta(days=3)
KEEP = timedelta(days=90)


class World:
    """Rows written straight into the tables, named so assertions read as the scenario."""

    def __init__(self, store):
        self.store = store

    def add(self, table, **values) -> int:
        with self.store.engine.begin() as conn:
            return conn.execute(insert(table).values(**values)).inserted_primary_key[0]

    def article(self, name: str, fetched: datetime, story_id: int | None = None) -> int:
        return self.add(
            schema.articles, canonical_url=f"https://news.example.kr/{name}", title=name, text_hash=name.ljust(64, "0"),
            fetched_at=fetched, story_id=story_id,
        )

    def story(self, first_article: str, first: datetime, last: datetime) -> tuple[int, int]:
        """A story whose first article was fetched at `first`; returns (story id, article id)."""
        article_id = self.article(first_article, first)
        story_id = self.add(schema.stories, representative_article_id=article_id, title=first_article,
                            first_seen=first, last_seen=last)
        self.join(story_id, article_id, first)
        return story_id, article_id

    def join(self, story_id: int, article_id: int, when: datetime) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(schema.articles.update().where(schema.articles.c.id == article_id).values(story_id=story_id))
        self.add(schema.story_members, article_id=article_id, story_id=story_id, joined_at=when)
        self.add(schema.signatures, article_id=article_id, story_id=story_id, minhash=b"\x00" * 16,
                 lead_minhash=b"\x00" * 16, text_len=500, created_at=when)

    def match(self, article_id: int, story_id: int | None, rule: str, when: datetime) -> int:
        return self.add(schema.matches, article_id=article_id, story_id=story_id, rule=rule, created_at=when)

    def outbox(self, story_id: int, status: str, when: datetime, destination: str = "slack") -> int:
        return self.add(schema.outbox, story_id=story_id, destination=destination, rule="금리", payload={"t": "x"},
                        status=status, created_at=when, sent_at=when if status == "sent" else None)

    def ids(self, table) -> set[int]:
        key = table.c.article_id if table is schema.story_members or table is schema.signatures else table.c.id
        with self.store.engine.connect() as conn:
            return set(conn.execute(select(key)).scalars())


@pytest.fixture
def world(state_store) -> World:
    return World(state_store)


def test_an_old_delivered_story_goes_with_everything_it_holds(world):
    story, first = world.story("old-story", OLD, OLD + timedelta(hours=2))
    second = world.article("old-story-copy", OLD + timedelta(hours=1))
    world.join(story, second, OLD + timedelta(hours=1))
    world.match(first, story, "금리", OLD)
    world.outbox(story, "sent", OLD + timedelta(hours=3))

    counts = prune(world.store, KEEP, NOW)

    assert counts == {**dict.fromkeys(TABLES, 0), "stories": 1, "articles": 2, "story_members": 2, "signatures": 2,
                      "matches": 1, "outbox": 1}
    for table in (schema.stories, schema.articles, schema.story_members, schema.signatures, schema.matches, schema.outbox):
        assert world.ids(table) == set(), table.name


def test_a_story_with_undelivered_items_is_kept_whole(world):
    pending_story, pending_article = world.story("pending", OLD, OLD)
    world.outbox(pending_story, "pending", OLD)
    failed_story, failed_article = world.story("given-up", OLD, OLD)
    world.outbox(failed_story, "failed", OLD)
    sending_story, _ = world.story("in-flight", OLD, OLD)
    world.outbox(sending_story, "sending", OLD, destination="email")
    world.outbox(sending_story, "sent", OLD, destination="slack")

    counts = prune(world.store, KEEP, NOW)

    assert sum(counts.values()) == 0
    assert world.ids(schema.stories) == {pending_story, failed_story, sending_story}
    assert {pending_article, failed_article} <= world.ids(schema.articles)
    assert len(world.ids(schema.outbox)) == 4


def test_a_living_story_keeps_its_old_members_and_its_sent_items(world):
    # first copy four months ago, latest copy this week: the story is alive, so nothing of it goes,
    # not even the digest item sent four months ago (deleting it would let the story be queued again)
    story, old_article = world.story("long-running", OLD, RECENT)
    new_article = world.article("long-running-update", RECENT)
    world.join(story, new_article, RECENT)
    world.match(old_article, story, "금리", OLD)
    sent = world.outbox(story, "sent", OLD)

    assert sum(prune(world.store, KEEP, NOW).values()) == 0
    assert world.ids(schema.articles) == {old_article, new_article}
    assert world.ids(schema.outbox) == {sent}
    assert len(world.ids(schema.matches)) == 1


def test_unclustered_articles_go_by_fetch_time_with_their_matches(world):
    old = world.article("lonely-old", OLD)
    recent = world.article("lonely-recent", RECENT)
    world.match(old, None, "금리", OLD)
    world.match(recent, None, "금리", RECENT)

    counts = prune(world.store, KEEP, NOW)

    assert (counts["articles"], counts["matches"]) == (1, 1)
    assert world.ids(schema.articles) == {recent}
    with world.store.engine.connect() as conn:
        assert set(conn.execute(select(schema.matches.c.article_id)).scalars()) == {recent}


def test_entries_go_by_first_seen_but_pending_ones_stay(world):
    article = world.article("entry-article", OLD)

    def entry(identity, seen, status, article_id=None):
        return world.add(schema.entries, feed="연합뉴스", identity=identity, canonical_url=f"https://e/{identity}",
                         first_seen=seen, status=status, article_id=article_id)

    old_done = entry("a", OLD, "done", article)
    old_failed = entry("b", OLD, "failed")
    old_pending = entry("c", OLD, "pending")
    # a recent entry of another feed that led to the same (old) article
    recent_done = entry("d", RECENT, "done", article)

    counts = prune(world.store, KEEP, NOW)

    assert counts["entries"] == 2 and counts["articles"] == 1
    assert world.ids(schema.entries) == {old_pending, recent_done}
    assert old_done not in world.ids(schema.entries) and old_failed not in world.ids(schema.entries)
    with world.store.engine.connect() as conn:
        # the pointer to the deleted article is cleared, as ON DELETE SET NULL would
        assert conn.execute(select(schema.entries.c.article_id).where(schema.entries.c.id == recent_done)).scalar_one() is None


def test_only_sent_notices_and_old_runs_go(world):
    def notice(key, status, when):
        return world.add(schema.notices, key=key, subject=key, body="", status=status, created_at=when,
                         sent_at=when if status == "sent" else None)

    notice("old-sent", "sent", OLD)
    old_pending = notice("old-pending", "pending", OLD)
    recent_sent = notice("recent-sent", "sent", RECENT)
    world.add(schema.runs, kind="poll", started_at=OLD, finished_at=OLD)
    unfinished_old = world.add(schema.runs, kind="poll", started_at=OLD)
    recent_run = world.add(schema.runs, kind="deliver", started_at=RECENT)

    counts = prune(world.store, KEEP, NOW)

    assert (counts["notices"], counts["runs"]) == (1, 2)
    assert world.ids(schema.notices) == {old_pending, recent_sent}
    assert world.ids(schema.runs) == {recent_run}
    assert unfinished_old not in world.ids(schema.runs)


def test_dry_run_counts_exactly_and_changes_nothing(world):
    story, _ = world.story("old-story", OLD, OLD)
    world.outbox(story, "sent", OLD)
    world.article("lonely-old", OLD)
    world.add(schema.runs, kind="poll", started_at=OLD)
    before = {t.name: world.ids(t) for t in (schema.stories, schema.articles, schema.outbox, schema.runs)}

    dry = prune(world.store, KEEP, NOW, dry_run=True)
    assert {t.name: world.ids(t) for t in (schema.stories, schema.articles, schema.outbox, schema.runs)} == before

    real = prune(world.store, KEEP, NOW)
    assert dry == real and real["articles"] == 2 and real["stories"] == 1
    # and a second pass finds nothing more
    assert sum(prune(world.store, KEEP, NOW).values()) == 0


def test_the_cutoff_is_older_than(world):
    just_inside = world.article("inside", NOW - KEEP + timedelta(seconds=1))
    world.article("outside", NOW - KEEP - timedelta(seconds=1))
    prune(world.store, KEEP, NOW)
    assert world.ids(schema.articles) == {just_inside}


def test_nonsense_arguments_are_refused(world):
    with pytest.raises(ValueError):
        prune(world.store, timedelta(0), NOW)
    with pytest.raises(ValueError):
        prune(world.store, KEEP, NOW.replace(tzinfo=None))


@pytest.mark.parametrize(
    "text, expected",
    [("90d", timedelta(days=90)), ("12h", timedelta(hours=12)), ("2w", timedelta(weeks=2)),
     ("1w2d", timedelta(days=9)), (" 30m ", timedelta(minutes=30)), ("45s", timedelta(seconds=45)),
     ("1D", timedelta(days=1))],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "90", "d", "2x", "0d", "-3d", "1.5d", "90 days"])
def test_parse_duration_refuses(text):
    with pytest.raises(ValueError):
        parse_duration(text)
