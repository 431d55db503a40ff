"""`newswatch feeds` (feed health table) and `newswatch feeds check FILE|URL` (vet a feed before adding it)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from newswatch.cli.common import CONFIG_OPTION, console, fail, load_settings_or_exit, print_json
from newswatch.errors import NewswatchError

feeds_app = typer.Typer(help="Feed health, and vetting a feed before adding it.", no_args_is_help=False)


def _when(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else "-"


@feeds_app.callback(invoke_without_command=True)
def feeds_table(ctx: typer.Context, config: Optional[Path] = CONFIG_OPTION,
                as_json: bool = typer.Option(False, "--json", help="print the rows as JSON")) -> None:
    """Show every configured feed: last success, last error, failures in a row, next check, items in 7 days."""
    if ctx.invoked_subcommand is not None:
        return
    from state import Store
    from state.feeds import FeedRepo

    settings = load_settings_or_exit(config)
    try:
        store = Store.open(settings.state_url)
    except NewswatchError as exc:
        fail(str(exc), 3)
    try:
        repo = FeedRepo(store)
        repo.upsert([f for f in settings.feeds])
        rows = repo.table(datetime.now(timezone.utc), [f.name for f in settings.feeds])
    except NewswatchError as exc:
        fail(str(exc), 3)
    finally:
        store.close()
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("no feeds configured (add them under `feeds:` in the config)")
        return
    tz = settings.tz
    table = Table(title=f"feeds ({settings.timezone})")
    for col in ("feed", "last success", "last error", "failures", "next check", "items 7d", "failed items"):
        table.add_column(col, overflow="fold")
    for r in rows:
        err = f"{_when(r.last_error_at, tz)} {r.last_error}" if r.last_error else "-"
        table.add_row(r.feed, _when(r.last_success_at, tz), err, str(r.consecutive_failures),
                      _when(r.next_check_at, tz) if r.next_check_at else "next cycle", str(r.items_7d),
                      str(r.failed_entries))
    console.print(table)


def _load(source: str, settings, allow_private: bool) -> tuple[bytes, str | None, str | None]:
    """(bytes, content type, base URL) from a file or an http(s) URL."""
    if source.lower().startswith(("http://", "https://")):
        from extractors.http import Fetcher
        from newswatch.polling import FEED_ACCEPT

        fetch = settings.fetch.model_copy(update={"allow_private_addresses": True}) if allow_private else settings.fetch

        async def get():
            async with Fetcher(fetch) as fetcher:
                return await fetcher.get(source, accept=FEED_ACCEPT)

        result = asyncio.run(get())
        return result.content, result.headers.get("content-type"), result.url
    path = Path(source).expanduser()
    if not path.is_file():
        fail(f"no such file: {source} (give a file path or an http(s) URL)")
    return path.read_bytes(), None, None


@feeds_app.command("check")
def feeds_check(
    source: str = typer.Argument(..., help="a feed file or an http(s) URL"),
    config: Optional[Path] = CONFIG_OPTION,
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="force this encoding (like a feed's `encoding:`)"),
    timezone_: Optional[str] = typer.Option(None, "--timezone", help="zone for dates without an offset"),
    allow_private: bool = typer.Option(False, "--allow-private", help="allow a URL on a loopback or private address"),
) -> None:
    """Show what a feed yields: titles, links, canonical links, GUIDs, dates with offsets, encoding, warnings."""
    from extractors.feeds import entry_identity, parse_feed

    settings = load_settings_or_exit(config)
    try:
        tz = ZoneInfo(timezone_ or settings.timezone)
    except (KeyError, ValueError):
        fail(f"unknown time zone {timezone_!r}")
    now = datetime.now(timezone.utc)
    try:
        content, ctype, base = _load(source, settings, allow_private)
        parsed = parse_feed(content, feed_name="check", content_type=ctype, default_tz=tz, now=now,
                            encoding_override=encoding, base_url=base)
    except NewswatchError as exc:
        fail(f"{exc.kind}: {exc.message}", 1)
    if as_json:
        print_json({
            "title": parsed.title, "encoding": parsed.encoding, "warnings": list(parsed.warnings),
            "entries": [{
                "title": e.title, "link": e.link, "canonical_url": e.canonical_url, "guid": e.guid,
                "identity": entry_identity(e), "published": e.published.isoformat(),
                "published_is_fallback": e.published_is_fallback,
                "updated": e.updated.isoformat() if e.updated else None, "author": e.author,
            } for e in parsed.entries],
        })
        return
    console.print(f"[bold]{parsed.title or '(untitled feed)'}[/]  encoding: {parsed.encoding}  "
                  f"entries: {len(parsed.entries)}")
    for w in parsed.warnings:
        console.print(f"[yellow]warning:[/] {w}")
    for e in parsed.entries:
        flag = " [yellow](no date in feed: first-seen time)[/]" if e.published_is_fallback else ""
        console.print(f"\n[bold]{e.title}[/]")
        console.print(f"  published: {e.published.isoformat()}{flag}")
        console.print(f"  link:      {e.link}")
        if e.canonical_url != e.link:
            console.print(f"  canonical: {e.canonical_url}")
        console.print(f"  guid:      {e.guid or '-'}")


def register(app: typer.Typer) -> None:
    app.add_typer(feeds_app, name="feeds")
