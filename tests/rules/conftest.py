"""Helpers for rule tests: write YAML to a temp folder, load it, match invented articles."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from newswatch.models import Article
from rules import MemoryRegistry, RuleSet, load_rules

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=timezone.utc)


def article(body: str, title: str = "", lead: str = "", url: str = "https://news.example/1", **kw) -> Article:
    return Article(url=url, title=title, text=body, lead=lead, **kw)


def rule_ids(ruleset: RuleSet, art: Article, registry=None, feed: str | None = None) -> list[str]:
    return [m.rule for m in ruleset.match(art, feed=feed, registry=registry or MemoryRegistry(), now=NOW)]


@pytest.fixture
def load(tmp_path: Path):
    """load(yaml_text, name='r.yaml', destinations=None) -> RuleSet from a fresh folder."""
    counter = iter(range(1000))

    def _load(text: str, name: str | None = None, destinations: set[str] | None = None) -> RuleSet:
        folder = tmp_path / f"rules{next(counter)}"
        folder.mkdir()
        (folder / (name or "r.yaml")).write_text(text, encoding="utf-8")
        return load_rules([folder], destinations=destinations)

    return _load
