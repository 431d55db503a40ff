"""Story clusters: stories, their members, and the MinHash signatures of the dedup window.

Every dedup decision runs inside `StoryRepo.decision()`, a transaction that
holds a database-wide lock from its first statement (pg_advisory_xact_lock on
PostgreSQL, the SQLite write lock via BEGIN IMMEDIATE), so two workers can never
both decide "new story" for two copies of one story.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import Iterator
from urllib.parse import urlsplit

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from newswatch.models import Outlet, Story
from state import schema

S = schema.stories
M = schema.story_members
G = schema.signatures
A = schema.articles

def _outlet_name(site_name: str, url: str) -> str:
    return site_name or urlsplit(url).hostname or url


def _wrap(exc: SQLAlchemyError):
    from state.db import wrap_db_errors

    return wrap_db_errors(exc)


# The statements of the per-article path are built once: building a Core statement
# costs several times more than executing it on SQLite (measured: ~150 us vs ~35 us).
_MEMBERSHIP = select(M).where(M.c.article_id == bindparam("b_article"))
_MAX_SEQ = select(func.coalesce(func.max(G.c.seq), 0))
_NEW_STORY = insert(S).returning(S.c.id)
_NEW_MEMBER = insert(M)
_ARTICLE_STORY = update(A).where(A.c.id == bindparam("b_article")).values(story_id=bindparam("b_story"))
_REPRESENTATIVE = select(S.c.representative_len, S.c.representative_published).where(S.c.id == bindparam("b_story"))
_TOUCH = update(S).where(S.c.id == bindparam("b_story")).values(
    last_seen=bindparam("b_now"), member_count=S.c.member_count + 1)
_TOUCH_NEW_REPRESENTATIVE = _TOUCH.values(
    representative_article_id=bindparam("b_article"), title=bindparam("b_title"),
    representative_len=bindparam("b_len"), representative_published=bindparam("b_published"))
_NEW_SIGNATURE = insert(G)
_STORY_ROW = (
    select(S.c.id, S.c.title, A.c.canonical_url, A.c.published)
    .select_from(S.join(A, A.c.id == S.c.representative_article_id, isouter=True))
    .where(S.c.id == bindparam("b_story"))
)
_MEMBER_OUTLETS = (
    select(A.c.site_name, A.c.canonical_url)
    .select_from(M.join(A, A.c.id == M.c.article_id))
    .where(M.c.story_id == bindparam("b_story"))
    .order_by(M.c.joined_at, M.c.article_id)
)


class StoryTx:
    """The repository's operations inside one locked decision transaction."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def membership(self, article_id: int):
        return self.conn.execute(_MEMBERSHIP, {"b_article": article_id}).first()

    def max_seq(self) -> int:
        return self.conn.execute(_MAX_SEQ).scalar_one()

    def signatures_after(self, seq: int, since: datetime) -> list:
        return signature_rows(self.conn, seq, since)

    def create_story(self, article_id: int, title: str, body_len: int, published: datetime | None, now: datetime) -> int:
        story_id = self.conn.execute(_NEW_STORY, {
            "representative_article_id": article_id, "title": title, "first_seen": now, "last_seen": now,
            "member_count": 1, "representative_len": body_len, "representative_published": published,
        }).scalar_one()
        self._member(article_id, story_id, 1.0, "first", 0.0, now)
        return story_id

    def join_story(
        self,
        story_id: int,
        article_id: int,
        *,
        similarity: float,
        method: str,
        novelty: float,
        title: str,
        body_len: int,
        published: datetime | None,
        now: datetime,
    ) -> None:
        self._member(article_id, story_id, similarity, method, novelty, now)
        row = self.conn.execute(_REPRESENTATIVE, {"b_story": story_id}).first()
        if row is not None and _more_complete(body_len, published, row.representative_len, row.representative_published):
            self.conn.execute(_TOUCH_NEW_REPRESENTATIVE, {
                "b_story": story_id, "b_now": now, "b_article": article_id, "b_title": title, "b_len": body_len,
                "b_published": published})
        else:
            self.conn.execute(_TOUCH, {"b_story": story_id, "b_now": now})

    def _member(self, article_id: int, story_id: int, similarity: float, method: str, novelty: float, now: datetime) -> None:
        self.conn.execute(_NEW_MEMBER, {"article_id": article_id, "story_id": story_id, "similarity": similarity,
                                        "method": method, "novelty": novelty, "joined_at": now})
        # the article row records its story too, so the digest needs no join through members
        self.conn.execute(_ARTICLE_STORY, {"b_article": article_id, "b_story": story_id})

    def add_signature(
        self, article_id: int, story_id: int, minhash: bytes, lead_minhash: bytes, text_len: int, now: datetime, seq: int
    ) -> None:
        self.conn.execute(_NEW_SIGNATURE, {"article_id": article_id, "story_id": story_id, "minhash": minhash,
                                           "lead_minhash": lead_minhash, "text_len": text_len, "created_at": now,
                                           "seq": seq})

    def story(self, story_id: int, **latest) -> Story:
        return load_story(self.conn, story_id, **latest)

    @staticmethod
    def first_story(story_id: int, article_url: str, title: str, site_name: str, published: datetime | None) -> Story:
        """The story an article has just started: what `story()` would read back, without the queries."""
        outlet = Outlet(name=_outlet_name(site_name, article_url), url=article_url)
        return Story(id=story_id, representative_url=article_url, title=title, outlets=(outlet,), published=published)


