"""`newswatch state upgrade | status | prune` through the real command line, on both backends."""
from __future__ import annotations

import json
import socket
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select
from typer.testing import CliRunner

from newswatch.cli import app
from state import Store, migrations, schema

runner = CliRunner()


def _config(tmp_path, url: str | None = None, extra: str = "") -> str:
    path = tmp_path / "newswatch.yaml"
    lines = [f"data_dir: {tmp_path / 'data'}"]
    if url:
        lines.append(f"state:\n  url: '{url}'")
    path.write_text("\n".join(lines) + "\n" + extra)
    return str(path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_upgrade_applies_then_reports_the_version(state_url, tmp_path):
    cfg = _config(tmp_path, state_url)
    first = runner.invoke(app, ["state", "upgrade", "--config", cfg])
    assert first.exit_code == 0, first.output
    assert [f"applied {v}: {d}" for v, d, _ in migrations.MIGRATIONS] == first.stdout.splitlines()[:-1]
    assert first.stdout.splitlines()[-1] == f"state schema now at version {migrations.LATEST}"

    second = runner.invoke(app, ["state", "upgrade", "--config", cfg])
    assert second.exit_code == 0, second.output
    assert second.stdout.strip() == f"already at version {migrations.LATEST}"


def test_default_state_is_a_sqlite_file_in_the_data_dir(tmp_path):
    cfg = _config(tmp_path)
    result = runner.invoke(app, ["state", "upgrade", "-c", cfg])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "state.db").is_file()
    status = runner.invoke(app, ["state", "status", "-c", cfg])
    assert f"sqlite:///{tmp_path / 'data' / 'state.db'}" in status.stdout


def test_status_shows_version_and_row_counts(state_url, tmp_path):
    store = Store.open(state_url)
    with store.engine.begin() as conn:
        for i in range(3):
            conn.execute(insert(schema.runs).values(kind="poll", started_at=datetime.now(timezone.utc)))
    store.close()
    result = runner.invoke(app, ["state", "status", "-c", _config(tmp_path, state_url)])
    assert result.exit_code == 0, result.output
    assert f"version {migrations.LATEST} (this newswatch: {migrations.LATEST}), up to date" in result.stdout
    rows = dict(line.split() for line in result.stdout.splitlines() if line.startswith("  "))
    assert rows["runs"] == "3" and rows["entries"] == "0"
    assert set(rows) == set(schema.metadata.tables) - {"schema_version"}

    as_json = runner.invoke(app, ["state", "status", "-c", _config(tmp_path, state_url), "--json"])
    data = json.loads(as_json.stdout)
    assert data["counts"]["runs"] == 3 and data["version"] == migrations.LATEST


def test_status_of_an_empty_database_says_to_upgrade(state_url, tmp_path):
    result = runner.invoke(app, ["state", "status", "-c", _config(tmp_path, state_url)])
    assert result.exit_code == 0, result.output
    assert "version 0" in result.stdout and "run `newswatch state upgrade`" in result.stdout
    assert "tables:  none yet" in result.stdout


@pytest.mark.postgres
def test_status_hides_the_password(pg_db_url, tmp_path):
    # the test server trusts every local connection, so any password gets in and must not be shown
    with_password = pg_db_url.replace("postgres@", "postgres:s3cr3t-pw@")
    result = runner.invoke(app, ["state", "status", "-c", _config(tmp_path, with_password)])
    assert result.exit_code == 0, result.output
    assert "s3cr3t-pw" not in result.output
    assert "postgres:***@127.0.0.1" in result.stdout


def test_unreachable_postgresql_is_one_line_and_exit_2(tmp_path):
    url = f"postgresql+psycopg://nw:s3cr3t-pw@127.0.0.1:{_free_port()}/nw"
    for command in (["state", "upgrade"], ["state", "status"], ["state", "prune", "--older-than", "90d"]):
        result = runner.invoke(app, [*command, "-c", _config(tmp_path, url)])
        assert result.exit_code == 2, (command, result.output)
        assert result.stdout == ""
        assert result.stderr.startswith("error: cannot open state at postgresql+psycopg://nw:***@127.0.0.1")
        assert len(result.stderr.strip().splitlines()) == 1
        assert "s3cr3t-pw" not in result.stderr and "Traceback" not in result.output


