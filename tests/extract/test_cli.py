"""`newswatch extract` and `newswatch eval extract` through the real CLI."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from newswatch.cli import app
from tests.conftest import Route
from tests.extract import pages as P

runner = CliRunner()
KEYS = {"title", "text", "published", "authors", "site_name", "url", "language", "extractor"}


def test_extract_file_json(tmp_path):
    page = tmp_path / "a.html"
    page.write_bytes(P.boilerplate_page().encode("utf-8"))
    result = runner.invoke(app, ["extract", str(page), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert KEYS <= set(data)
    assert data["title"] == P.TITLE
    assert data["text"].split("\n")[1] == P.BODY[0]
    assert data["published"] == "2024-05-28T17:48:00+09:00"
    assert data["authors"] == ["구하늘"] and data["site_name"] == "빛고을일보" and data["language"] == "ko"
    assert data["extractor"] == "trafilatura"


def test_extract_file_with_url_option_and_candidates(tmp_path):
    page = tmp_path / "b.html"
    page.write_text(P.short_article_page(), encoding="utf-8")
    page_url = "https://www.bitgoeul.example/other"
    result = runner.invoke(app, ["extract", str(page), "--url", page_url, "--json", "--candidates"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["extractor"] == "microdata"
    assert data["candidates"][0]["source"] == "microdata" and "score" in data["candidates"][0]


def test_extract_human_output(tmp_path):
    page = tmp_path / "c.html"
    page.write_text(P.jsonld_only_page(), encoding="utf-8")
    result = runner.invoke(app, ["extract", str(page)])
    assert result.exit_code == 0, result.output
    assert P.TITLE in result.stdout and P.BODY[-1] in result.stdout and "json-ld" in result.stdout


def test_extract_url_from_local_server(http_server, tmp_path):
    http_server.routes["/news/1"] = Route(P.euckr_bytes(), content_type="text/html")
    config = tmp_path / "newswatch.yaml"
    config.write_text("fetch:\n  allow_private_addresses: true\n", encoding="utf-8")
    result = runner.invoke(app, ["extract", http_server.url("/news/1"), "--json", "-c", str(config)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["text"].split("\n") == P.BODY


def test_extract_url_refused_type(http_server, tmp_path):
    http_server.routes["/img"] = Route(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")
    config = tmp_path / "newswatch.yaml"
    config.write_text("fetch:\n  allow_private_addresses: true\n", encoding="utf-8")
    result = runner.invoke(app, ["extract", http_server.url("/img"), "-c", str(config)])
    assert result.exit_code != 0
    assert "wrong_type" in result.output and "Traceback" not in result.output


def test_extract_no_article_is_one_line_error(tmp_path):
    page = tmp_path / "list.html"
    page.write_text(P.list_page(), encoding="utf-8")
    result = runner.invoke(app, ["extract", str(page)])
    assert result.exit_code == 1
    assert "no_article" in result.output and "Traceback" not in result.output


def test_extract_missing_file():
    result = runner.invoke(app, ["extract", "/nonexistent/page.html"])
    assert result.exit_code == 2 and "no such file" in result.output


def test_eval_extract(tmp_path):
    (tmp_path / "one.html").write_text(P.boilerplate_page(), encoding="utf-8")
    (tmp_path / "one.expected.txt").write_text(P.TITLE + "\n지역 기업·대학 공동 과제에 최대 2억 원\n" + "\n".join(P.BODY[:2])
                                               + "\n김민준 광주시 인공지능산업실장이 28일 시청에서 지원 사업을 설명하고 있다.\n"
                                               + "\n".join(P.BODY[2:]), encoding="utf-8")
    (tmp_path / "two.html").write_text(P.jsonld_only_page(), encoding="utf-8")
    (tmp_path / "two.expected.txt").write_text(P.TITLE + "\n" + "\n".join(P.BODY), encoding="utf-8")
    (tmp_path / "unscored.html").write_text(P.list_page(), encoding="utf-8")  # no expected text: not scored
    result = runner.invoke(app, ["eval", "extract", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [p["name"] for p in data["pages"]] == ["one.html", "two.html"]
    assert data["mean_f1"] == 1.0 and data["min_f1"] == 1.0
    assert data["baseline_ms_per_page"] > 0 and data["time_ratio"] > 0
    table = runner.invoke(app, ["eval", "extract", str(tmp_path)])
    assert "mean P" in table.stdout and "bare trafilatura" in table.stdout


def test_eval_extract_empty_folder(tmp_path):
    result = runner.invoke(app, ["eval", "extract", str(tmp_path)])
    assert result.exit_code == 2 and "no X.html" in result.output
