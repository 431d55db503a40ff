"""The README is checked: its option reference, its examples, its commands."""
from __future__ import annotations

import json
import re

import pytest
import typer

from newswatch.config import settings_from_yaml
from newswatch.configdoc import json_schema, render_reference
from newswatch.yamlpos import load_yaml_text
from rules import load_rules
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
YAML_BLOCKS = re.findall(r"```yaml\n(.*?)```", README, re.S)


def test_option_reference_is_generated_from_the_settings():
    assert render_reference() in README, "run: python -m newswatch.configdoc"


def test_config_json_schema_is_current():
    shipped = json.loads((REPO / "docs" / "config.schema.json").read_text(encoding="utf-8"))
    assert shipped == json.loads(json.dumps(json_schema())), "run: python -m newswatch.configdoc"


def test_readme_has_config_and_rule_examples():
    kinds = ["rule" if re.search(r"^id:", b, re.M) else "config" for b in YAML_BLOCKS]
    assert "rule" in kinds and "config" in kinds


@pytest.mark.parametrize("block", [b for b in YAML_BLOCKS if not re.search(r"^id:", b, re.M)])
def test_readme_config_examples_load(block, tmp_path):
    loaded = load_yaml_text(block, "README.md")
    settings, data = settings_from_yaml(loaded, tmp_path), loaded.data
    # what the example sets is what the settings hold (values from ${VAR} aside)
    checked = 0
    for section, fields in data.items():
        if isinstance(fields, dict):
            for name, value in fields.items():
                if not isinstance(value, (dict, list)) and "${" not in str(value):
                    assert getattr(getattr(settings, section), name) == value, f"{section}.{name}"
                    checked += 1
    assert checked or settings.feeds or settings.destinations


@pytest.mark.parametrize("block", [b for b in YAML_BLOCKS if re.search(r"^id:", b, re.M)])
def test_readme_rule_examples_load(block, tmp_path):
    (tmp_path / "rule.yaml").write_text(block, encoding="utf-8")
    ruleset = load_rules([tmp_path])
    assert ruleset.errors == () and len(ruleset.rules) == 1


def _commands(group, prefix: str = ""):
    for name, cmd in group.commands.items():
        path = f"{prefix}{name}"
        if hasattr(cmd, "commands"):  # a group (typer ships its own click)
            if cmd.invoke_without_command:
                yield path
            yield from _commands(cmd, path + " ")
        else:
            yield path


def test_every_command_is_in_the_readme():
    from newswatch.cli import app

    root = typer.main.get_command(app)
    missing = [c for c in _commands(root) if f"newswatch {c}" not in README and f"`{c}" not in README
               and f", {c}" not in README]
    assert not missing, f"commands missing from the README: {missing}"


def test_quickstart_commands_and_ci():
    assert "make run" in README and "make test" in README
    ci = (REPO / ".ci" / "run").read_text()
    assert "make test" in ci
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^test: install\n\t\$\(BIN\)/python -m pytest", makefile, re.M)


def test_readme_gwangju_ai_example_matches_gwangju_and_not_gyeonggi_gwangju(tmp_path):
    from datetime import datetime, timezone

    from newswatch.models import Article
    from rules import MemoryRegistry

    [block] = [b for b in YAML_BLOCKS if re.search(r"^id: gwangju-ai$", b, re.M)]
    (tmp_path / "gwangju-ai.yaml").write_text(block, encoding="utf-8")
    ruleset = load_rules([tmp_path])
    now = datetime(2026, 5, 1, tzinfo=timezone.utc)

    def matched(title: str, body: str) -> bool:
        art = Article(url="https://news.example/x", title=title, text=body)
        return [m.rule for m in ruleset.match(art, feed=None, registry=MemoryRegistry(), now=now)] == ["gwangju-ai"]

    assert matched("광주, AI 실증도시로", "광주광역시는 올해 인공지능 실증 사업에 120억 원을 들여 지역 기업 마흔 곳을 돕는다고 밝혔다.")
    assert matched("빛고을 AI 축제", "빛고을에서 처음 열린 AI 축제에 시민 2만 명이 다녀갔다.")
    assert not matched("경기도 광주시, AI 신호등 도입", "경기도 광주시는 오포읍 교차로 열두 곳에 AI 신호 제어를 도입한다. "
                                                 "광주시 관계자는 출퇴근 정체가 줄 것이라고 말했다.")
    assert not matched("곤지암 AI 물류센터", "곤지암 일대에 인공지능 물류센터가 들어선다.")
