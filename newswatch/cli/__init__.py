"""The `newswatch` command: a thin layer that calls the library and turns its errors into messages."""
from __future__ import annotations

import os

import typer

# Set before anything imports Prefect: no telemetry, no analytics.
for _key, _value in {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
    # the ephemeral API migrates its own database on first start; 20 s is not enough on a busy 2-core machine
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}.items():
    os.environ.setdefault(_key, _value)

from newswatch.cli import dedup, digest, extract, feeds, rules, run, state  # noqa: E402

app = typer.Typer(
    name="newswatch",
    help="Monitor Korean news feeds, match YAML watch rules, deliver digests.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _module in (run, feeds, extract, rules, dedup, digest, state):
    _module.register(app)


def main() -> None:
    app()