def test_unusable_sqlite_path_is_one_line_and_exit_2(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state folder should be")
    result = runner.invoke(app, ["state", "upgrade", "-c", _config(tmp_path, f"sqlite:///{blocker / 'state.db'}")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot create the folder for")
    assert len(result.stderr.strip().splitlines()) == 1


def test_prune_needs_an_up_to_date_schema(state_url, tmp_path):
    result = runner.invoke(app, ["state", "prune", "-c", _config(tmp_path, state_url)])
    assert result.exit_code == 2
    assert "run `newswatch state upgrade`" in result.stderr


def _old_and_new_runs(url: str) -> None:
    now = datetime.now(timezone.utc)
    store = Store.open(url)
    with store.engine.begin() as conn:
        for days in (200, 100, 40, 1):
            conn.execute(insert(schema.runs).values(kind="poll", started_at=now - timedelta(days=days)))
    store.close()


def _run_ages(url: str) -> int:
    store = Store.open(url)
    with store.engine.connect() as conn:
        n = len(conn.execute(select(schema.runs.c.id)).all())
    store.close()
    return n


def test_prune_defaults_to_retention_days_from_the_config(state_url, tmp_path):
    _old_and_new_runs(state_url)
    cfg = _config(tmp_path, state_url, extra="  retention_days: 150\n")
    result = runner.invoke(app, ["state", "prune", "-c", cfg])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("removed 1 rows older than 150d")
    assert "runs" in result.stdout
    assert _run_ages(state_url) == 3


def test_prune_older_than_and_dry_run(state_url, tmp_path):
    _old_and_new_runs(state_url)
    cfg = _config(tmp_path, state_url)
    dry = runner.invoke(app, ["state", "prune", "-c", cfg, "--older-than", "4w", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.startswith("would remove 3 rows older than 4w")
    assert _run_ages(state_url) == 4
    real = runner.invoke(app, ["state", "prune", "-c", cfg, "--older-than", "4w"])
    assert real.stdout.startswith("removed 3 rows older than 4w")
    assert _run_ages(state_url) == 1


@pytest.mark.parametrize("bad", ["90", "soon", "0d"])
def test_prune_refuses_a_bad_duration(tmp_path, bad):
    result = runner.invoke(app, ["state", "prune", "-c", _config(tmp_path), "--older-than", bad])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --older-than:")


def test_runs_lists_the_newest_runs(state_url, tmp_path):
    cfg = _config(tmp_path, state_url)
    empty = runner.invoke(app, ["state", "runs", "-c", cfg])
    assert empty.exit_code == 2 and "run `newswatch state upgrade`" in empty.stderr
    store = Store.open(state_url)
    t0 = datetime(2026, 4, 1, 0, 0, tzinfo=timezone.utc)
    first = store.runs.start("poll", t0)
    store.runs.finish(first, t0 + timedelta(seconds=12.5), {"new_entries": 7, "digests_sent": 0})
    store.runs.start("deliver", t0 + timedelta(minutes=5))
    store.close()
    result = runner.invoke(app, ["state", "runs", "-c", cfg])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert "deliver" in lines[0] and "unfinished" in lines[0]
    # shown in the configured zone (Asia/Seoul by default): 00:00 UTC is 09:00 KST
    assert "poll" in lines[1] and "2026-04-01 09:00:00 KST" in lines[1] and "12.5s" in lines[1]
    assert "new_entries=7" in lines[1] and "digests_sent" not in lines[1]
    data = json.loads(runner.invoke(app, ["state", "runs", "-c", cfg, "--json", "-n", "1"]).stdout)
    assert [r["kind"] for r in data] == ["deliver"]
