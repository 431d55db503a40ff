"""Ordered schema migrations, applied by `newswatch state upgrade` and checked at start.

Each step is (version, description, function(connection)). A database records
the versions applied in `schema_version`; applying is idempotent and runs under
one transaction per step, so two workers upgrading at once cannot half-apply.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy import Connection, inspect, select

from state import schema


# tables that later steps add; version 1 creates everything else
_LATER = {"schema_version", "deliveries"}


def _v1_initial(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=[t for t in schema.metadata.sorted_tables if t.name not in _LATER])


def _v2_deliveries(conn: Connection) -> None:
    schema.deliveries.create(conn, checkfirst=True)


Migration = tuple[int, str, Callable[[Connection], None]]

MIGRATIONS: list[Migration] = [
    (1, "initial tables", _v1_initial),
    (2, "per-target deliveries (a destination URL with several recipients)", _v2_deliveries),
]

LATEST = MIGRATIONS[-1][0]


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("schema_version"):
        return 0
    row = conn.execute(select(schema.schema_version.c.version).order_by(schema.schema_version.c.version.desc())).first()
    return row[0] if row else 0


def pending(conn: Connection) -> list[Migration]:
    have = current_version(conn)
    return [m for m in MIGRATIONS if m[0] > have]
