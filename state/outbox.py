"""The digest outbox and the admin notices: what still has to be sent, and to whom.

An item moves pending -> sending (claimed by one worker) -> sent, or back to
pending with a later `next_attempt_at` when the send failed. When a destination
URL reaches several recipients, each recipient that received an item gets a row
in `deliveries`, and the item is `sent` once every recipient has it. The unique key
(story, destination, rule) makes queueing idempotent; claiming uses
`FOR UPDATE SKIP LOCKED` on PostgreSQL and a compare-and-set update on SQLite,
so two workers never send the same item.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, tuple_, update
from sqlalchemy.exc import SQLAlchemyError

from state import schema
from state.db import dialect_insert, insert_ignoring, wrap_db_errors

T = schema.outbox
N = schema.notices
D = schema.deliveries


@dataclass(frozen=True)
class OutboxRow:
    id: int
    story_id: int
    destination: str
    rule: str
    priority: str
    payload: dict[str, Any]
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    last_error: str | None
    revision: int = 0


@dataclass(frozen=True)
class Notice:
    id: int
    key: str
    subject: str
    body: str
    created_at: datetime
    attempts: int


def _row(r) -> OutboxRow:
    return OutboxRow(
        r.id, r.story_id, r.destination, r.rule, r.priority, dict(r.payload or {}), r.status, r.attempts,
        r.created_at, r.next_attempt_at, r.last_error, r.revision,
    )


def _sent(batch_id: str, now: datetime) -> dict[str, Any]:
    """The column values of an outbox row that went out (mark_sent, record_sent)."""
    return {"status": "sent", "sent_at": now, "batch_id": batch_id, "last_error": None, "claimed_by": None}


def _delivered(conn, ids: Sequence[int], kind: str) -> dict[int, set[str]]:
    """{item id: targets recorded in `deliveries`} for `ids` (not empty), read on `conn`."""
    q = select(D.c.item_id, D.c.target).where(D.c.kind == kind, D.c.item_id.in_(list(ids)))
    out: dict[int, set[str]] = {}
    for item_id, target in conn.execute(q):
        out.setdefault(item_id, set()).add(target)
    return out


class OutboxRepo:
    def __init__(self, store):
        self.store = store

    def _insert(self, table):
        return dialect_insert(self.store.dialect, table)

    # -- queueing -------------------------------------------------------------
    def enqueue(self, rows: Sequence[dict[str, Any]], now: datetime) -> int:
        """Insert-or-ignore on (story, destination, rule, revision); returns how many rows are new."""
        created = 0
        try:
            with self.store.begin() as conn:
                for row in rows:
                    created += len(conn.execute(insert_ignoring(self.store.dialect, T, "story_id", "destination", "rule", "revision"), {
                        "story_id": row["story_id"], "destination": row["destination"], "rule": row["rule"],
                        "priority": row.get("priority", "normal"), "payload": row["payload"], "status": "pending",
                        "attempts": 0, "created_at": now, "revision": row.get("revision", 0),
                    }).fetchall())
        except SQLAlchemyError as exc:
            raise wrap_db_errors(exc) from None
        return created

    # -- reading --------------------------------------------------------------
    def candidates(self, destination: str, now: datetime) -> list[OutboxRow]:
        """Pending items of a destination whose retry wait is over, oldest first (read only)."""
        q = (
            select(T)
            .where(T.c.destination == destination, T.c.status == "pending")
            .where(or_(T.c.next_attempt_at.is_(None), T.c.next_attempt_at <= now))
            .order_by(T.c.id)
        )
        return self._fetch(q)

    def pending(self, destination: str | None = None) -> list[OutboxRow]:
        q = select(T).where(T.c.status == "pending").order_by(T.c.id)
        if destination is not None:
            q = q.where(T.c.destination == destination)
        return self._fetch(q)

    def rows(self, ids: Iterable[int]) -> list[OutboxRow]:
        return self._fetch(select(T).where(T.c.id.in_(list(ids))).order_by(T.c.id))

    def siblings(self, destination: str, keys: Iterable[tuple[int, int]], exclude: Iterable[int] = ()) -> list[OutboxRow]:
        """Pending rows of a destination for these (story, revision) pairs, due or not (read only).

        A story goes out once per destination: when one rule's row is sent, the
        other rules' rows of the same story and revision go with it.
        """
        keys, skip = list(dict.fromkeys(keys)), set(exclude)
        if not keys:
            return []
        q = (
            select(T)
            .where(T.c.destination == destination, T.c.status == "pending")
            .where(tuple_(T.c.story_id, T.c.revision).in_(keys))
            .order_by(T.c.id)
        )
        return [r for r in self._fetch(q) if r.id not in skip]

    def sent_keys(self, destination: str, keys: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
        """The (story, revision) pairs among `keys` that already went out to this destination under some rule."""
        keys = list(dict.fromkeys(keys))
        if not keys:
            return set()
        q = (
            select(T.c.story_id, T.c.revision)
            .where(T.c.destination == destination, T.c.status == "sent")
            .where(tuple_(T.c.story_id, T.c.revision).in_(keys))
        )
        try:
            with self.store.connect() as conn:
                return {(r[0], r[1]) for r in conn.execute(q)}
        except SQLAlchemyError as exc:
            raise wrap_db_errors(exc) from None

    def _fetch(self, q) -> list[OutboxRow]:
        try:
            with self.store.connect() as conn:
                return [_row(r) for r in conn.execute(q)]
        except SQLAlchemyError as exc:
            raise wrap_db_errors(exc) from None

    def status_counts(self) -> dict[str, dict[str, int]]:
        """{destination: {pending, sending, sent, failed, retrying}}."""
        q = select(
            T.c.destination, T.c.status, func.count().label("n"),
            func.count().filter(T.c.attempts > 0).label("retrying"),
        ).where(T.c.story_id != 0).group_by(T.c.destination, T.c.status)
        out: dict[str, dict[str, int]] = {}
        try:
            with self.store.connect() as conn:
                for dest, status, n, retrying in conn.execute(q):
                    counts = out.setdefault(dest, {"pending": 0, "sending": 0, "sent": 0, "failed": 0, "retrying": 0})
                    counts[status] = counts.get(status, 0) + n
                    if status == "pending":
                        counts["retrying"] += retrying or 0
        except SQLAlchemyError as exc:
            raise wrap_db_errors(exc) from None
        return out

    def last_error(self, destination: str) -> str | None:
        q = (
            select(T.c.last_error)
            .where(T.c.destination == destination, T.c.last_error.is_not(None), T.c.status != "sent")
            .order_by(T.c.id.desc())
            .limit(1)
        )
        with self.store.connect() as conn:
            return conn.execute(q).scalar()

    # -- claiming and recording -------------------------------------------------
    def release_stale(self, worker: str, now: datetime, lease: timedelta) -> int:
        """Give back items left in `sending` by a crash: ours at once, other workers' after the lease."""
        stmt = (
            update(T)
            .where(T.c.status == "sending")
            .where(or_(T.c.claimed_by == worker, T.c.claimed_at < now - lease))
            .values(status="pending", claimed_by=None, claimed_at=None)
        )
        try:
            with self.store.begin() as conn:
                return conn.execute(stmt).rowcount or 0
        except SQLAlchemyError as exc:
            raise wrap_db_errors(exc) from None

    def sending_workers(self) -> list[str]:
        """Names of the workers holding items in `sending`."""
        q = select(T.c.claimed_by).where(T.c.status == "sending", T.c.claimed_by.is_not(None)).distinct()
        with self.store.connect() as conn:
            return [r[0] for r in conn.execute(q)]

    def release_worker(self, worker: str) -> int:
        """Give back every item a (dead) worker left in `sending`."""
        stmt = update(T).where(T.c.status == "sending", T.c.claimed_by == worker).values(
            status="pending", claimed_by=None, claimed_at=None
        )
        with self.store.begin() as conn:
            return conn.execute(stmt).rowcount or 0

    def claim(self, ids: Sequence[int], worker: str, now: datetime) -> list[OutboxRow]:
        """Move still-pending items among `ids` to `sending` for this worker; returns those we got."""
        if not ids:
            return []
        token = uuid.uuid4().hex
        try:
            with self.store.begin() as conn:
                wanted = list(ids)
                if self.store.dialect == "postgresql":
                    locked = select(T.c.id).where(T.c.id.in_(wanted), T.c.status == "pending").with_for_update(skip_locked=True)
                    wanted = [r[0] for r in conn.execute(locked)]
                    if not wanted:
                        return []
                # compare-and-set: a row another worker took meanwhile is no longer pending
                conn.execute(
                    update(T)
                    .where(T.c.id.in_(wanted), T.c.status == "pending")
                    .values(status="sending", claimed_by=worker, claimed_at=now, batch_id=token)
                )
                got = conn.execute(select(T).where(T.c.batch_id == token, T.c.status == "sending").order_by(T.c.id))
                return [_row(r) for r in got]
        except SQLAlchemyError as exc:
            raise wrap_db_errors(exc) from None

    def mark_sent(self, ids: Sequence[int], batch_id: str, now: datetime) -> None:
        """Record a successful send; one short transaction, right after the send returned."""
        self._update(ids, **_sent(batch_id, now))

    # -- per-target deliveries (a destination URL that reaches several recipients) --
    def delivered(self, ids: Iterable[int], kind: str = "outbox") -> dict[int, set[str]]:
        """{item id: targets that already received it}; items without any are left out."""
        ids = list(ids)
        if not ids:
            return {}
        try:
            with self.store.connect() as conn:
                return _delivered(conn, ids, kind)
        except SQLAlchemyError as exc:
            raise wrap_db_errors(exc) from None

    def record_sent(self, groups: Sequence[Sequence[int]], target: str, targets: Sequence[str], batch_id: str,
                    now: datetime) -> list[int]:
        """Record that `target` received the stories whose rows are `groups` (one group per story).

        One short transaction, right after the send returned. With one target the
        rows become `sent` at once; with several, a row becomes `sent` when its
        story (any row of its group) has reached every one of `targets`. Returns
        the ids marked sent.
        """
        ids = [i for g in groups for i in g]
        if not ids:
            return []
        try:
            with self.store.begin() as conn:
                if len(targets) <= 1:
                    done = ids
                else:
                    stmt = dialect_insert(self.store.dialect, D).on_conflict_do_nothing(
                        index_elements=["kind", "item_id", "target"])
                    conn.execute(stmt, [{"kind": "outbox", "item_id": i, "target": target, "sent_at": now,
                                         "batch_id": batch_id} for i in ids])
                    have = _delivered(conn, ids, "outbox")
                    wanted = set(targets)
                    done = [i for g in groups if wanted <= set().union(*(have.get(i, set()) for i in g)) for i in g]
                if done:
                    conn.execute(update(T).where(T.c.id.in_(done)).values(**_sent(batch_id, now)))
                return done
        except SQLAlchemyError as exc:
            raise wrap_db_errors(exc) from None

    def mark_delivered(self, kind: str, item_id: int, target: str, now: datetime) -> None:
        """Record one delivery that does not complete an outbox item: an admin notice to one of
        several recipients (kind "notice"), or a piece of a story too long for one Slack message
        (kind "piece", target "<recipient>:<hash of the piece>")."""
        stmt = dialect_insert(self.store.dialect, D).values(
            kind=kind, item_id=item_id, target=target, sent_at=now).on_conflict_do_nothing(
            index_elements=["kind", "item_id", "target"])
        try:
            with self.store.begin() as conn:
                conn.execute(stmt)
        except SQLAlchemyError as exc:
            raise wrap_db_errors(exc) from None

    def release(self, ids: Sequence[int]) -> None:
        """Hand back claimed items that were not attempted (an earlier message failed)."""
        self._update(ids, status="pending", claimed_by=None, claimed_at=None)

    def mark_failed(
        self, ids: Sequence[int], error: str, now: datetime, wait: Callable[[int], timedelta], give_up_after: int = 0
    ) -> list[OutboxRow]:
        """Count a failed attempt; pending again after `wait(attempts)`, or failed once past `give_up_after`."""
        try:
            with self.store.begin() as conn:
                rows = [_row(r) for r in conn.execute(select(T).where(T.c.id.in_(list(ids))))]
                for row in rows:
                    attempts = row.attempts + 1
                    give_up = give_up_after and attempts >= give_up_after
                    conn.execute(
                        update(T).where(T.c.id == row.id).values(
                            status="failed" if give_up else "pending", attempts=attempts, last_error=error[:2000],
                            next_attempt_at=now + wait(attempts), claimed_by=None, claimed_at=None,
                        )
                    )
                return [_row(r) for r in conn.execute(select(T).where(T.c.id.in_(list(ids))).order_by(T.c.id))]
        except SQLAlchemyError as exc:
            raise wrap_db_errors(exc) from None

    def retry_failed(self, destination: str | None = None) -> int:
        """Put given-up items back to pending (for `digest retry` or an operator)."""
        stmt = update(T).where(T.c.status == "failed").values(status="pending", next_attempt_at=None)
        if destination:
            stmt = stmt.where(T.c.destination == destination)
        with self.store.begin() as conn:
            return conn.execute(stmt).rowcount or 0

    def _update(self, ids: Sequence[int], **values) -> None:
        if not ids:
            return
        try:
            with self.store.begin() as conn:
                conn.execute(update(T).where(T.c.id.in_(list(ids))).values(**values))
        except SQLAlchemyError as exc:
            raise wrap_db_errors(exc) from None

    # -- markers: an empty scheduled digest went out (story 0, rule "__empty__:<slot>") --
    def has_marker(self, destination: str, rule: str) -> bool:
        q = select(T.c.id).where(T.c.story_id == 0, T.c.destination == destination, T.c.rule == rule)
        with self.store.connect() as conn:
            return conn.execute(q).first() is not None

    def add_marker(self, destination: str, rule: str, now: datetime) -> None:
        stmt = self._insert(T).values(
            story_id=0, destination=destination, rule=rule, priority="low", payload={}, status="sent",
            attempts=0, created_at=now, sent_at=now,
        ).on_conflict_do_nothing(index_elements=["story_id", "destination", "rule", "revision"])
        with self.store.begin() as conn:
            conn.execute(stmt)

    # -- admin notices ----------------------------------------------------------
    def add_notice(self, key: str, subject: str, body: str, now: datetime) -> bool:
        """Insert-or-ignore by key: the same event is announced once."""
        stmt = self._insert(N).values(key=key, subject=subject, body=body, created_at=now, status="pending", attempts=0)
        stmt = stmt.on_conflict_do_nothing(index_elements=["key"]).returning(N.c.id)
        try:
            with self.store.begin() as conn:
                return bool(conn.execute(stmt).fetchall())
        except SQLAlchemyError as exc:
            raise wrap_db_errors(exc) from None

    def pending_notices(self, limit: int = 100) -> list[Notice]:
        q = select(N).where(N.c.status == "pending").order_by(N.c.id).limit(limit)
        with self.store.connect() as conn:
            return [Notice(r.id, r.key, r.subject, r.body, r.created_at, r.attempts) for r in conn.execute(q)]

    def notice_sent(self, notice_id: int, now: datetime) -> None:
        with self.store.begin() as conn:
            conn.execute(update(N).where(N.c.id == notice_id).values(status="sent", sent_at=now))

    def notice_failed(self, notice_id: int) -> None:
        with self.store.begin() as conn:
            conn.execute(update(N).where(N.c.id == notice_id).values(attempts=N.c.attempts + 1))

    def notice_counts(self) -> dict[str, int]:
        q = select(N.c.status, func.count()).group_by(N.c.status)
        with self.store.connect() as conn:
            return {s: n for s, n in conn.execute(q)}
