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
