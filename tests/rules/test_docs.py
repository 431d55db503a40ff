"""docs/rules.md examples are real rules, every rule field is documented, the published schema is current."""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

from rules import load_rules
from rules.model import Rule, json_schema, json_schema_text

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "rules.md"


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_every_yaml_block_of_the_docs_loads_without_errors(tmp_path):
    blocks = yaml_blocks()
    assert len(blocks) >= 4
    for i, block in enumerate(blocks):
        folder = tmp_path / f"b{i}"
        folder.mkdir()
        (folder / "rule.yaml").write_text(block, encoding="utf-8")
        rs = load_rules([folder])
        assert rs.errors == (), (i, [str(e) for e in rs.errors])
        assert rs.rules, i


def test_docs_mention_every_rule_field():
    text = DOC.read_text(encoding="utf-8")
    for name in Rule.model_fields:
        assert f"`{name}`" in text, name
    for cmd in ("rules check", "rules test", "--since", "rules schema", "rules institutions", "mark-known", "mark-wrong"):
        assert cmd in text, cmd
    assert "institutions.known" in text and "institutions.aliases" in text


def test_published_schema_is_the_generated_one():
    shipped = (REPO / "rules" / "rule.schema.json").read_text(encoding="utf-8")
    assert shipped == json_schema_text(), "run: newswatch rules schema > rules/rule.schema.json"


def test_schema_accepts_the_shorthands_and_rejects_unknown_fields():
    schema = json_schema()
    for block in yaml_blocks() + [(REPO / "rules" / n).read_text(encoding="utf-8") for n in ("gwangju-ai.yaml", "new-institution.yaml")]:
        jsonschema.validate(yaml.safe_load(block), schema)
    bad = {"id": "x", "any": ["광주"], "colour": "red"}
    try:
        jsonschema.validate(bad, schema)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("the schema accepted an unknown field")
    json.dumps(schema)


def test_docs_show_the_shipped_rules_as_they_are():
    blocks = yaml_blocks()
    for name in ("gwangju-ai.yaml", "new-institution.yaml"):
        assert (REPO / "rules" / name).read_text(encoding="utf-8") in blocks, name
