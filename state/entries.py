"""Seen feed entries and the queue of entries waiting for their article.

The unique key (feed, identity) is the "seen before" memory: an insert that
conflicts is a known entry, so overlapping polls, restarts and two workers
polling at once all yield each entry once. Pending rows double as a work queue
that workers claim (claimed_by / claimed_at) so no entry is processed twice.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from extractors.feeds import entry_identity, url_identity
from newswatch.models import Entry
from state import schema
from state.db import dialect_insert

T = schema.entries

# built once: it runs for every article (see state.stories)
_MARK_DONE = update(T).where(T.c.id == bindparam("b_entry")).values(
    status="done", article_id=bindparam("b_article"), claimed_by=None, claimed_at=None,
    error_kind=None, error_message=None, next_attempt_at=None)

MAX_ATTEMPTS = 5  # transient failures retried this many times, then the entry is failed for good
RETRY_BASE = timedelta(minutes=10)
RETRY_AFTER_MAX = timedelta(hours=6)  # a page's Retry-After is honoured up to this long
CLAIM_STALE = timedelta(minutes=30)  # a claim older than this belongs to a crashed worker


@contextmanager
def db_errors() -> Iterator[None]:
    """SQLAlchemy's exceptions never leave the state package."""
    try:
        yield
    except SQLAlchemyError as exc:
        from state.db import wrap_db_errors

        raise wrap_db_errors(exc) from None


def row_to_entry(row) -> Entry:
    return Entry(
        feed=row.feed,
        guid=row.guid,
        link=row.link or row.canonical_url,
        canonical_url=row.canonical_url,
        title=row.title,
        summary=row.summary,
        published=row.published if row.published is not None else row.first_seen,
        published_is_fallback=bool(row.published_is_fallback),
        updated=row.updated,
        author=row.author,
    )


def _rows_in(conn, columns, key, values: list[str], feeds: set[str]) -> Iterator:
    """Rows of `columns` whose `key` is one of `values`, queried 500 values at a time (narrowed to the feed when one)."""
    for i in range(0, len(values), 500):
        query = select(*columns).where(key.in_(values[i:i + 500]))
        if len(feeds) == 1:
            query = query.where(T.c.feed == next(iter(feeds)))
        yield from conn.execute(query)


