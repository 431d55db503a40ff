"""Schema migrations and version checks, on SQLite and on a real PostgreSQL."""
from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import inspect, insert, select, text

from state import Store, migrations, schema
from state.db import create_state_engine
from state.errors import SchemaOutOfDate, SchemaTooNew, StateUnavailable


def _bare(url: str) -> Store:
    return Store(create_state_engine(url))


def _versions(store: Store) -> list[int]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(schema.schema_version.c.version).order_by(schema.schema_version.c.version)).scalars())


def test_upgrade_from_empty_creates_every_table(state_url):
    store = _bare(state_url)
    try:
        assert store.version() == 0
        applied = store.upgrade()
        assert applied == [f"{v}: {d}" for v, d, _ in migrations.MIGRATIONS]
        assert store.version() == migrations.LATEST
        with store.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
        assert tables == set(schema.metadata.tables)
        store.check_schema()
    finally:
        store.close()


def test_upgrade_is_idempotent(state_url):
    store = _bare(state_url)
    try:
        store.upgrade()
        assert store.upgrade() == []
        assert store.upgrade() == []
        assert _versions(store) == [v for v, _, _ in migrations.MIGRATIONS]
    finally:
        store.close()
    # reopening (which upgrades at start) changes nothing either
    again = Store.open(state_url)
    assert _versions(again) == [v for v, _, _ in migrations.MIGRATIONS]
    again.close()


def test_out_of_date_schema_is_refused_with_the_documented_message(state_url):
    store = _bare(state_url)
    try:
        with pytest.raises(SchemaOutOfDate) as info:
            store.check_schema()
        assert str(info.value) == (
            f"state schema is at version 0, this newswatch needs {migrations.LATEST}: run `newswatch state upgrade`"
        )
    finally:
        store.close()
    with pytest.raises(SchemaOutOfDate):
        Store.open(state_url, upgrade=False)


def test_too_new_schema_is_refused_with_the_documented_message(state_url):
    store = Store.open(state_url)
    future = migrations.LATEST + 1
    with store.engine.begin() as conn:
        conn.execute(insert(schema.schema_version).values(version=future, applied_at=schema.utcnow()))
    store.close()
    for upgrade in (True, False):
        with pytest.raises(SchemaTooNew) as info:
            Store.open(state_url, upgrade=upgrade)
        assert str(info.value) == (
            f"state schema version {future} is newer than this newswatch ({migrations.LATEST}); upgrade newswatch"
        )


def test_a_new_step_is_applied_once_on_top_of_an_existing_database(state_url, monkeypatch):
    Store.open(state_url).close()

    def v_next(conn):
        conn.execute(text("CREATE TABLE probe_next (id INTEGER PRIMARY KEY)"))

    nxt = migrations.LATEST + 1
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, (nxt, "probe table", v_next)])
    monkeypatch.setattr(migrations, "LATEST", nxt)
    with pytest.raises(SchemaOutOfDate, match=f"needs {nxt}"):
        Store.open(state_url, upgrade=False)
    store = _bare(state_url)
    try:
        assert store.upgrade() == [f"{nxt}: probe table"]
        assert store.upgrade() == []
        assert store.version() == nxt
        with store.engine.connect() as conn:
            assert inspect(conn).has_table("probe_next")
    finally:
        store.close()


def test_a_failing_step_leaves_the_version_unchanged(state_url, monkeypatch):
    Store.open(state_url).close()

    def broken(conn):
        conn.execute(text("CREATE TABLE probe_half (id INTEGER PRIMARY KEY)"))
        conn.execute(text("SELECT * FROM no_such_table"))

    nxt = migrations.LATEST + 1
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, (nxt, "broken", broken)])
    store = _bare(state_url)
    try:
        with pytest.raises(Exception):
            store.upgrade()
        assert store.version() == nxt - 1
    finally:
        store.close()


def test_unreachable_postgresql_is_state_unavailable():
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(StateUnavailable, match=r"cannot open state at postgresql\+psycopg://nw:\*\*\*@127.0.0.1"):
        Store.open(f"postgresql+psycopg://nw:secret@127.0.0.1:{port}/nw")


# -- two processes upgrading one empty database at the same moment -------------


def _upgrade_worker(url, barrier, results):
    store = Store(create_state_engine(url))
    try:
        barrier.wait(timeout=60)
        results.put(("ok", store.upgrade()))
    except Exception as exc:  # reported to the test, which fails on it
        results.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        store.close()


@pytest.mark.parametrize("workers", [4])
def test_concurrent_upgrades_neither_fail_nor_apply_twice(state_url, workers):
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(workers)
    results = ctx.Queue()
    procs = [ctx.Process(target=_upgrade_worker, args=(state_url, barrier, results)) for _ in range(workers)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    errors = [detail for status, detail in outcomes if status == "error"]
    assert errors == []
    applied = [step for _, steps in outcomes for step in steps]
    # every step applied by exactly one of the workers
    assert sorted(applied) == sorted(f"{v}: {d}" for v, d, _ in migrations.MIGRATIONS)
    store = _bare(state_url)
    try:
        assert _versions(store) == [v for v, _, _ in migrations.MIGRATIONS]
        store.check_schema()
    finally:
        store.close()
