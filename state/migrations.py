"""Ordered schema migrations, applied by `newswatch state upgrade` and checked at start.

Each step is (version, description, function(connection)). A database records
the versions applied in `schema_version`; applying is idempotent and runs under
one transaction per step, so two workers upgrading at once cannot half-apply.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy import Connection, inspect, select

from state import schema


def _v1_initial(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=[t for t in schema.metadata.sorted_tables if t.name != "schema_version"])


Migration = tuple[int, str, Callable[[Connection], None]]

MIGRATIONS: list[Migration] = [
    (1, "initial tables", _v1_initial),
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
