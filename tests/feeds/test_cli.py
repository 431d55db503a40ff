"""`newswatch feeds` and `newswatch feeds check` through the real command."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from newswatch.cli import app
from tests.conftest import Route
from tests.feeds.fixtures import items, rss

runner = CliRunner()


def test_check_file_shows_entries(tmp_path):
    its = items(2)
    its[1]["pubDate"] = "2026.11.20 09:00"
    path = tmp_path / "feed.xml"
    path.write_bytes(rss(its, encoding="cp949", declare="euc-kr"))
    result = runner.invoke(app, ["feeds", "check", str(path)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "encoding: euc-kr" in out and "광주시, 인공지능 산업 육성 계획 발표 (0)" in out
    assert "2026-11-20T09:00:00+09:00" in out
    assert "canonical: https://news.example.kr/article/0" in out


def test_check_json(tmp_path):
    its = items(1)
    its[0]["pubDate"] = None
    path = tmp_path / "feed.xml"
    path.write_bytes(rss(its))
    result = runner.invoke(app, ["feeds", "check", str(path), "--json"])
    data = json.loads(result.stdout)
    (e,) = data["entries"]
    assert e["published_is_fallback"] is True and e["guid"] == "https://news.example.kr/article/0"
    assert e["canonical_url"] == "https://news.example.kr/article/0" and "utm_source" in e["link"]
    assert data["encoding"] == "utf-8" and any("usable date" in w for w in data["warnings"])


def test_check_encoding_option(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_bytes(rss(items(1), encoding="cp949", declare="utf-8"))
    data = json.loads(runner.invoke(app, ["feeds", "check", str(path), "--json", "--encoding", "cp949"]).stdout)
    assert data["entries"][0]["title"].startswith("광주시")


def test_check_url_needs_allow_private(http_server):
    http_server.routes["/rss"] = Route(rss(items(1)), content_type="application/rss+xml")
    refused = runner.invoke(app, ["feeds", "check", http_server.url("/rss")])
    assert refused.exit_code != 0 and "blocked_address" in refused.output
    assert "Traceback" not in refused.output
    ok = runner.invoke(app, ["feeds", "check", http_server.url("/rss"), "--allow-private"])
    assert ok.exit_code == 0 and "광주시" in ok.stdout


def test_check_html_and_missing_file(http_server, tmp_path):
    http_server.routes["/page"] = Route("<!doctype html><html><body>홈</body></html>")
    r = runner.invoke(app, ["feeds", "check", http_server.url("/page"), "--allow-private"])
    assert r.exit_code == 1 and "not_a_feed" in r.output
    r = runner.invoke(app, ["feeds", "check", str(tmp_path / "nope.xml")])
    assert r.exit_code != 0 and "no such file" in r.output and "Traceback" not in r.output


def test_feeds_table(tmp_path, http_server):
    import asyncio
    from datetime import datetime, timezone

    from extractors.http import Fetcher
    from newswatch.config import load_settings
    from newswatch.polling import poll_feeds
    from tests.feeds.helpers import open_store

    http_server.routes["/ok"] = Route(rss(items(3)))
    http_server.routes["/bad"] = Route("down", status=500)
    cfg = tmp_path / "newswatch.yaml"
    cfg.write_text(f"""
data_dir: {tmp_path / 'data'}
fetch:
  allow_private_addresses: true
feeds:
  - name: 광주일보
    url: {http_server.url('/ok')}
  - name: broken
    url: {http_server.url('/bad')}
""", encoding="utf-8")
    settings = load_settings(cfg)
    store = open_store(settings.state_url)

    async def run():
        async with Fetcher(settings.fetch) as f:
            await poll_feeds(settings, store, f, settings.feeds, datetime.now(timezone.utc))
    asyncio.run(run())
    store.close()
    result = runner.invoke(app, ["feeds", "--config", str(cfg), "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["feed"]: r for r in json.loads(result.stdout)}
    assert rows["광주일보"]["items_7d"] == 3 and rows["광주일보"]["last_success_at"]
    assert rows["broken"]["consecutive_failures"] == 1 and rows["broken"]["last_error"].startswith("http_5xx")
    table = runner.invoke(app, ["feeds", "--config", str(cfg)])
    assert table.exit_code == 0 and "broken" in table.stdout and "http_5xx" in table.stdout
