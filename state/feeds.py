"""Feed health: validators for conditional GET, failure streaks, backoff, silence, admin notices."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update

from state import schema
from state.db import dialect_insert
from state.entries import EntryRepo, db_errors

T = schema.feeds
MAX_INTERVAL_SAMPLES = 20  # the mean interval follows the feed's recent habits, not its whole history


@dataclass(frozen=True)
class FeedState:
    name: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    encoding: str | None = None
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error_at: datetime | None = None
    last_error_kind: str | None = None
    last_error_message: str | None = None
    consecutive_failures: int = 0
    next_check_at: datetime | None = None
    last_entry_at: datetime | None = None
    mean_interval_seconds: float | None = None
    alerted_failing: bool = False
    alerted_silent: bool = False
    failing_since: datetime | None = None
    interval_samples: int = 0


@dataclass(frozen=True)
class FeedRow:
    """One line of `newswatch feeds`."""

    feed: str
    url: str
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None  # "kind: message"
    consecutive_failures: int
    next_check_at: datetime | None
    items_7d: int
    failed_entries: int


@dataclass(frozen=True)
class PollOutcome:
    """One feed's successful 200 poll, for `FeedRepo.record_polls`."""

    name: str
    entries: tuple
    etag: str | None
    last_modified: str | None
    encoding: str | None
    before: FeedState | None = None


def _success_values(before: FeedState, now: datetime, *, etag: str | None, last_modified: str | None,
                    encoding: str | None, new_entries: int, not_modified: bool) -> dict:
    """Every column a success sets, the same keys each time (so many feeds update in one executemany)."""
    values: dict = dict(
        last_attempt_at=now, last_success_at=now, consecutive_failures=0, next_check_at=None, failing_since=None,
        alerted_failing=False, etag=before.etag, last_modified=before.last_modified, encoding=before.encoding,
        last_entry_at=before.last_entry_at, alerted_silent=before.alerted_silent,
        mean_interval_seconds=before.mean_interval_seconds, interval_samples=before.interval_samples,
    )
    if not not_modified:
        # A 200 without validators must clear the old ones, or the next GET would send stale ones.
        values.update(etag=etag, last_modified=last_modified)
        if encoding:
            values["encoding"] = encoding
    elif etag or last_modified:
        values.update(etag=etag or before.etag, last_modified=last_modified or before.last_modified)
    if new_entries:
        values.update(last_entry_at=now, alerted_silent=False)
        if before.last_entry_at is not None:
            gap = (now - before.last_entry_at).total_seconds()
            n = min(before.interval_samples, MAX_INTERVAL_SAMPLES - 1)
            mean = before.mean_interval_seconds or 0.0
            values.update(mean_interval_seconds=(mean * n + gap) / (n + 1),
                          interval_samples=before.interval_samples + 1)
    return values


def _state(row) -> FeedState:
    m = row._mapping
    return FeedState(**{k: m[k] for k in FeedState.__dataclass_fields__ if k in m and m[k] is not None}
                     | {"name": m["name"], "url": m["url"]})