class EntryRepo:
    def __init__(self, store):
        self.store = store

    def _insert(self):
        return dialect_insert(self.store.dialect, T)

    def record_new(self, entries: Sequence[Entry], now: datetime) -> list[tuple[int, Entry]]:
        """Store the entries never seen before and return them with their ids; known ones are ignored."""
        if not entries:
            return []
        with db_errors(), self.store.begin() as conn:
            return self.record_new_in(conn, entries, now)

    def record_new_in(self, conn, entries: Sequence[Entry], now: datetime) -> list[tuple[int, Entry]]:
        """`record_new` inside the caller's transaction; entries of many feeds go in one statement.

        An entry is known when its identity (GUID, else URL) *or* its canonical URL was stored before
        for the same feed: a feed that changes an item's GUID but not its link does not bring it back.
        A URL that several different entries carry (in this batch or in the state) is a shared link,
        such as a section page, and identifies none of them.
        """
        fresh: dict[tuple[str, str], Entry] = {}
        for e in entries:
            fresh.setdefault((e.feed, entry_identity(e)), e)
        by_url: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for key, e in fresh.items():
            url = url_identity(e)
            if url is not None:
                by_url.setdefault((e.feed, url), []).append(key)
        feeds = {feed for feed, _ in fresh}
        identities = list({identity for _, identity in fresh})
        # skip the known ones cheaply before inserting
        for feed, identity in _rows_in(conn, (T.c.feed, T.c.identity), T.c.identity, identities, feeds):
            fresh.pop((feed, identity), None)
        # the same URL under a new identity (the GUID changed): known too, unless the link is shared
        by_url = {k: keys for k, keys in by_url.items() if len(keys) == 1 and keys[0] in fresh}
        urls = list({url for _, url in by_url})
        stored: dict[tuple[str, str], set[str]] = {}
        for feed, url, identity in _rows_in(conn, (T.c.feed, T.c.canonical_url, T.c.identity), T.c.canonical_url,
                                            urls, feeds):
            stored.setdefault((feed, url), set()).add(identity)
        for key, identities_for_url in stored.items():
            if key in by_url and len(identities_for_url) == 1:
                fresh.pop(by_url[key][0], None)
        if not fresh:
            return []
        rows = [dict(
            feed=feed, identity=identity, guid=e.guid, canonical_url=e.canonical_url, link=e.link,
            title=e.title, summary=e.summary, published=e.published,
            published_is_fallback=e.published_is_fallback, updated=e.updated, author=e.author,
            first_seen=now, status="pending", attempts=0,
        ) for (feed, identity), e in fresh.items()]
        # insert-or-ignore in one executemany (SQLAlchemy batches it into multi-row INSERTs with a
        # cached statement); RETURNING lists only the rows this call inserted, so an entry a
        # concurrent worker stored first is not reported twice.
        stmt = (self._insert().on_conflict_do_nothing(index_elements=["feed", "identity"])
                .returning(T.c.id, T.c.feed, T.c.identity))
        inserted = {(feed, identity): entry_id for entry_id, feed, identity in conn.execute(stmt, rows)}
        return [(inserted[key], e) for key, e in fresh.items() if key in inserted]

    def claim_pending(self, worker: str, limit: int, now: datetime) -> list[tuple[int, Entry]]:
        """Claim up to `limit` pending entries (due retries included) for `worker`."""
        stale = now - CLAIM_STALE
        claimable = and_(
            T.c.status == "pending",
            or_(T.c.next_attempt_at.is_(None), T.c.next_attempt_at <= now),
            or_(T.c.claimed_by.is_(None), T.c.claimed_at < stale),
        )
        with db_errors(), self.store.begin() as conn:
            query = select(T.c.id).where(claimable).order_by(T.c.first_seen, T.c.id).limit(limit)
            if self.store.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(conn.execute(query).scalars())
            if not ids:
                return []
            # The claim condition is repeated in the UPDATE: on SQLite two workers may select the
            # same ids, and only the one whose UPDATE still finds them unclaimed gets them.
            conn.execute(update(T).where(T.c.id.in_(ids), claimable).values(claimed_by=worker, claimed_at=now))
            rows = conn.execute(
                select(T).where(T.c.id.in_(ids), T.c.claimed_by == worker, T.c.claimed_at == now)
                .order_by(T.c.first_seen, T.c.id)).all()
        return [(row.id, row_to_entry(row)) for row in rows]

    def mark_done(self, entry_id: int, article_id: int | None) -> None:
        with db_errors(), self.store.begin() as conn:
            conn.execute(_MARK_DONE, {"b_entry": entry_id, "b_article": article_id})

    def mark_failed(self, entry_id: int, kind: str, message: str, transient: bool, now: datetime,
                    retry_after: float | None = None) -> None:
        """Transient: retried later with backoff, failed after MAX_ATTEMPTS. Permanent: failed, kept for the CLI.

        The next attempt is RETRY_BASE × 2^(n-1) after `now`, or later when the page's server asked
        for it (`retry_after` seconds, from Retry-After; honoured up to RETRY_AFTER_MAX).
        """
        with db_errors(), self.store.begin() as conn:
            attempts = (conn.execute(select(T.c.attempts).where(T.c.id == entry_id)).scalar() or 0) + 1
            retry = transient and attempts < MAX_ATTEMPTS
            wait = RETRY_BASE * (2 ** (attempts - 1))
            if retry_after is not None and retry_after > 0:
                wait = max(wait, timedelta(seconds=min(retry_after, RETRY_AFTER_MAX.total_seconds())))
            conn.execute(update(T).where(T.c.id == entry_id).values(
                status="pending" if retry else "failed",
                attempts=attempts,
                error_kind=kind,
                error_message=message[:2000],
                claimed_by=None,
                claimed_at=None,
                next_attempt_at=now + wait if retry else None,
            ))

    def get(self, entry_id: int) -> dict | None:
        with db_errors(), self.store.connect() as conn:
            row = conn.execute(select(T).where(T.c.id == entry_id)).first()
        return dict(row._mapping) if row else None

    def count_by_status(self, feed: str | None = None) -> dict[str, int]:
        query = select(T.c.status, func.count()).group_by(T.c.status)
        if feed:
            query = query.where(T.c.feed == feed)
        with db_errors(), self.store.connect() as conn:
            return {status: n for status, n in conn.execute(query)}

    def failed(self, limit: int = 50) -> list[dict]:
        """Entries given up on, newest first, for `newswatch feeds`."""
        with db_errors(), self.store.connect() as conn:
            rows = conn.execute(select(T.c.id, T.c.feed, T.c.link, T.c.canonical_url, T.c.title, T.c.error_kind,
                                       T.c.error_message, T.c.attempts, T.c.first_seen)
                                .where(T.c.status == "failed").order_by(T.c.first_seen.desc()).limit(limit)).all()
        return [dict(r._mapping) for r in rows]
