"""Opening the state database and the `Store` that every stage talks to.

SQLite is the embedded default (one file, WAL so readers do not block the
writer); PostgreSQL (`postgresql+psycopg://`) is the shared one. The same Core
queries run on both; where they differ (upserts, row locks) the repositories
ask `Store.dialect`.
"""
from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, Table, create_engine, event, insert, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError

from state import migrations, schema
from state.errors import SchemaOutOfDate, SchemaTooNew, StateError, StateUnavailable

# any constant shared by every newswatch process: the advisory lock that serialises migrations
_UPGRADE_LOCK_KEY = 0x6E657773  # "news"
# and the one that serialises dedup decisions (a story must not be started twice): "dedu"
DEDUP_LOCK_KEY = 0x64656475


def redact_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable state URL>"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    # Switching a new file to WAL needs an exclusive lock and SQLite does not wait
    # for it through the busy handler: several workers opening a fresh database
    # at once get "database is locked", so the switch is retried briefly.
    for attempt in range(50):
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError:
            if attempt == 49:
                raise
            time.sleep(0.1)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=OFF")
    cur.close()


def dialect_insert(dialect: str, table: Table):
    """An INSERT that supports ON CONFLICT on this dialect (PostgreSQL or SQLite)."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


@cache
def insert_ignoring(dialect: str, table: Table, *conflict: str):
    """INSERT … ON CONFLICT (conflict) DO NOTHING RETURNING id, executed with a dict of values.

    Built once per dialect and table: on the per-article path, building a statement
    costs more than running it on SQLite. RETURNING, not rowcount: psycopg reports
    -1 for a skipped conflict, so a returned row is how "inserted" is told."""
    return dialect_insert(dialect, table).on_conflict_do_nothing(index_elements=list(conflict)).returning(table.c.id)


def create_state_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StateError(f"state URL is not a database URL: {redact_url(url)}") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        try:
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateUnavailable(f"cannot create the folder for {parsed.database}: {exc.strerror}") from None
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise StateError(f"no driver for {redact_url(url)}: {exc} (for PostgreSQL: pip install 'newswatch[postgres]')") from None
    return engine


class Store:
    """The state database; repositories hang off it by stage."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.dialect = engine.dialect.name
        # the transaction a thread has open with `transaction()`; repositories join it
        self._local = threading.local()

    # -- transactions ---------------------------------------------------------
    @contextmanager
    def transaction(self, *, dedup_lock: bool = False) -> Iterator[Connection]:
        """One transaction for several repository calls: all of them commit, or none.

        Storing an article, placing it in a story, recording its matches, queueing its
        digest items and marking its entry done is one unit: one commit instead of
        eight, and no half-processed article after a crash. With dedup_lock the
        transaction holds the database-wide dedup lock from its first statement
        (taking it later, after a write, could deadlock two workers).
        A nested call joins the open transaction.
        """
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            if dedup_lock and not self._local.locked:
                self._take_dedup_lock(conn)
            yield conn
            return
        try:
            with self.engine.connect() as conn:
                if self.dialect == "sqlite":
                    # pysqlite would begin only at the first write; take the write lock before the first read
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                elif dedup_lock:
                    self._take_dedup_lock(conn)
                self._local.conn, self._local.locked = conn, dedup_lock or self.dialect == "sqlite"
                self._local.after = []
                try:
                    yield conn
                    conn.commit()
                finally:
                    self._local.conn = None
        except SQLAlchemyError as exc:
            raise wrap_db_errors(exc) from None
        for fn in self._local.after:
            fn()

    def after_commit(self, fn) -> None:
        """Run fn once the open transaction has committed (never if it rolls back); now when none is open.

        For caches kept beside the database (the dedup index in memory), which must not
        remember what a rolled-back transaction wrote."""
        if getattr(self._local, "conn", None) is not None:
            self._local.after.append(fn)
        else:
            fn()

    def _take_dedup_lock(self, conn: Connection) -> None:
        if self.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DEDUP_LOCK_KEY})
        self._local.locked = True

    def begin(self):
        """A write transaction of its own, or the thread's open `transaction()`."""
        return self._joined(self.engine.begin)

    def connect(self):
        """A connection for reading; inside `transaction()` the same one, so reads see its writes."""
        return self._joined(self.engine.connect)

    @contextmanager
    def _joined(self, open_connection) -> Iterator[Connection]:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        with open_connection() as conn:
            yield conn

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True) -> "Store":
        """Open and check the schema; with upgrade=True, apply pending migrations."""
        store = cls(create_state_engine(url))
        try:
            if upgrade:
                store.upgrade()
            store.check_schema()
        except OperationalError as exc:
            store.close()
            raise StateUnavailable(f"cannot open state at {redact_url(url)}: {exc.orig}") from None
        return store

    def close(self) -> None:
        self.engine.dispose()

    def upgrade(self) -> list[str]:
        """Apply pending migrations; returns their descriptions."""
        applied = []
        with self.engine.begin() as conn:
            self._lock_for_upgrade(conn)
            schema.schema_version.create(conn, checkfirst=True)
        for version, description, step in migrations.MIGRATIONS:
            with self.engine.begin() as conn:
                self._lock_for_upgrade(conn)
                if migrations.current_version(conn) >= version:
                    continue
                step(conn)
                conn.execute(insert(schema.schema_version).values(version=version, applied_at=schema.utcnow()))
                applied.append(f"{version}: {description}")
        return applied

    def _lock_for_upgrade(self, conn) -> None:
        # Two workers starting at once must not both see version N and both apply N+1:
        # each step's transaction first takes a database-wide lock, held until it commits.
        if self.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK_KEY})
        elif self.dialect == "sqlite":
            # pysqlite opens no transaction before DDL; take the write lock now (waits busy_timeout).
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    def version(self) -> int:
        with self.engine.connect() as conn:
            return migrations.current_version(conn)

    def check_schema(self) -> None:
        have = self.version()
        if have < migrations.LATEST:
            raise SchemaOutOfDate(
                f"state schema is at version {have}, this newswatch needs {migrations.LATEST}: run `newswatch state upgrade`"
            )
        if have > migrations.LATEST:
            raise SchemaTooNew(f"state schema version {have} is newer than this newswatch ({migrations.LATEST}); upgrade newswatch")

    # Repositories are created lazily so a stage only pays for what it uses.
    def __getattr__(self, name: str):
        factories = _repositories()
        if name in factories:
            repo = factories[name](self)
            setattr(self, name, repo)
            return repo
        raise AttributeError(name)


def _repositories() -> dict:
    from state.articles import ArticleRepo
    from state.entries import EntryRepo
    from state.feeds import FeedRepo
    from state.institutions import InstitutionRepo
    from state.matches import MatchRepo
    from state.outbox import OutboxRepo
    from state.runs import RunRepo
    from state.stories import StoryRepo

    return {
        "feeds": FeedRepo,
        "entries": EntryRepo,
        "articles": ArticleRepo,
        "stories": StoryRepo,
        "matches": MatchRepo,
        "institutions": InstitutionRepo,
        "outbox": OutboxRepo,
        "runs": RunRepo,
    }


def wrap_db_errors(exc: SQLAlchemyError) -> StateError:
    if isinstance(exc, OperationalError):
        return StateUnavailable(f"state database error: {exc.orig}")
    return StateError(f"state database error: {exc}")
