"""`newswatch rules ...` through typer's CliRunner against the real app."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newswatch.cli import app
from newswatch.models import Article, InstitutionMention
from tests.conftest import Route

runner = CliRunner()
RULE = """rules:
  - id: gwangju-ai
    title: 광주 AI
    all:
      - term: 광주
        aliases: [광주광역시]
      - term: 인공지능
        aliases: [AI]
    near: {within: 200}
    exclude_context: [경기도 광주]
  - id: new-org
    type: new_institution
    all: [광주, {term: 인공지능, aliases: [AI]}]
"""
PARAGRAPHS = [
    "광주광역시는 21일 인공지능 산업 육성 계획을 발표하고 빛누리AI연구원과 협력하기로 했다고 밝혔다.",
    "시는 올해 하반기까지 인공지능 실증 사업을 세 배로 늘리고, 지역 기업이 만든 서비스를 공공기관이 먼저 써 보도록 할 계획이다.",
    "빛누리AI연구원 관계자는 “데이터와 인재가 함께 모이는 도시를 만들겠다”며 “기업 유치에도 힘쓰겠다”고 말했다.",
    "시민들의 반응도 좋았다. 행사장을 찾은 한 대학생은 광주에서 일자리를 찾을 수 있기를 바란다고 말했다.",
]
HTML = (
    "<!DOCTYPE html><html lang='ko'><head><meta charset='utf-8'><title>광주, AI 실증 확대</title>"
    "<meta property='og:title' content='광주, AI 실증 확대'></head><body><header><nav>홈 | 정치 | 경제</nav></header>"
    "<article><h1>광주, AI 실증 확대</h1>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</article>"
    "<footer>무단 전재 금지</footer></body></html>"
)


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """No ./newswatch.yaml or $NEWSWATCH_CONFIG from the developer's checkout leaks into these tests."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSWATCH_CONFIG", raising=False)
    monkeypatch.setenv("NEWSWATCH_HOME", str(tmp_path / "home"))


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def config(tmp_path: Path, extra: str = "") -> Path:
    return write(tmp_path, "newswatch.yaml", f"data_dir: {tmp_path / 'data'}\nrules: [rules]\n{extra}")