def _more_complete(new_len: int, new_pub: datetime | None, old_len: int, old_pub: datetime | None) -> bool:
    if new_len != old_len:
        return new_len > old_len
    return new_pub is not None and (old_pub is None or new_pub < old_pub)


def signature_rows(conn: Connection, seq: int, since: datetime) -> list:
    query = (
        select(
            G.c.article_id,
            G.c.story_id,
            G.c.minhash,
            G.c.lead_minhash,
            G.c.text_len,
            G.c.created_at,
            G.c.seq,
            A.c.canonical_url,
            A.c.guid,
            A.c.text_hash,
            A.c.title,
        )
        .select_from(G.join(A, A.c.id == G.c.article_id, isouter=True))
        .where(G.c.seq > seq, G.c.created_at >= since)
        .order_by(G.c.seq)
    )
    return conn.execute(query).all()


def load_story(conn: Connection, story_id: int, **latest) -> Story:
    row = conn.execute(_STORY_ROW, {"b_story": story_id}).first()
    if row is None:
        raise KeyError(story_id)
    # one entry per outlet (its first article): an outlet that republished an update is still one outlet
    outlets: dict[str, Outlet] = {}
    for outlet in members(conn, story_id):
        outlets.setdefault(outlet.name, outlet)
    return Story(id=row.id, representative_url=row.canonical_url or "", title=row.title, outlets=tuple(outlets.values()),
                 published=row.published, **latest)


def members(conn: Connection, story_id: int) -> list[Outlet]:
    rows = conn.execute(_MEMBER_OUTLETS, {"b_story": story_id}).all()
    return [Outlet(name=_outlet_name(r.site_name, r.canonical_url), url=r.canonical_url) for r in rows]


class StoryRepo:
    def __init__(self, store):
        self.store = store

    @contextmanager
    def decision(self) -> Iterator[StoryTx]:
        """A transaction holding the dedup lock (the open `Store.transaction()`, when there is one)."""
        try:
            with self.store.transaction(dedup_lock=True) as conn:
                yield StoryTx(conn)
        except SQLAlchemyError as exc:
            raise _wrap(exc) from None

    def signatures(self, since: datetime, after_seq: int = 0) -> list:
        """Signature rows (with the article's URL, GUID, hash, title) created at or after `since`."""
        try:
            with self.store.connect() as conn:
                return signature_rows(conn, after_seq, since)
        except SQLAlchemyError as exc:
            raise _wrap(exc) from None

    def bodies(self, article_ids: list[int]) -> dict[int, tuple[str, str]]:
        """(text, lead) of the given articles, for re-computing shingle sets."""
        try:
            with self.store.connect() as conn:
                rows = conn.execute(select(A.c.id, A.c.text, A.c.lead).where(A.c.id.in_(article_ids))).all()
        except SQLAlchemyError as exc:
            raise _wrap(exc) from None
        return {r.id: (r.text or "", r.lead or "") for r in rows}

    def prune_signatures(self, before: datetime) -> int:
        try:
            with self.store.begin() as conn:
                return conn.execute(delete(G).where(G.c.created_at < before)).rowcount or 0
        except SQLAlchemyError as exc:
            raise _wrap(exc) from None

    def story(self, story_id: int) -> Story:
        """The story with its representative and every member's outlet (KeyError when unknown)."""
        try:
            with self.store.connect() as conn:
                return load_story(conn, story_id, is_new=False)
        except SQLAlchemyError as exc:
            raise _wrap(exc) from None

    def members(self, story_id: int) -> list[Outlet]:
        """One Outlet(site_name, url) per member article, in the order they joined."""
        try:
            with self.store.connect() as conn:
                return members(conn, story_id)
        except SQLAlchemyError as exc:
            raise _wrap(exc) from None

    def story_of(self, article_id: int) -> int | None:
        try:
            with self.store.connect() as conn:
                return conn.execute(select(M.c.story_id).where(M.c.article_id == article_id)).scalar()
        except SQLAlchemyError as exc:
            raise _wrap(exc) from None

    def count(self) -> int:
        try:
            with self.store.connect() as conn:
                return conn.execute(select(func.count()).select_from(S)).scalar_one()
        except SQLAlchemyError as exc:
            raise _wrap(exc) from None
