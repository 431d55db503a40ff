"""`newswatch rules ...`: check rule files, test them on articles, manage the institution registry."""
from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

import typer

from newswatch.cli.common import CONFIG_OPTION, console, default_config_path, err_console, fail, load_settings_or_exit, print_json, to_jsonable
from newswatch.errors import NewswatchError
from newswatch.models import Article

rules_app = typer.Typer(help="Check and test watch rules; manage the institution registry.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")


def _destinations(config: Optional[Path], settings) -> set[str] | None:
    """Only a real config file can say which destinations exist."""
    return {d.name for d in settings.destinations} if default_config_path(config) is not None else None


@rules_app.command("check")
def check(
    paths: Optional[list[Path]] = typer.Argument(None, help="rule files or folders (default: the config's `rules`)"),
    config: Optional[Path] = CONFIG_OPTION,
    as_json: bool = typer.Option(False, "--json", help="print the problems as JSON"),
) -> None:
    """Validate rule files: every problem with file:line:column and what is expected."""
    from rules import load_rules

    settings = load_settings_or_exit(config)
    targets = list(paths) if paths else settings.rule_paths
    ruleset = load_rules(targets, destinations=_destinations(config, settings))
    if as_json:
        print_json({"rules": [r.id for r in ruleset.rules], "errors": ruleset.errors})
    else:
        for issue in ruleset.errors:
            console.print(str(issue), soft_wrap=True, markup=False)
        word = "problem" if len(ruleset.errors) == 1 else "problems"
        console.print(f"{len(ruleset.rules)} rule(s) OK, {len(ruleset.errors)} {word}", markup=False)
    if ruleset.errors:
        raise typer.Exit(1)


