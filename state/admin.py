"""What `newswatch state …` does, kept here so the command sees only StateError, never SQLAlchemy's exceptions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from state import migrations, schema
from state.db import Store, create_state_engine, redact_url
from state.errors import StateError, StateUnavailable
from state.prune import prune


@dataclass(frozen=True)
class StateStatus:
    url: str  # password hidden
    backend: str
    version: int
    latest: int
    counts: dict[str, int]

    @property
    def verdict(self) -> str:
        if self.version < self.latest:
            return "out of date: run `newswatch state upgrade`"
        if self.version > self.latest:
            return "written by a newer newswatch: upgrade newswatch"
        return "up to date"


def _unavailable(url: str, exc: SQLAlchemyError) -> StateError:
    detail = " ".join(str(getattr(exc, "orig", None) or exc).split())  # drivers give multi-line messages
    return StateUnavailable(f"cannot open state at {redact_url(url)}: {detail}")


def upgrade_state(url: str) -> tuple[list[str], int]:
    """Apply pending migrations; returns (steps applied, version now)."""
    store = Store(create_state_engine(url))
    try:
        applied = store.upgrade()
        return applied, store.version()
    except SQLAlchemyError as exc:
        raise _unavailable(url, exc) from None
    finally:
        store.close()


def table_counts(store: Store) -> dict[str, int]:
    """Rows per table; tables an older schema lacks are left out."""
    with store.engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in schema.metadata.sorted_tables
            if t.name in present and t.name != "schema_version"
        }


def state_status(url: str) -> StateStatus:
    """Version and row counts; works on an out-of-date or empty database too."""
    store = Store(create_state_engine(url))
    try:
        return StateStatus(
            url=redact_url(url),
            backend=store.dialect,
            version=store.version(),
            latest=migrations.LATEST,
            counts=table_counts(store),
        )
    except SQLAlchemyError as exc:
        raise _unavailable(url, exc) from None
    finally:
        store.close()


def prune_state(url: str, older_than: timedelta, now: datetime, *, dry_run: bool = False) -> dict[str, int]:
    """Open (the schema must be current) and prune; see state.prune."""
    store = Store.open(url, upgrade=False)
    try:
        return prune(store, older_than, now, dry_run=dry_run)
    finally:
        store.close()


def recent_runs(url: str, limit: int = 20):
    """The newest runs (state.runs.RunRecord), newest first; the schema must be current."""
    store = Store.open(url, upgrade=False)
    try:
        return store.runs.recent(limit)
    finally:
        store.close()
