"""Retention: drop what is older than a cutoff, without ever dropping work still to be done.

A story goes once its last member is older than the cutoff and none of its digest
items is still waiting (pending, sending or given up); its members, articles,
signatures, matches and *sent* outbox rows go with it. Articles that never joined a
story go by their fetch time. Pending entries, outbox items that are not sent, and
notices that are not sent are never touched.

Rows are removed whole-story at a time rather than table by table because the
unique keys are the exactly-once guarantees: deleting a sent outbox row while its
story lives would let the story be queued (and sent) again.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, or_, update
from sqlalchemy.exc import SQLAlchemyError

from state import schema
from state.db import wrap_db_errors

TABLES = ("entries", "articles", "matches", "story_members", "signatures", "stories", "outbox", "notices", "runs")

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"(\d+)\s*([smhdw])")


def parse_duration(text: str) -> timedelta:
    """'90d', '12h', '2w', '1w2d', '30m' -> timedelta; ValueError with the accepted forms otherwise."""
    cleaned = text.strip().lower()
    parts = _PART.findall(cleaned)
    if not cleaned or _PART.sub("", cleaned).strip():
        raise ValueError(f"not a duration: {text!r} (use a number and a unit: 90d, 12h, 2w, 30m, 45s; or combine: 1w2d)")
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"duration must be longer than zero: {text!r}")
    return timedelta(seconds=seconds)


def prune(store, older_than: timedelta, now: datetime, *, dry_run: bool = False) -> dict[str, int]:
    """Delete rows older than `now - older_than`; returns the rows removed per table.

    With dry_run the same deletes run inside a transaction that is rolled back, so
    the counts are exact and nothing changes.
    """
    if older_than <= timedelta(0):
        raise ValueError("older_than must be positive")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    cutoff = now - older_than
    counts = dict.fromkeys(TABLES, 0)
    try:
        with store.engine.connect() as conn:
            trans = conn.begin()
            for table, statement in _statements(cutoff):
                removed = conn.execute(statement).rowcount
                if table is not None:
                    counts[table] += max(removed, 0)
            if dry_run:
                trans.rollback()
            else:
                trans.commit()
    except SQLAlchemyError as exc:
        raise wrap_db_errors(exc) from None
    return counts


def _statements(cutoff: datetime):
    """(table counted, statement) in dependency order: whole stories first, then orphans."""
    s = schema
    unsent_item = exists().where(s.outbox.c.story_id == s.stories.c.id, s.outbox.c.status != "sent")
    yield "entries", delete(s.entries).where(s.entries.c.first_seen < cutoff, s.entries.c.status != "pending")
    yield "stories", delete(s.stories).where(s.stories.c.last_seen < cutoff, ~unsent_item)

    story_alive = lambda story_id: exists().where(s.stories.c.id == story_id)  # noqa: E731
    yield "story_members", delete(s.story_members).where(~story_alive(s.story_members.c.story_id))
    member = exists().where(s.story_members.c.article_id == s.articles.c.id)
    yield "articles", delete(s.articles).where(
        s.articles.c.fetched_at < cutoff,
        ~member,
        or_(s.articles.c.story_id.is_(None), ~story_alive(s.articles.c.story_id)),
    )

    # With the articles gone, whatever points at them goes too: SQLite may hand a
    # deleted row id to the next article, which must not inherit old matches.
    article_alive = lambda article_id: exists().where(s.articles.c.id == article_id)  # noqa: E731
    yield "story_members", delete(s.story_members).where(~article_alive(s.story_members.c.article_id))
    yield "matches", delete(s.matches).where(~article_alive(s.matches.c.article_id))
    yield "signatures", delete(s.signatures).where(~article_alive(s.signatures.c.article_id))
    # entries.article_id is ON DELETE SET NULL; SQLite runs without foreign keys, so do it by hand.
    yield None, update(s.entries).where(
        s.entries.c.article_id.is_not(None), ~article_alive(s.entries.c.article_id)
    ).values(article_id=None)

    # A sent item is kept as long as its story, so the story cannot be queued again.
    yield "outbox", delete(s.outbox).where(s.outbox.c.status == "sent", ~story_alive(s.outbox.c.story_id))
    yield "notices", delete(s.notices).where(
        s.notices.c.status == "sent", func.coalesce(s.notices.c.sent_at, s.notices.c.created_at) < cutoff
    )
    yield "runs", delete(s.runs).where(s.runs.c.started_at < cutoff)
    # per-target delivery records go with their item
    d = s.deliveries
    yield None, delete(d).where(d.c.kind.in_(("outbox", "piece")), ~exists().where(s.outbox.c.id == d.c.item_id))
    yield None, delete(d).where(d.c.kind == "notice", ~exists().where(s.notices.c.id == d.c.item_id))