@rules_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of rule files (the shipped rules/rule.schema.json)."""
    from rules.model import json_schema_text

    typer.echo(json_schema_text(), nl=False)


_DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")


def parse_since(value: str) -> timedelta:
    m = _DURATION.match(value)
    if not m:
        raise ValueError(f"--since expects a duration like 30m, 12h, 7d or 2w, not {value!r}")
    n, unit = int(m.group(1)), m.group(2)
    return timedelta(**{{"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[unit]: n})


def _article_from_json(data: Any, source: str) -> Article:
    from rules.errors import RuleInputError

    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if not isinstance(data, dict):
        raise RuleInputError(f"{source}: expected a JSON object with title and text")
    text = data.get("text", data.get("body"))
    if not isinstance(text, str):
        raise RuleInputError(f"{source}: the JSON has no `text` (the article body)")

    def date(key: str) -> datetime | None:
        value = data.get(key)
        try:
            return datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return None

    published = date("published")
    return Article(
        url=str(data.get("url") or source), title=str(data.get("title") or ""), text=text,
        lead=str(data.get("lead") or ""), published=published if published and published.tzinfo else None,
        authors=tuple(data.get("authors") or ()), site_name=str(data.get("site_name") or ""),
        language=str(data.get("language") or "ko"), extractor=str(data.get("extractor") or "json"),
        feed=data.get("feed"),
    )


def _article_from_text(text: str, source: str) -> Article:
    title, _, body = text.lstrip("\ufeff").partition("\n")
    return Article(url=source, title=title.strip(), text=body.strip("\n"), extractor="text")


def _looks_like_html(raw: str, path: Path | None) -> bool:
    if path is not None and path.suffix.lower() in (".html", ".htm", ".xhtml"):
        return True
    head = raw[:2000].lstrip().lower()
    return head.startswith("<!doctype html") or head.startswith("<html") or "<body" in head


def _extract_html(raw: bytes | str, url: str, content_type: str | None, settings) -> Article:
    """Extract as the pipeline does; plain trafilatura if the extractors stage is not installed."""
    try:
        from extractors.article import extract_article
    except ImportError:
        return _extract_with_trafilatura(raw, url)
    return extract_article(raw, url=url, content_type=content_type, default_tz=settings.tz, settings=settings.extract)


def _extract_with_trafilatura(raw: bytes | str, url: str) -> Article:
    import trafilatura

    from rules.errors import RuleInputError

    html = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if doc is None or not getattr(doc, "text", None):
        raise RuleInputError(f"{url}: no article text found in the page")
    return Article(url=url, title=doc.title or "", text=doc.text, site_name=doc.sitename or "", extractor="trafilatura")


def _fetch(url: str, settings) -> Article:
    from extractors.http import Fetcher

    async def run():
        async with Fetcher(settings.fetch) as fetcher:
            return await fetcher.get(url)

    result = asyncio.run(run())
    return _extract_html(result.content, result.url, result.content_type, settings)


def read_input(item: str, settings) -> Article:
    """An article from a URL, an HTML page, extracted-article JSON, or plain text (first line = title)."""
    from rules.errors import RuleInputError

    if re.match(r"^https?://", item, re.I):
        return _fetch(item, settings)
    path = Path(item)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RuleInputError(f"{item}: file not found") from None
    except OSError as exc:
        raise RuleInputError(f"{item}: cannot read: {exc.strerror}") from None
    if path.suffix.lower() == ".json":
        try:
            return _article_from_json(json.loads(raw.decode("utf-8")), item)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RuleInputError(f"{item}: not valid UTF-8 JSON: {exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or _looks_like_html(text, path):
        return _extract_html(raw, path.resolve().as_uri(), None, settings)
    return _article_from_text(text, item)


def _match_json(match) -> dict:
    return {"rule": match.rule, "evidence": to_jsonable(match.evidence), "institutions": to_jsonable(match.institutions)}


def _print_result(label: str, matches, error: str | None) -> None:
    console.print(f"[bold]{label}[/]", soft_wrap=True)
    if error:
        console.print(f"  [red]error:[/] {error}", soft_wrap=True, markup=True)
        return
    if not matches:
        console.print("  no rule matched")
    for m in matches:
        console.print(f"  [green]{m.rule}[/] ({m.priority}) {m.title}", soft_wrap=True)
        for e in m.evidence:
            console.print(f"    {e.term} → {e.matched!r} [{e.field} {e.start}-{e.end}] {e.snippet}", soft_wrap=True, markup=False)
        for i in m.institutions:
            flags = ", ".join(x for x in ("new" if i.is_new else "", f"event {i.event}" if i.event else "") if x)
            console.print(f"    institution: {i.name} ({i.surface}) [{flags}] — {i.sentence[:120]}", soft_wrap=True, markup=False)


@rules_app.command("test")
def test(
    inputs: Optional[list[str]] = typer.Argument(None, help="article pages (HTML), extracted JSON, text files or URLs, in order"),
    rules_paths: Optional[list[Path]] = typer.Option(None, "--rules", "-r", help="rule files or folders (default: the config's)"),
    since: Optional[str] = typer.Option(None, "--since", help="also test stored articles fetched within this long: 7d, 12h"),
    as_json: bool = typer.Option(False, "--json", help='print [{"input", "matches": [{"rule", "evidence", "institutions"}]}]'),
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Show which rules match each input, with evidence. Writes nothing to state."""
    from rules import MemoryRegistry, load_rules
    from rules.institutions import SnapshotRegistry

    settings = load_settings_or_exit(config)
    if not inputs and not since:
        fail("give article files/URLs, or --since 7d for stored articles")
    ruleset = load_rules(list(rules_paths) if rules_paths else settings.rule_paths)
    for issue in ruleset.errors:
        err_console.print(f"warning: rule skipped: {issue}", soft_wrap=True, markup=False)
    if not ruleset.rules:
        fail("no valid rules to test")
    # One registry across inputs, so a new_institution rule sees the earlier inputs first. With --since
    # it is the stored registry, read once and never written (see SnapshotRegistry).
    registry = MemoryRegistry(settings.institutions.known, settings.institutions.aliases)
    work: list[tuple[str, Any]] = []
    if since:
        try:
            delta = parse_since(since)
        except ValueError as exc:
            fail(str(exc))
        stored, records = _stored_since(settings, delta)
        registry = SnapshotRegistry(records, settings.institutions.known, settings.institutions.aliases)
        work.extend((f"article {aid}: {a.url}", a) for aid, a in stored)
    work.extend((item, item) for item in inputs or ())
    results, failed = [], False
    for label, source in work:
        error, matches = None, []
        try:
            article = source if isinstance(source, Article) else read_input(source, settings)
            if isinstance(registry, SnapshotRegistry):
                registry.replaying(article.url if source is article else None)
            matches = ruleset.match(article, feed=article.feed, registry=registry, now=datetime.now(timezone.utc))
        except NewswatchError as exc:
            error, failed = f"[{exc.kind}] {exc.message}", True
        results.append((label, matches, error))
    if as_json:
        out = []
        for label, matches, error in results:
            item = {"input": label, "matches": [_match_json(m) for m in matches]}
            if error:
                item["error"] = error
            out.append(item)
        print_json(out)
    else:
        for label, matches, error in results:
            _print_result(label, matches, error)
    if failed:
        raise typer.Exit(1)


