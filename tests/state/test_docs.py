"""docs/state.md documents every `newswatch state` command, option and state setting."""
from __future__ import annotations

from pathlib import Path

import typer.main

from newswatch.cli import app
from newswatch.config import StateSettings

DOC = (Path(__file__).resolve().parents[2] / "docs" / "state.md").read_text()


def test_every_command_and_option_is_documented():
    group = typer.main.get_command(app).commands["state"]
    assert set(group.commands) == {"upgrade", "status", "prune", "runs"}
    for name, command in group.commands.items():
        assert f"newswatch state {name}" in DOC, name
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt != "--help":
                    assert opt in DOC, f"{name} {opt}"


def test_every_state_setting_is_documented():
    for field in StateSettings.model_fields:
        assert f"`state.{field}`" in DOC, field
