"""The throwaway PostgreSQL server itself: isolation between tests, and a clear skip without PostgreSQL."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from tests import pgserver


def test_skips_with_the_install_hint_when_postgresql_is_absent(monkeypatch):
    monkeypatch.setattr(pgserver, "_shared", None)
    monkeypatch.delenv("NEWSWATCH_PG_BINDIR", raising=False)
    monkeypatch.setattr(pgserver.shutil, "which", lambda name: None)
    monkeypatch.setattr(pgserver.glob, "glob", lambda pattern: [])
    assert pgserver.find_bindir() is None
    with pytest.raises(pytest.skip.Exception, match=r"PostgreSQL not installed: apt-get install postgresql"):
        pgserver.shared_server()


@pytest.mark.postgres
def test_each_test_gets_its_own_empty_database(pg_server, pg_db_url):
    other = pg_server.create_database()
    try:
        assert other != pg_db_url
        engine = create_engine(pg_db_url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE mine (id int)"))
        engine.dispose()
        engine = create_engine(other)
        with engine.connect() as conn:
            tables = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar_one()
        engine.dispose()
        assert tables == 0
    finally:
        pg_server.drop_database(other)


@pytest.mark.postgres
def test_listens_on_loopback_only_and_not_as_root(pg_url):
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        listen = conn.execute(text("SHOW listen_addresses")).scalar_one()
        fsync = conn.execute(text("SHOW fsync")).scalar_one()
        data_dir = conn.execute(text("SHOW data_directory")).scalar_one()
    engine.dispose()
    assert listen == "127.0.0.1"
    assert fsync == "off"
    if os.geteuid() == 0:
        assert os.stat(data_dir).st_uid != 0
