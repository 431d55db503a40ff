"""`newswatch extract FILE|URL` (one page's article) and `newswatch eval extract DIR` (quality vs expected texts)."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Optional

import typer

from newswatch.cli.common import CONFIG_OPTION, console, fail, load_settings_or_exit, print_json
from newswatch.errors import NewswatchError

eval_app = typer.Typer(help="Measure a stage against expected results.", no_args_is_help=True)


def _is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def _fetch(url: str, settings) -> tuple[bytes, str | None, str]:
    """(body, content type, final URL) through the shared fetcher: caps, timeouts, address checks."""
    from extractors.http import Fetcher

    async def run():
        async with Fetcher(settings.fetch) as fetcher:
            return await fetcher.get(url, accept="text/html,application/xhtml+xml")

    result = asyncio.run(run())
    return result.content, result.content_type, result.url


def extract_command(
    source: str = typer.Argument(..., help="an HTML file, or an http(s) URL to fetch"),
    url: Optional[str] = typer.Option(None, "--url", help="the page's URL when SOURCE is a file (resolves relative links)"),
    as_json: bool = typer.Option(False, "--json", help="print the article as JSON"),
    candidates: bool = typer.Option(False, "--candidates", help="also show every candidate text with its quality score"),
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Extract the article text and metadata of one page."""
    from extractors.article import explain, extract_article

    settings = load_settings_or_exit(config)
    try:
        if _is_url(source):
            body, content_type, final_url = _fetch(source, settings)
            page_url = url or final_url
        else:
            path = Path(source)
            if not path.is_file():
                fail(f"{source}: no such file (give an HTML file or an http(s) URL)")
            body, content_type = path.read_bytes(), None
            page_url = url or path.resolve().as_uri()
        article = extract_article(body, url=page_url, content_type=content_type, default_tz=settings.tz,
                                  settings=settings.extract)
        scored = explain(body, url=page_url, content_type=content_type, default_tz=settings.tz,
                         settings=settings.extract) if candidates else []
    except NewswatchError as exc:
        fail(f"{exc.kind}: {exc}", 1)
    except OSError as exc:
        fail(f"{source}: {exc.strerror or exc}")
    if as_json:
        data = {
            "url": article.url, "title": article.title, "text": article.text, "lead": article.lead,
            "published": article.published, "updated": article.updated, "authors": list(article.authors),
            "site_name": article.site_name, "language": article.language, "extractor": article.extractor,
        }
        if candidates:
            data["candidates"] = [{"source": c.source, **c.features, "text": c.text} for c in scored]
        print_json(data)
        return
    console.print(f"[bold]{article.title}[/]")
    when = article.published.isoformat() if article.published else "-"
    console.print(f"{article.site_name} · {when} · {', '.join(article.authors) or '-'} · {article.language} · "
                  f"extractor: {article.extractor}")
    console.print(article.url)
    console.print()
    console.print(article.text, markup=False, highlight=False, soft_wrap=True)
    for c in scored:
        console.print(f"\n[dim]candidate {c.source}: {c.features}[/]")


def eval_extract_command(
    folder: Path = typer.Argument(..., help="a folder of X.html pages with X.expected.txt beside them"),
    recursive: bool = typer.Option(False, "--recursive", "-r", help="also look in sub-folders"),
    repeat: int = typer.Option(1, "--repeat", min=1, help="time each page this many times and keep the fastest"),
    check: bool = typer.Option(False, "--check", help="exit 1 unless mean F1 >= 0.97, every page >= 0.85 and time <= 1.5x bare trafilatura"),
    as_json: bool = typer.Option(False, "--json", help="print the per-page scores as JSON"),
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Bigram precision/recall/F1 of title+text against expected texts, beside bare trafilatura."""
    from newswatch.evaluate import evaluate, format_report

    settings = load_settings_or_exit(config)
    if not folder.is_dir():
        fail(f"{folder}: not a folder")
    report = evaluate(folder, settings=settings.extract, recursive=recursive, repeat=repeat, tz=settings.tz)
    if not report.pages:
        fail(f"{folder}: no X.html with an X.expected.txt beside it")
    if as_json:
        print_json({"pages": report.pages, "mean_f1": report.mean_f1, "min_f1": report.min_f1,
                    "baseline_mean_f1": report.baseline_mean_f1, "ms_per_page": report.seconds_per_page * 1000,
                    "baseline_ms_per_page": report.baseline_seconds_per_page * 1000, "time_ratio": report.time_ratio})
    else:
        console.print(format_report(report), markup=False, highlight=False, soft_wrap=True)
    if check and not report.meets():
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("extract")(extract_command)
    eval_app.command("extract")(eval_extract_command)
    app.add_typer(eval_app, name="eval")
