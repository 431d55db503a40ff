"""A row per poll or delivery run: when it started and ended, and its summary counts."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from state import schema
from state.db import wrap_db_errors
from state.errors import StateError

T = schema.runs


@dataclass(frozen=True)
class RunRecord:
    id: int
    kind: str
    started_at: datetime
    finished_at: datetime | None
    summary: dict | None
    flow_run_id: str | None


def _jsonable(value: Any) -> Any:
    """The summary goes into a JSON column: dataclasses, dates and paths become plain values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return value


class RunRepo:
    def __init__(self, store):
        self.store = store

    def start(self, kind: str, now: datetime, flow_run_id: str | None = None) -> int:
        """Record that a run began; returns its id for `finish`."""
        try:
            with self.store.begin() as conn:
                result = conn.execute(insert(T).values(kind=kind, started_at=now, flow_run_id=flow_run_id))
                return int(result.inserted_primary_key[0])
        except SQLAlchemyError as exc:
            raise wrap_db_errors(exc) from None

    def finish(self, run_id: int, now: datetime, summary: dict | Any) -> None:
        """Close the run with its summary (a dict, or a dataclass such as CycleSummary)."""
        try:
            with self.store.begin() as conn:
                result = conn.execute(
                    update(T).where(T.c.id == run_id).values(finished_at=now, summary=_jsonable(summary))
                )
        except SQLAlchemyError as exc:
            raise wrap_db_errors(exc) from None
        if result.rowcount == 0:
            raise StateError(f"no run with id {run_id} to finish (pruned, or never started)")

    def recent(self, limit: int = 20) -> list[RunRecord]:
        """The newest runs first."""
        try:
            with self.store.connect() as conn:
                rows = conn.execute(select(T).order_by(T.c.started_at.desc(), T.c.id.desc()).limit(limit)).all()
        except SQLAlchemyError as exc:
            raise wrap_db_errors(exc) from None
        return [
            RunRecord(
                id=r.id,
                kind=r.kind,
                started_at=r.started_at,
                finished_at=r.finished_at,
                summary=r.summary,
                flow_run_id=r.flow_run_id,
            )
            for r in rows
        ]
