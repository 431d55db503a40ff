"""What every command shares: one console, clean failure messages, JSON output."""
from __future__ import annotations

import json
import sys
from dataclasses import asdict, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from newswatch.errors import NewswatchError

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)

CONFIG_OPTION = typer.Option(None, "--config", "-c", help="config file (default: ./newswatch.yaml if present, else built-in defaults)", envvar="NEWSWATCH_CONFIG")


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    raise typer.Exit(code)


def to_jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: to_jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [to_jsonable(v) for v in value]
    return value


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2) + "\n")


def default_config_path(given: Path | None) -> Path | None:
    if given is not None:
        return given
    local = Path("newswatch.yaml")
    return local if local.exists() else None


def load_settings_or_exit(path: Path | None):
    from newswatch.config import load_settings

    try:
        return load_settings(default_config_path(path))
    except NewswatchError as exc:
        fail(str(exc))
