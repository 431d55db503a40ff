"""Loading: every problem names file, line and column; a bad file or rule never stops the others."""
from __future__ import annotations

from pathlib import Path

from rules import load_rules
from tests.rules.conftest import article, rule_ids


def issues(rs) -> list[tuple[str, int, int, str]]:
    return [(Path(e.file).name, e.line, e.column, e.message) for e in rs.errors]


def test_unknown_field_and_wrong_type_with_line_and_column(load):
    rs = load("""rules:
  - id: typo
    any: [광주]
    feilds: [title]
  - id: wrong-type
    any: [광주]
    min_mentions: many
  - id: fine
    any: [광주]
""")
    assert [r.id for r in rs.rules] == ["fine"]
    got = issues(rs)
    assert got[0][:3] == ("r.yaml", 4, 5) and "feilds: unknown field; did you mean `fields`?" in got[0][3]
    assert got[1][:3] == ("r.yaml", 7, 5) and "min_mentions" in got[1][3] and "integer" in got[1][3]
    assert {e.rule for e in rs.errors} == {"typo", "wrong-type"}


def test_bad_regex_is_refused_with_reason(load):
    rs = load(r"""id: backref
any:
  - regex: "(광주)\\1"
""")
    assert rs.rules == ()
    [(name, line, col, msg)] = issues(rs)
    assert (line, col) == (3, 5)  # the `regex:` key
    assert "cannot be used" in msg and "RE2" in msg


def test_lookaround_in_top_level_regex(load):
    rs = load('id: look\nregex: "광주(?=시)"\n')
    [(name, line, col, msg)] = issues(rs)
    assert (line, col) == (2, 1) and "invalid perl operator" in msg


def test_duplicate_id_across_files(tmp_path):
    (tmp_path / "a.yaml").write_text("id: same\nany: [광주]\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("# comment\nid: same\nany: [전남]\n", encoding="utf-8")
    rs = load_rules([tmp_path])
    assert [r.id for r in rs.rules] == ["same"] and rs.files["same"].endswith("a.yaml")
    [(name, line, col, msg)] = issues(rs)
    assert (name, line, col) == ("b.yaml", 2, 1)
    assert "duplicate id 'same'" in msg and "a.yaml:1:1" in msg


def test_unknown_destination_only_when_destinations_known(load):
    text = "id: d\nany: [광주]\ndestinations: [slack-team, mail]\n"
    assert load(text).errors == ()
    rs = load(text, destinations={"mail"})
    [(name, line, col, msg)] = issues(rs)
    assert (line, col) == (3, 16) and "unknown destination 'slack-team'" in msg and "mail" in msg


def test_yaml_syntax_error_does_not_stop_other_files(tmp_path):
    (tmp_path / "broken.yaml").write_text("id: x\n  any: [광주\n", encoding="utf-8")
    (tmp_path / "good.yml").write_text("id: good\nany: [광주]\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a rule", encoding="utf-8")
    rs = load_rules([tmp_path])
    assert [r.id for r in rs.rules] == ["good"]
    [(name, line, col, msg)] = issues(rs)
    assert name == "broken.yaml" and line == 2 and "not valid YAML" in msg
    assert rule_ids(rs, article("광주 소식")) == ["good"]


def test_semantic_errors(load):
    rs = load("""rules:
  - id: nothing
    title: no terms
  - id: both
    any: [{term: 광주, regex: "광주"}]
  - id: near-bad
    all: [광주, 전남]
    near: {within: 10, sentence: true}
  - id: "bad id!"
    any: [광주]
  - id: prio
    any: [광주]
    priority: asap
""")
    assert rs.rules == ()
    messages = [m for *_, m in issues(rs)]
    assert "needs at least one term" in messages[0]
    assert "either `term:`" in messages[1]
    assert "near" in messages[2]
    assert messages[3].startswith("id:")
    assert "'urgent', 'normal' or 'low'" in messages[4]


def test_duplicate_yaml_key_and_wrong_shape(load):
    rs = load("id: a\nany: [광주]\nany: [전남]\n")
    assert "duplicate key 'any'" in issues(rs)[0][3] and issues(rs)[0][1:3] == (3, 1)
    rs = load("- just a string\n")
    assert rs.rules == () and len(rs.errors) == 1
    rs = load("rules: 광주\n")
    assert "must be a list" in rs.errors[0].message


def test_missing_path_is_an_issue_not_an_exception(tmp_path):
    rs = load_rules([tmp_path / "nope"])
    assert rs.rules == () and "not found" in rs.errors[0].message
    assert rs.skipped() == [(str(tmp_path / "nope"), "1:1: rule file or folder not found")]


def test_shipped_rules_load_cleanly():
    rs = load_rules([Path(__file__).resolve().parents[2] / "rules"])
    assert rs.errors == ()
    assert {r.id for r in rs.rules} == {"gwangju-ai", "new-institution"}


def test_unknown_nested_fields_say_what_is_expected(load):
    rs = load("id: n\nall:\n  - term: 광주\n    alias: [빛고을]\nnear: {withn: 10}\n")
    got = issues(rs)
    assert got[0][1:3] == (4, 5) and "all.0.alias: unknown field; did you mean `aliases`?" in got[0][3]
    assert "expected one of: term, aliases, regex" in got[0][3]
    assert got[1][1:3] == (5, 8) and "near.withn: unknown field; did you mean `within`?" in got[1][3]
