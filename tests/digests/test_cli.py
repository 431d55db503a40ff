"""`newswatch digest preview` and `newswatch digest status` through the real CLI app."""
from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from digests.queue import queue_items
from newswatch.cli import app
from state import Store
from tests.digests.helpers import T0, article, match, settings, story

runner = CliRunner()


def setup(tmp_path, monkeypatch, destinations=()):
    cfg = {"data_dir": str(tmp_path / "data"), "destinations": list(destinations)}
    path = tmp_path / "newswatch.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    s = settings(tmp_path, destinations)
    store = Store.open(s.state_url)
    for i in range(3):
        queue_items(store, s, story(i), article(i), [match(new_inst=i == 1)], T0)
    return path, store


def snapshot(store):
    return [(r.id, r.status, r.attempts) for r in store.outbox.rows(range(1, 100))]


def test_preview_text_changes_nothing(tmp_path, monkeypatch):
    path, store = setup(tmp_path, monkeypatch)
    before = snapshot(store)
    result = runner.invoke(app, ["digest", "preview", "-c", str(path)])
    assert result.exit_code == 0, result.output
    assert "[newswatch] 광주 AI 3건 · 신규 기관 1곳" in result.output
    assert snapshot(store) == before and all(s == "pending" for _, s, _ in before)


def test_preview_slack_and_email(tmp_path, monkeypatch):
    monkeypatch.setenv("NW_HOOK", "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7")
    path, store = setup(tmp_path, monkeypatch, [{"name": "team", "url": "${NW_HOOK}"}])
    result = runner.invoke(app, ["digest", "preview", "-c", str(path), "--destination", "team"])
    assert result.exit_code == 0, result.output
    payloads = json.loads(result.output[result.output.index("[") :])
    assert payloads[0]["blocks"][0]["type"] == "header"
    assert "TIiajkdnlazkcOXrIdevi7" not in result.output
    result = runner.invoke(app, ["digest", "preview", "-c", str(path), "--format", "email"])
    assert "Subject: [newswatch] 광주 AI 3건 · 신규 기관 1곳" in result.output and "<!DOCTYPE html>" in result.output


def test_preview_rejects_unknown_destination_and_format(tmp_path, monkeypatch):
    path, _ = setup(tmp_path, monkeypatch)
    result = runner.invoke(app, ["digest", "preview", "-c", str(path), "--destination", "nope"])
    assert result.exit_code == 2 and "unknown destination 'nope'" in result.output
    result = runner.invoke(app, ["digest", "preview", "-c", str(path), "--format", "fax"])
    assert result.exit_code == 2 and "unknown format" in result.output


def test_status_counts_per_destination(tmp_path, monkeypatch):
    path, store = setup(tmp_path, monkeypatch)
    repo = store.outbox
    ids = [r.id for r in repo.pending()]
    repo.mark_sent(repo.claim(ids[:1], "w", T0) and ids[:1], "b", T0)
    repo.mark_failed(ids[1:2], "Failed to send: error=500", T0, lambda n: T0 - T0)
    result = runner.invoke(app, ["digest", "status", "-c", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    local = data["destinations"]["local"]
    assert (local["pending"], local["retrying"], local["sent"]) == (2, 1, 1)
    assert local["last_error"] == "Failed to send: error=500"
    table = runner.invoke(app, ["digest", "status", "-c", str(path)])
    assert table.exit_code == 0 and "local" in table.output