def test_check_reports_file_line_column_and_exits_non_zero(tmp_path):
    # no ./newswatch.yaml: destinations are unknown, so not checked
    (tmp_path / "rules").mkdir()
    write(tmp_path / "rules", "good.yaml", "id: good\nany: [광주]\ndestinations: [team]\n")
    bad = write(tmp_path / "rules", "bad.yaml", "id: bad\nany: [광주]\nnear: {within: -3}\n")
    result = runner.invoke(app, ["rules", "check", str(tmp_path / "rules")])
    assert result.exit_code == 1
    assert f"{bad}:3:8: near.within" in result.stdout and "1 rule(s) OK, 1 problem" in result.stdout
    # With a config, destinations are checked against it.
    cfg = config(tmp_path, "destinations:\n  - name: mail\n    url: mailto://user@example.com\n")
    write(tmp_path / "rules", "bad.yaml", "id: bad\nany: [광주]\n")
    result = runner.invoke(app, ["rules", "check", "--config", str(cfg)])
    assert result.exit_code == 1 and "unknown destination 'team'" in result.stdout
    write(tmp_path / "rules", "good.yaml", "id: good\nany: [광주]\ndestinations: [mail]\n")
    result = runner.invoke(app, ["rules", "check", "--config", str(cfg), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == {"rules": ["bad", "good"], "errors": []}


def test_test_json_over_text_json_and_html_inputs_in_order(tmp_path):
    rules = write(tmp_path, "rules.yaml", RULE)
    txt = write(tmp_path, "one.txt", "광주 AI 소식\n광주에서 인공지능 행사가 열렸다. 빛누리AI연구원이 개소했다.\n")
    js = write(tmp_path, "two.json", json.dumps({"url": "https://news.example/2", "title": "경기도 광주시 AI 센터",
                                                 "text": "경기도 광주시가 AI 센터를 짓는다."}, ensure_ascii=False))
    page = write(tmp_path, "three.html", HTML)
    result = runner.invoke(app, ["rules", "test", "--rules", str(rules), str(txt), str(js), str(page), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [o["input"] for o in out] == [str(txt), str(js), str(page)]
    assert [m["rule"] for m in out[0]["matches"]] == ["gwangju-ai", "new-org"]
    assert set(out[0]["matches"][0]) == {"rule", "evidence", "institutions"}
    ev = out[0]["matches"][0]["evidence"][0]
    assert ev["term"] == "광주" and ev["field"] == "title" and ev["matched"] == "광주"
    [inst] = out[0]["matches"][1]["institutions"]
    assert inst["name"] == "빛누리AI연구원" and inst["is_new"] and inst["event"] == "개소"
    assert out[1]["matches"] == []  # 경기도 광주
    # The page names the same institute: the shared registry already knows it from the first input, and
    # "기업 유치" in its sentence is about attracting companies, not attached to the institute: nothing to report.
    assert [m["rule"] for m in out[2]["matches"]] == ["gwangju-ai"]


def test_test_text_output_and_a_missing_input(tmp_path):
    rules = write(tmp_path, "rules.yaml", RULE)
    txt = write(tmp_path, "one.txt", "제목\n광주광역시가 인공지능 계획을 냈다.\n")
    result = runner.invoke(app, ["rules", "test", "-r", str(rules), str(txt), str(tmp_path / "missing.txt")])
    assert result.exit_code == 1
    assert "gwangju-ai" in result.stdout and "광주광역시가" in result.stdout
    assert "missing.txt: file not found" in result.stdout


def test_test_fetches_a_url(tmp_path, http_server):
    http_server.routes["/news/1"] = Route(HTML)
    cfg = config(tmp_path, "fetch:\n  allow_private_addresses: true\n")
    rules = write(tmp_path, "rules.yaml", RULE)
    result = runner.invoke(app, ["rules", "test", "-c", str(cfg), "-r", str(rules), http_server.url("/news/1"), "--json"])
    assert result.exit_code == 0, result.output
    [item] = json.loads(result.stdout)
    assert {m["rule"] for m in item["matches"]} == {"gwangju-ai", "new-org"}


def test_test_since_reads_stored_articles(tmp_path):
    from state import Store

    cfg = config(tmp_path)
    rules = write(tmp_path, "rules.yaml", RULE)
    store = Store.open(f"sqlite:///{tmp_path / 'data' / 'state.db'}")
    now = datetime.now(timezone.utc)
    store.articles.save(Article(url="https://news.example/a", title="광주 AI", text="광주에서 AI 행사."), "h1", now)
    store.articles.save(Article(url="https://news.example/b", title="날씨", text="맑음."), "h2", now)
    store.close()
    result = runner.invoke(app, ["rules", "test", "-c", str(cfg), "-r", str(rules), "--since", "7d", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [o["input"] for o in out] == ["article 1: https://news.example/a", "article 2: https://news.example/b"]
    assert [m["rule"] for m in out[0]["matches"]] == ["gwangju-ai"] and out[1]["matches"] == []
    bad = runner.invoke(app, ["rules", "test", "-c", str(cfg), "-r", str(rules), "--since", "a week"])
    assert bad.exit_code == 2 and "--since expects a duration" in bad.output


def test_institution_commands(tmp_path):
    cfg = config(tmp_path, "institutions:\n  known: [광주테크노파크]\n  aliases: {광주테크노파크: [광주TP]}\n")
    result = runner.invoke(app, ["rules", "institutions", "-c", str(cfg), "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert row["name"] == "광주테크노파크" and row["status"] == "seed" and row["aliases"] == ["광주TP"]
    assert runner.invoke(app, ["rules", "mark-wrong", "-c", str(cfg), "연구원장"]).exit_code == 0
    assert runner.invoke(app, ["rules", "mark-known", "-c", str(cfg), "광주테크노파크"]).exit_code == 0
    result = runner.invoke(app, ["rules", "institutions", "-c", str(cfg), "--status", "wrong"])
    assert "연구원장" in result.stdout and "광주테크노파크" not in result.stdout
    result = runner.invoke(app, ["rules", "institutions", "-c", str(cfg), "--status", "maybe"])
    assert result.exit_code == 2 and "--status must be one of" in result.output


def test_schema_command_prints_the_shipped_schema():
    shipped = (Path(__file__).resolve().parents[2] / "rules" / "rule.schema.json").read_text(encoding="utf-8")
    result = runner.invoke(app, ["rules", "schema"])
    assert result.exit_code == 0 and result.stdout == shipped


def test_html_input_without_the_extractors_stage_uses_trafilatura(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "extractors.article", None)  # import now raises ImportError
    rules = write(tmp_path, "rules.yaml", RULE)
    page = write(tmp_path, "page.html", HTML)
    result = runner.invoke(app, ["rules", "test", "-r", str(rules), str(page), "--json"])
    assert result.exit_code == 0, result.output
    assert [m["rule"] for m in json.loads(result.stdout)[0]["matches"]] == ["gwangju-ai", "new-org"]


def test_test_since_without_a_database_is_a_clear_error(tmp_path):
    cfg = config(tmp_path)
    rules = write(tmp_path, "rules.yaml", RULE)
    result = runner.invoke(app, ["rules", "test", "-c", str(cfg), "-r", str(rules), "--since", "1d"])
    assert result.exit_code == 2 and "newswatch state upgrade" in result.output
    assert "Traceback" not in result.output


def test_html_input_is_extracted_with_the_config_extraction_settings(tmp_path):
    rules = write(tmp_path, "rules.yaml", RULE)
    page = write(tmp_path, "page.html", HTML)
    cfg = config(tmp_path, "extract:\n  max_bytes: 200\n")  # the page is larger: the pipeline refuses it
    result = runner.invoke(app, ["rules", "test", "-c", str(cfg), "-r", str(rules), str(page), "--json"])
    assert result.exit_code == 1
    [item] = json.loads(result.stdout)
    assert "too_large" in item["error"] and "extract.max_bytes=200" in item["error"]


def test_test_since_uses_the_stored_registry_read_only(tmp_path):
    """--since replays stored articles against the stored registry: what an article introduced is new for
    that article, as the pipeline reported it; names learned before are known; nothing is written."""
    from state import Store
    from state.schema import utcnow

    cfg = config(tmp_path)
    rules = write(tmp_path, "rules.yaml", RULE)
    store = Store.open(f"sqlite:///{tmp_path / 'data' / 'state.db'}")
    now = utcnow()
    store.articles.save(Article(url="https://news.example/a", title="광주 AI",
                                text="광주에서 인공지능 행사가 열렸다. 달무리AI연구소와 빛누리AI연구원이 참여했다."), "h1", now)
    # 빛누리AI연구원 was learned from an older article, 달무리AI연구소 from article a itself.
    store.institutions.learn([InstitutionMention("빛누리AI연구원", "빛누리AI연구원", "s")], "https://news.example/old", now)
    store.institutions.learn([InstitutionMention("달무리AI연구소", "달무리AI연구소", "s")], "https://news.example/a", now)
    before = store.institutions.list()
    store.close()
    txt = write(tmp_path, "later.txt", "광주 AI\n광주 인공지능 업계에서 달무리AI연구소와 새별AI재단이 협약했다.\n")
    result = runner.invoke(app, ["rules", "test", "-c", str(cfg), "-r", str(rules), "--since", "7d", str(txt), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    insts = [{i["name"]: i["is_new"] for m in o["matches"] if m["rule"] == "new-org" for i in m["institutions"]} for o in out]
    assert insts == [{"달무리AI연구소": True}, {"새별AI재단": True}]
    store = Store.open(f"sqlite:///{tmp_path / 'data' / 'state.db'}")
    assert store.institutions.list() == before  # nothing learned into the state
    store.close()
