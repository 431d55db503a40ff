"""`newswatch run`, `newswatch demo`, `newswatch serve`: the cycle through Prefect."""
from __future__ import annotations

import logging
import os
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Optional

import typer
import yaml
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from newswatch.cli.common import CONFIG_OPTION, console, default_config_path, err_console, fail, print_json
from newswatch.errors import ConfigError, NewswatchError
from newswatch.models import CycleSummary

EXIT_CONFIG = 2
EXIT_STATE = 3

STAGE_LABELS = {"poll": "feeds polled", "articles": "articles processed"}


class _ProgressHandler(logging.Handler):
    """Turns the flows' progress and digest log records into a live display."""

    def __init__(self, progress: Progress | None, digests: list[str]):
        super().__init__(logging.INFO)
        self.progress = progress
        self.digests = digests
        self.bars: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        text = getattr(record, "digest_text", None)
        if text is not None:
            self.digests.append(text)
            return
        stage = getattr(record, "stage", None)
        if self.progress is None or stage not in STAGE_LABELS or not hasattr(record, "done"):
            return
        total = record.total or None
        if stage not in self.bars:
            self.bars[stage] = self.progress.add_task(STAGE_LABELS[stage], total=total)
        self.progress.update(self.bars[stage], completed=record.done, total=total)


@contextmanager
def _live_progress(show: bool, digests: list[str], verbose: bool = False) -> Iterator[None]:
    if verbose:  # Prefect's console handler shows every newswatch record as it happens
        yield
        return
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        console=err_console, transient=True) if show else None
    handler = _ProgressHandler(progress, digests)
    root = logging.getLogger("newswatch")
    # the summary names every failure once; the per-record log lines would repeat them
    saved = root.propagate, root.level
    root.propagate, root.level = False, logging.INFO
    root.addHandler(handler)
    try:
        if progress:
            with progress:
                yield
        else:
            yield
    finally:
        root.removeHandler(handler)
        root.propagate, root.level = saved


def _quiet_prefect(verbose: bool) -> None:
    # Prefect's own INFO lines (flow run created, task finished...) drown the summary
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")


def _check_start(config_path: Path | None) -> None:
    """Fail fast, before Prefect starts, on what would stop every task."""
    from newswatch.config import load_settings
    from state import Store

    try:
        settings = load_settings(config_path)
    except ConfigError as exc:
        fail(str(exc), EXIT_CONFIG)
    try:
        Store.open(settings.state_url).close()
    except NewswatchError as exc:
        fail(str(exc), EXIT_STATE)


def run_flow(config_path: Path | None, *, deliver: bool = True, verbose: bool = False,
             show_progress: bool = True) -> tuple[CycleSummary, list[str]]:
    _quiet_prefect(verbose)
    _check_start(config_path)
    from flows.cycle import cycle_flow

    digests: list[str] = []
    with _live_progress(show_progress, digests, verbose):
        summary = cycle_flow(config_path=str(config_path) if config_path else None, deliver=deliver)
    return summary, digests


def print_summary(summary: CycleSummary) -> None:
    lines = [("feed failed", f"{f.feed}: {f.kind}: {f.message}") for f in summary.feed_failures]
    lines += [("feed waiting", f"{feed}: {why}") for feed, why in summary.feeds_waiting]
    lines += [("article failed", f"{url}: {kind}: {message}") for url, kind, message in summary.article_failures]
    lines += [("rule skipped", f"{where}: {reason}") for where, reason in summary.rules_skipped]
    lines += [("delivery failed", f"{dest}: {message}") for dest, message in summary.delivery_failures]
    for label, text in lines:
        console.print(f"[yellow]{label}[/] {escape(text)}", soft_wrap=True)
    matches = ", ".join(f"{rule} {n}" for rule, n in sorted(summary.matches_per_rule.items())) or "none"
    console.print(
        f"[bold]cycle done:[/] {summary.feeds_polled} feeds polled ({summary.feeds_not_modified} unchanged, "
        f"{len(summary.feed_failures)} failed, {summary.feeds_skipped_backoff} waiting to retry), "
        f"{summary.new_entries} new entries, {summary.articles_extracted} new articles, "
        f"{summary.duplicates_dropped} duplicates dropped, matches: {escape(matches)}, "
        f"{summary.digest_items_queued} digest items queued, {summary.digests_sent} digests sent",
        soft_wrap=True,
    )


def run(
    config: Optional[Path] = CONFIG_OPTION,
    no_deliver: bool = typer.Option(False, "--no-deliver", help="poll and match, but leave the digests queued"),
    as_json: bool = typer.Option(False, "--json", help="print the cycle summary as JSON"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="show Prefect's own log lines"),
) -> None:
    """Run one full cycle now, through the Prefect flow, then exit.

    Exit status 0 when the cycle completed, even if some feeds failed (each
    failure is named on one line); 2 for a bad config, 3 when the state store
    cannot be opened.
    """
    config = default_config_path(config)
    summary, digests = run_flow(config, deliver=not no_deliver, verbose=verbose, show_progress=not as_json)
    if as_json:
        print_json(summary)
        return
    for text in digests:
        console.print(text, soft_wrap=True, markup=False)
    print_summary(summary)


def write_demo_config(folder: Path, feeds: list[dict]) -> Path:
    import rules as rules_pkg

    config = {
        "timezone": "Asia/Seoul",
        "data_dir": str(folder),
        "rules": [str(Path(rules_pkg.__file__).parent)],
        "feeds": feeds,
        "fetch": {"allow_private_addresses": True, "connect_timeout": 2, "read_timeout": 5},
        # an office watching Gwangju AI already knows its main institutions
        "institutions": {"known": ["광주과학기술원", "광주정보문화산업진흥원"], "aliases": {"광주테크노파크": ["광주TP"]}},
    }
    path = folder / "newswatch-demo.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def demo(
    keep: bool = typer.Option(False, "--keep", help="keep the demo's state and digest files and print where"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="show Prefect's own log lines"),
) -> None:
    """Run the real pipeline offline against bundled Korean sample feeds served on 127.0.0.1."""
    from newswatch.demo.site import start_demo_site

    site = start_demo_site(datetime.now(timezone.utc))
    folder = Path(tempfile.mkdtemp(prefix="newswatch-demo-"))
    try:
        config = write_demo_config(folder, site.feeds)
        console.print(f"demo: serving {len(site.feeds)} sample feeds on {site.server.base_url}", soft_wrap=True)
        summary, digests = run_flow(config, verbose=verbose)
    finally:
        site.server.stop()
    for text in digests:
        console.print(text, soft_wrap=True, markup=False)
    print_summary(summary)
    if keep:
        console.print(f"demo files kept in {folder}", soft_wrap=True)
    else:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def serve(
    config: Optional[Path] = CONFIG_OPTION,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="show Prefect's own log lines"),
) -> None:
    """Run the config's schedules until stopped (Ctrl-C).

    With PREFECT_API_URL unset, a local Prefect server is started on
    127.0.0.1 (its UI address is printed) and stopped on exit.
    """
    from newswatch.serving import serve_schedules

    config = default_config_path(config)
    _quiet_prefect(verbose)
    _check_start(config)
    try:
        serve_schedules(config, echo=lambda line: console.print(line, soft_wrap=True))
    except NewswatchError as exc:
        fail(str(exc))


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("demo")(demo)
    app.command("serve")(serve)