def _open_store(settings, *, upgrade: bool = True):
    from state import Store

    try:
        return Store.open(settings.state_url, upgrade=upgrade)
    except NewswatchError as exc:
        fail(str(exc))


def _stored_since(settings, delta: timedelta):
    """The stored articles fetched within `delta`, oldest first, and the institution registry's rows."""
    store = _open_store(settings, upgrade=False)  # read-only: never create or migrate a database here
    try:
        return store.articles.since(datetime.now(timezone.utc) - delta), store.institutions.list()
    except NewswatchError as exc:
        fail(str(exc))
    finally:
        store.close()


@rules_app.command("institutions")
def institutions(
    status: Optional[str] = typer.Option(None, "--status", help="only names with this status: seed, learned, known, wrong"),
    as_json: bool = typer.Option(False, "--json"),
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """List the institution registry (seeded from the config, learned from articles)."""
    from state.institutions import STATUSES
    from state.schema import utcnow

    if status is not None and status not in STATUSES:
        fail(f"--status must be one of {', '.join(STATUSES)}")
    settings = load_settings_or_exit(config)
    store = _open_store(settings)
    try:
        store.institutions.seed(settings.institutions.known, settings.institutions.aliases, utcnow())
        records = store.institutions.list(status)
    except NewswatchError as exc:
        fail(str(exc))
    finally:
        store.close()
    if as_json:
        print_json(records)
        return
    for r in records:
        aliases = f" ({', '.join(r.aliases)})" if r.aliases else ""
        console.print(f"{r.status:8} {r.name}{aliases}  mentions={r.mentions} first={r.first_seen:%Y-%m-%d} {r.first_article_url or ''}",
                      soft_wrap=True, markup=False)
    console.print(f"{len(records)} name(s)", markup=False)


def _mark(name: str, status: str, config: Optional[Path]) -> None:
    from state.schema import utcnow

    name = name.strip()
    if not name:
        fail("give the institution name")
    settings = load_settings_or_exit(config)
    store = _open_store(settings)
    try:
        existed = store.institutions.mark(name, status, utcnow())
    except NewswatchError as exc:
        fail(str(exc))
    finally:
        store.close()
    console.print(f"{name}: {status}" + ("" if existed else " (added)"), markup=False)


@rules_app.command("mark-known")
def mark_known(name: str = typer.Argument(..., help="the institution name"), config: Optional[Path] = CONFIG_OPTION) -> None:
    """Mark a name as a known institution: it is never reported as new again."""
    _mark(name, "known", config)


@rules_app.command("mark-wrong")
def mark_wrong(name: str = typer.Argument(..., help="the detected name"), config: Optional[Path] = CONFIG_OPTION) -> None:
    """Mark a detected name as not an institution: it is never reported again."""
    _mark(name, "wrong", config)
