"""Rule matches: one row per (article, rule), so a match is recorded (and alerted) exactly once.

A rule with `realert_on_update: true` may replace its row when the article was
substantively updated; `record(..., replace=True)` does that and reports it.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from newswatch.models import Evidence, InstitutionMention, Match
from state import schema

T = schema.matches




def match_to_row(match: Match) -> dict:
    return dict(
        rule=match.rule,
        title=match.title,
        priority=match.priority,
        destinations=list(match.destinations),
        evidence=[asdict(e) for e in match.evidence],
        institutions=[asdict(i) for i in match.institutions],
    )


def row_to_match(row) -> Match:
    return Match(
        rule=row.rule,
        title=row.title,
        priority=row.priority,
        destinations=tuple(row.destinations or ()),
        evidence=tuple(Evidence(**e) for e in row.evidence or ()),
        institutions=tuple(InstitutionMention(**i) for i in row.institutions or ()),
    )


class MatchRepo:
    def __init__(self, store):
        self.store = store

    def record(self, article_id: int, match: Match, now: datetime, *, story_id: int | None = None,
               replace: bool = False) -> bool:
        """Store the match; True when it is new (or, with replace=True, when an existing row was replaced)."""
        from state.db import insert_ignoring, wrap_db_errors

        values = dict(article_id=article_id, story_id=story_id, created_at=now, **match_to_row(match))
        try:
            with self.store.begin() as conn:
                if conn.execute(insert_ignoring(self.store.dialect, T, "article_id", "rule"), values).first() is not None:
                    return True
                if not replace:
                    return False
                changed = {k: v for k, v in values.items() if k not in ("article_id", "created_at")}
                conn.execute(update(T).where(T.c.article_id == article_id, T.c.rule == match.rule)
                             .values(**changed, updated_at=now))
                return True
        except SQLAlchemyError as exc:
            raise wrap_db_errors(exc) from None

    def for_article(self, article_id: int) -> list[Match]:
        with self.store.connect() as conn:
            rows = conn.execute(select(T).where(T.c.article_id == article_id).order_by(T.c.id)).all()
        return [row_to_match(r) for r in rows]

    def since(self, when: datetime, rule: str | None = None) -> list[tuple[int, Match]]:
        """(article_id, match) recorded at or after `when`, oldest first."""
        q = select(T).where(T.c.created_at >= when)
        if rule is not None:
            q = q.where(T.c.rule == rule)
        with self.store.connect() as conn:
            rows = conn.execute(q.order_by(T.c.created_at, T.c.id)).all()
        return [(r.article_id, row_to_match(r)) for r in rows]

    def counts_by_rule(self, since: datetime) -> dict[str, int]:
        with self.store.connect() as conn:
            rows = conn.execute(select(T.c.rule, func.count()).where(T.c.created_at >= since).group_by(T.c.rule)).all()
        return {rule: n for rule, n in rows}
