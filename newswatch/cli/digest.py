"""`newswatch digest preview` (render the next digest, send nothing) and `newswatch digest status`."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from newswatch.cli.common import CONFIG_OPTION, console, fail, load_settings_or_exit, print_json
from newswatch.errors import NewswatchError

digest_app = typer.Typer(help="Preview the next digest and see what is pending, sent or failed.", no_args_is_help=True)

FORMATS = ("text", "slack", "email", "markdown")


def _open(settings):
    from state import Store

    try:
        return Store.open(settings.state_url)
    except NewswatchError as exc:
        fail(str(exc), 3)


def _destination_names(settings, only: str | None) -> list[str]:
    from digests.queue import LOCAL

    names = [d.name for d in settings.destinations] or [LOCAL]
    if only is None:
        return names
    if only not in names:
        fail(f"unknown destination {only!r}; configured: {', '.join(names)}")
    return [only]


def _default_format(settings, name: str) -> str:
    from digests.deliver import channel_of

    dest = next((d for d in settings.destinations if d.name == name), None)
    if dest is None:
        return "text"
    try:
        return {"slack": "slack", "email": "email"}.get(channel_of(settings.destination_url(dest)), "text")
    except NewswatchError:
        return "text"


def _render(items, fmt: str, max_items: int, settings, now) -> str:
    from digests.deliver import split_items
    from digests.model import build_digest
    from digests.render_email import render_email
    from digests.render_slack import render_slack
    from digests.render_text import render_markdown, render_text

    chunks = split_items(items, max_items)
    out = []
    for n, chunk in enumerate(chunks, 1):
        d = build_digest(chunk, settings.tz, now, part=n, parts=len(chunks))
        if fmt == "slack":
            out.append(json.dumps(render_slack(d), ensure_ascii=False, indent=2))
        elif fmt == "email":
            subject, html, _ = render_email(d)
            out.append(f"Subject: {subject}\n\n{html}")
        elif fmt == "markdown":
            out.append(render_markdown(d))
        else:
            out.append(render_text(d))
    return "\n".join(out)


@digest_app.command("preview")
def preview(
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="text, slack, email or markdown (default: by the destination's URL)"),
    destination: Optional[str] = typer.Option(None, "--destination", "-d", help="only this destination"),
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Render the next digest of each destination from the pending items, without sending or changing state."""
    from digests.deliver import load_items
    

    if fmt is not None and fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    settings = load_settings_or_exit(config)
    names = _destination_names(settings, destination)
    store = _open(settings)
    now = datetime.now(timezone.utc)
    try:
        for name in names:
            rows = store.outbox.pending(name)
            items = [item for _, item in load_items(store, [r for r in rows if r.story_id != 0]).values()]
            dest = next((d for d in settings.destinations if d.name == name), None)
            chosen = fmt or _default_format(settings, name)
            console.rule(f"{name} · {len(items)} item(s) · {chosen}")
            rendered = _render(items, chosen, dest.max_items if dest else 1000, settings, now)
            typer.echo(rendered)
    except NewswatchError as exc:
        fail(str(exc), 3)
    finally:
        store.close()


@digest_app.command("status")
def status(
    as_json: bool = typer.Option(False, "--json", help="print the counts as JSON"),
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Pending, retrying, sending, sent and failed items per destination, and the admin notices."""
    

    settings = load_settings_or_exit(config)
    store = _open(settings)
    try:
        repo = store.outbox
        counts = repo.status_counts()
        names = _destination_names(settings, None)
        for name in names:
            counts.setdefault(name, {"pending": 0, "sending": 0, "sent": 0, "failed": 0, "retrying": 0})
        errors = {name: repo.last_error(name) for name in counts}
        notices = repo.notice_counts()
    except NewswatchError as exc:
        fail(str(exc), 3)
    finally:
        store.close()
    if as_json:
        print_json({"destinations": {n: {**c, "last_error": errors[n]} for n, c in counts.items()}, "notices": notices})
        return
    table = Table(title="digest outbox")
    for col in ("destination", "pending", "retrying", "sending", "sent", "failed", "last error"):
        table.add_column(col, overflow="fold")
    for name in sorted(counts, key=lambda n: (n not in names, n)):
        c = counts[name]
        label = name if name in names else f"{name} (not configured)"
        table.add_row(label, str(c["pending"]), str(c["retrying"]), str(c["sending"]), str(c["sent"]), str(c["failed"]), errors[name] or "-")
    console.print(table)
    console.print(f"admin notices: {notices.get('pending', 0)} pending, {notices.get('sent', 0)} sent"
                  + ("" if settings.admin else " (no `admin` destination configured)"))


def register(app: typer.Typer) -> None:
    app.add_typer(digest_app, name="digest")