class FeedRepo:
    def __init__(self, store):
        self.store = store

    def _insert(self, table):
        return dialect_insert(self.store.dialect, table)

    # -- configuration ---------------------------------------------------
    def upsert(self, feeds: Iterable) -> None:
        """Make a row for every configured feed; a changed URL drops the old validators."""
        feeds = list(feeds)
        if not feeds:
            return
        with db_errors(), self.store.begin() as conn:
            have = {r.name: r.url for r in conn.execute(select(T.c.name, T.c.url))}
            for f in feeds:
                if f.name not in have:
                    conn.execute(self._insert(T).values(name=f.name, url=f.url, consecutive_failures=0,
                                                        alerted_failing=False, alerted_silent=False,
                                                        interval_samples=0)
                                 .on_conflict_do_nothing(index_elements=["name"]))
                elif have[f.name] != f.url:
                    conn.execute(update(T).where(T.c.name == f.name).values(
                        url=f.url, etag=None, last_modified=None, next_check_at=None))

    def get(self, name: str) -> FeedState | None:
        with db_errors(), self.store.connect() as conn:
            row = conn.execute(select(T).where(T.c.name == name)).first()
        return _state(row) if row else None

    def states(self, names: Sequence[str] | None = None) -> dict[str, FeedState]:
        query = select(T)
        if names is not None:
            query = query.where(T.c.name.in_(list(names)))
        with db_errors(), self.store.connect() as conn:
            return {row.name: _state(row) for row in conn.execute(query)}

    def due(self, now: datetime) -> list[str]:
        """Names of feeds whose backoff has passed (or never failed)."""
        with db_errors(), self.store.connect() as conn:
            return list(conn.execute(select(T.c.name).where(
                (T.c.next_check_at.is_(None)) | (T.c.next_check_at <= now)).order_by(T.c.name)).scalars())

    # -- outcomes --------------------------------------------------------
    def record_success(self, name: str, now: datetime, *, etag: str | None = None, last_modified: str | None = None,
                       encoding: str | None = None, new_entries: int = 0, not_modified: bool = False,
                       before: FeedState | None = None) -> tuple[FeedState, FeedState]:
        """A poll worked (200 or 304); returns (state before, state after).

        `before` is the state read at the start of the batch, which saves a query per feed; without it
        the row is read here.
        """
        with db_errors(), self.store.begin() as conn:
            return self.record_success_in(conn, name, now, etag=etag, last_modified=last_modified,
                                          encoding=encoding, new_entries=new_entries, not_modified=not_modified,
                                          before=before)

    def record_poll(self, name: str, now: datetime, entries: Sequence, *, etag: str | None, last_modified: str | None,
                    encoding: str | None, before: FeedState | None = None
                    ) -> tuple[list, FeedState, FeedState]:
        """A 200 with a parsed feed: new entries and feed health in one transaction.

        Returns (new entries as (id, Entry), state before, state after).
        """
        return self.record_polls([PollOutcome(name, tuple(entries), etag, last_modified, encoding, before)], now)[0]

    def record_polls(self, outcomes: Sequence["PollOutcome"], now: datetime) -> list[tuple[list, FeedState, FeedState]]:
        """Several feeds' successful polls in one transaction and a few statements (the poll's write batch)."""
        if not outcomes:
            return []
        with db_errors(), self.store.begin() as conn:
            missing = [o.name for o in outcomes if o.before is None]
            read = {r.name: _state(r) for r in conn.execute(select(T).where(T.c.name.in_(missing)))} if missing else {}
            new = EntryRepo(self.store).record_new_in(conn, [e for o in outcomes for e in o.entries], now)
            new_by_feed: dict[str, list] = {}
            for entry_id, e in new:
                new_by_feed.setdefault(e.feed, []).append((entry_id, e))
            results, params = [], []
            for o in outcomes:
                before = o.before or read[o.name]
                mine = new_by_feed.get(o.name, [])
                values = _success_values(before, now, etag=o.etag, last_modified=o.last_modified,
                                         encoding=o.encoding, new_entries=len(mine), not_modified=False)
                params.append({"b_name": o.name, **values})
                results.append((mine, before, replace(before, **values)))
            conn.execute(update(T).where(T.c.name == bindparam("b_name")), params)
        return results

    def record_success_in(self, conn, name: str, now: datetime, *, etag: str | None, last_modified: str | None,
                          encoding: str | None, new_entries: int, not_modified: bool = False,
                          before: FeedState | None = None) -> tuple[FeedState, FeedState]:
        """`record_success` inside the caller's transaction."""
        if before is None:
            before = _state(conn.execute(select(T).where(T.c.name == name)).one())
        values = _success_values(before, now, etag=etag, last_modified=last_modified, encoding=encoding,
                                 new_entries=new_entries, not_modified=not_modified)
        conn.execute(update(T).where(T.c.name == name).values(**values))
        return before, replace(before, **values)

    def touch(self, names: Sequence[str], now: datetime) -> None:
        """Record a 304 for many healthy feeds in one statement (nothing else about them changed)."""
        names = list(names)
        with db_errors(), self.store.begin() as conn:
            for i in range(0, len(names), 500):
                conn.execute(update(T).where(T.c.name.in_(names[i:i + 500]))
                             .values(last_attempt_at=now, last_success_at=now))

    def record_failure(self, name: str, now: datetime, *, kind: str, message: str,
                       next_check_at: datetime) -> FeedState:
        """A poll failed; the streak grows and the next check is pushed back. Returns the new state."""
        with db_errors(), self.store.begin() as conn:
            conn.execute(update(T).where(T.c.name == name).values(
                last_attempt_at=now, last_error_at=now, last_error_kind=kind, last_error_message=message[:2000],
                consecutive_failures=T.c.consecutive_failures + 1, next_check_at=next_check_at,
                failing_since=func.coalesce(T.c.failing_since, now)))
            return _state(conn.execute(select(T).where(T.c.name == name)).one())

    def set_flags(self, name: str, *, alerted_failing: bool | None = None, alerted_silent: bool | None = None) -> None:
        values = {k: v for k, v in (("alerted_failing", alerted_failing), ("alerted_silent", alerted_silent))
                  if v is not None}
        if values:
            with db_errors(), self.store.begin() as conn:
                conn.execute(update(T).where(T.c.name == name).values(**values))

    # -- admin notices ---------------------------------------------------
    def add_notice(self, key: str, subject: str, body: str, now: datetime) -> bool:
        """Queue one alert for the admin; False when a notice with this key already exists."""
        n = schema.notices
        with db_errors(), self.store.begin() as conn:
            result = conn.execute(self._insert(n).values(key=key[:300], subject=subject, body=body, created_at=now,
                                                         status="pending", attempts=0)
                                  .on_conflict_do_nothing(index_elements=["key"]))
            return bool(result.rowcount)

    def notices(self, prefix: str = "") -> list[dict]:
        n = schema.notices
        with db_errors(), self.store.connect() as conn:
            rows = conn.execute(select(n).where(n.c.key.startswith(prefix)).order_by(n.c.id)).all()
        return [dict(r._mapping) for r in rows]

    # -- the `newswatch feeds` table --------------------------------------
    def table(self, now: datetime, names: Sequence[str] | None = None) -> list[FeedRow]:
        e = schema.entries
        with db_errors(), self.store.connect() as conn:
            recent = dict(conn.execute(select(e.c.feed, func.count()).where(e.c.first_seen >= now - timedelta(days=7))
                                       .group_by(e.c.feed)).all())
            failed = dict(conn.execute(select(e.c.feed, func.count()).where(e.c.status == "failed")
                                       .group_by(e.c.feed)).all())
            query = select(T).order_by(T.c.name)
            if names is not None:
                query = query.where(T.c.name.in_(list(names)))
            rows = [_state(r) for r in conn.execute(query)]
        return [FeedRow(
            feed=s.name, url=s.url, last_success_at=s.last_success_at, last_error_at=s.last_error_at,
            last_error=f"{s.last_error_kind}: {s.last_error_message}" if s.last_error_kind else None,
            consecutive_failures=s.consecutive_failures, next_check_at=s.next_check_at,
            items_7d=recent.get(s.name, 0), failed_entries=failed.get(s.name, 0),
        ) for s in rows]
