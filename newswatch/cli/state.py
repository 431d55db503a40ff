"""`newswatch state upgrade | status | prune`: the state database's migrations, health and retention."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import typer

from newswatch.cli.common import CONFIG_OPTION, console, fail, load_settings_or_exit, print_json
from newswatch.errors import NewswatchError

state_app = typer.Typer(
    help="The state database: apply migrations, show status, prune old rows.",
    no_args_is_help=True,
    add_completion=False,
)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _state_url(settings) -> str:
    try:
        return settings.state_url
    except NewswatchError as exc:  # an unset ${VAR} in state.url
        fail(_one_line(exc))


@state_app.command("upgrade")
def upgrade(config: Path | None = CONFIG_OPTION) -> None:
    """Apply pending schema migrations (safe to run from several machines at once)."""
    from state.admin import upgrade_state

    url = _state_url(load_settings_or_exit(config))
    try:
        applied, version = upgrade_state(url)
    except NewswatchError as exc:
        fail(_one_line(exc))
    for step in applied:
        console.print(f"applied {step}")
    if applied:
        console.print(f"state schema now at version {version}")
    else:
        console.print(f"already at version {version}")


@state_app.command("status")
def status(
    config: Path | None = CONFIG_OPTION,
    as_json: bool = typer.Option(False, "--json", help="print the status as JSON"),
) -> None:
    """Where the state is (password hidden), its schema version and the rows in each table."""
    from state.admin import state_status

    url = _state_url(load_settings_or_exit(config))
    try:
        st = state_status(url)
    except NewswatchError as exc:
        fail(_one_line(exc))
    if as_json:
        print_json({"url": st.url, "backend": st.backend, "version": st.version, "latest": st.latest,
                    "verdict": st.verdict, "counts": st.counts})
        return
    console.print(f"state:   {st.url}", soft_wrap=True, markup=False)
    console.print(f"schema:  version {st.version} (this newswatch: {st.latest}), {st.verdict}", soft_wrap=True, markup=False)
    if not st.counts:
        console.print("tables:  none yet", markup=False)
    for name, n in sorted(st.counts.items()):
        console.print(f"  {name:<15} {n:>10,}", markup=False)


@state_app.command("prune")
def prune(
    config: Path | None = CONFIG_OPTION,
    older_than: str | None = typer.Option(
        None, "--older-than", help="remove what is older than this, e.g. 90d, 12h, 2w, 1w2d (default: state.retention_days)"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="count what would be removed, remove nothing"),
) -> None:
    """Delete quiet stories, old articles, entries, sent items, sent notices and runs; pending work is kept."""
    from state.admin import prune_state
    from state.prune import parse_duration

    settings = load_settings_or_exit(config)
    if older_than is None:
        age = timedelta(days=settings.state.retention_days)
        label = f"{settings.state.retention_days}d"
    else:
        try:
            age = parse_duration(older_than)
        except ValueError as exc:
            fail(f"--older-than: {exc}")
        label = older_than.strip()
    url = _state_url(settings)
    now = datetime.now(timezone.utc)
    try:
        counts = prune_state(url, age, now, dry_run=dry_run)
    except NewswatchError as exc:
        fail(_one_line(exc))
    verb = "would remove" if dry_run else "removed"
    cutoff = (now - age).isoformat(timespec="seconds")
    console.print(f"{verb} {sum(counts.values()):,} rows older than {label} (before {cutoff})", markup=False)
    for name, n in counts.items():
        if n:
            console.print(f"  {name:<15} {n:>10,}", markup=False)


@state_app.command("runs")
def runs(
    config: Path | None = CONFIG_OPTION,
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="how many of the newest runs"),
    as_json: bool = typer.Option(False, "--json", help="print the runs with their full summaries as JSON"),
) -> None:
    """The newest poll and delivery runs: when, how long, and what they did."""
    from state.admin import recent_runs

    settings = load_settings_or_exit(config)
    try:
        records = recent_runs(_state_url(settings), limit)
    except NewswatchError as exc:
        fail(_one_line(exc))
    if as_json:
        print_json(records)
        return
    if not records:
        console.print("no runs recorded yet", markup=False)
    for r in records:
        started = r.started_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M:%S %Z")
        took = f"{(r.finished_at - r.started_at).total_seconds():.1f}s" if r.finished_at else "unfinished"
        counts = ", ".join(f"{k}={v}" for k, v in (r.summary or {}).items() if isinstance(v, int) and v)
        console.print(f"{r.id:>6}  {r.kind:<8} {started}  {took:>10}  {counts}", markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(state_app, name="state")
