"""docs/digests.md documents every destination and digest setting and both commands."""
from __future__ import annotations

from newswatch.config import DestinationConfig, DigestSettings
from tests.conftest import REPO


def test_docs_mention_every_field_and_command():
    text = (REPO / "docs" / "digests.md").read_text(encoding="utf-8")
    for model in (DestinationConfig, DigestSettings):
        for field in model.model_fields:
            assert f"`{field}`" in text, field
    for words in ("digest preview", "digest status", "--format", "--destination", "duplicate window"):
        assert words in text
    assert (REPO / "docs" / "digest-email.png").exists()
