"""The registry of institution names: seeded from the config, learned from every processed article.

status: seed (from config) | learned (seen in an article) | known (a person said so) |
wrong (a person said it is not an institution; never reported again).
Aliases (광주TP for 광주테크노파크, GIST) are kept on the canonical row.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError

from newswatch.models import InstitutionMention
from state import schema
from state.db import dialect_insert, insert_ignoring

T = schema.institutions

# the statements every article runs, built once (see state.stories)
_STATUSES = select(T.c.name, T.c.status).where(T.c.name.in_(bindparam("b_names", expanding=True)))
_COUNT_MENTIONS = update(T).where(T.c.name == bindparam("b_name")).values(mentions=T.c.mentions + bindparam("b_n"))
STATUSES = ("seed", "learned", "known", "wrong")


@dataclass(frozen=True, slots=True)
class InstitutionRecord:
    name: str
    status: str
    aliases: tuple[str, ...]
    first_seen: datetime
    first_article_url: str | None
    mentions: int


def _row(r) -> InstitutionRecord:
    return InstitutionRecord(r.name, r.status, tuple(r.aliases or ()), r.first_seen, r.first_article_url, r.mentions)


class InstitutionRepo:
    def __init__(self, store):
        self.store = store

    def _insert(self):
        return dialect_insert(self.store.dialect, T)

    def _guard(self, fn):
        from state.db import wrap_db_errors

        try:
            return fn()
        except SQLAlchemyError as exc:
            raise wrap_db_errors(exc) from None

    def seed(self, names: Sequence[str], aliases: dict[str, Sequence[str]], now: datetime) -> None:
        """Add config names as status seed; existing rows keep their status."""
        def run():
            with self.store.begin() as conn:
                for name in list(names) + [n for n in aliases if n not in names]:
                    conn.execute(self._insert().values(name=name, aliases=list(aliases.get(name, ())), status="seed",
                                                       first_seen=now, mentions=0)
                                 .on_conflict_do_nothing(index_elements=["name"]))
                    if aliases.get(name):
                        self._merge_aliases(conn, name, aliases[name])
        self._guard(run)

    def _merge_aliases(self, conn, name: str, new: Iterable[str]) -> None:
        current = conn.execute(select(T.c.aliases).where(T.c.name == name)).scalar() or []
        merged = list(dict.fromkeys(list(current) + [a for a in new if a != name]))
        if merged != list(current):
            conn.execute(update(T).where(T.c.name == name).values(aliases=merged))

    def learn(self, mentions: Iterable[InstitutionMention], article_url: str, now: datetime) -> list[str]:
        """Record the names of one article; returns the names that were new."""
        counts: dict[str, int] = {}
        aliases: dict[str, list[str]] = {}
        for m in mentions:
            counts[m.name] = counts.get(m.name, 0) + (1 if m.surface == m.name else 0)
            if m.surface != m.name:
                aliases.setdefault(m.name, []).append(m.surface)

        def run():
            created = []
            with self.store.begin() as conn:
                for name, n in counts.items():
                    res = conn.execute(insert_ignoring(self.store.dialect, T, "name"), {
                        "name": name, "aliases": [], "status": "learned", "first_seen": now,
                        "first_article_url": article_url, "mentions": n})
                    if res.first() is not None:
                        created.append(name)
                    elif n:
                        conn.execute(_COUNT_MENTIONS, {"b_name": name, "b_n": n})
                    if aliases.get(name):
                        self._merge_aliases(conn, name, aliases[name])
            return created
        return self._guard(run)

    def status_of(self, name: str) -> str | None:
        with self.store.connect() as conn:
            return conn.execute(select(T.c.status).where(T.c.name == name)).scalar()

    def statuses(self, names: Iterable[str]) -> dict[str, str]:
        """name -> status for the registered names among `names`."""
        names = list(dict.fromkeys(names))
        if not names:
            return {}
        with self.store.connect() as conn:
            rows = conn.execute(_STATUSES, {"b_names": names}).all()
        return {name: status for name, status in rows}

    def get(self, name: str) -> InstitutionRecord | None:
        with self.store.connect() as conn:
            r = conn.execute(select(T).where(T.c.name == name)).first()
        return _row(r) if r else None

    def alias_rows(self) -> list[tuple[str, tuple[str, ...]]]:
        """(name, aliases) of every row, in one query."""
        with self.store.connect() as conn:
            rows = conn.execute(select(T.c.name, T.c.aliases)).all()
        return [(name, tuple(items or ())) for name, items in rows]

    def alias_map(self) -> dict[str, str]:
        """alias -> canonical name, for every row."""
        return {alias: name for name, items in self.alias_rows() for alias in items}

    def list(self, status: str | None = None) -> list[InstitutionRecord]:
        q = select(T).order_by(T.c.first_seen, T.c.name)
        if status is not None:
            q = q.where(T.c.status == status)
        with self.store.connect() as conn:
            return [_row(r) for r in conn.execute(q).all()]

    def mark(self, name: str, status: str, now: datetime) -> bool:
        """Set a name's status (known | wrong | learned | seed); adds the name when absent. True if it existed."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")

        def run():
            with self.store.begin() as conn:
                res = conn.execute(update(T).where(T.c.name == name).values(status=status).returning(T.c.id))
                if res.first() is not None:
                    return True
                conn.execute(self._insert().values(name=name, aliases=[], status=status, first_seen=now, mentions=0)
                             .on_conflict_do_nothing(index_elements=["name"]))
                return False
        return self._guard(run)
