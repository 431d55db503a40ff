"""`newswatch dedup FILE...`: show which of the given articles are copies of one story, and why."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from newswatch.cli.common import CONFIG_OPTION, console, err_console, fail, load_settings_or_exit, print_json


def dedup_command(
    files: List[Path] = typer.Argument(..., help="article pages (.html), extracted-article JSON, or plain text (first line = title)"),
    as_json: bool = typer.Option(False, "--json", help='print {"clusters": [[{"input", "similarity", "method"}, ...], ...]}'),
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Cluster the given articles into stories with the configured dedup thresholds."""
    from dedup.cluster import cluster_articles
    from dedup.errors import DedupInputError
    from dedup.inputs import HtmlUnsupported, read_article

    settings = load_settings_or_exit(config)
    read, skipped = [], []
    for path in files:
        try:
            read.append((str(path), read_article(path)))
        except HtmlUnsupported as exc:
            skipped.append({"input": str(path), "error": str(exc)})
        except DedupInputError as exc:
            if not path.exists():
                fail(str(exc))
            skipped.append({"input": str(path), "error": str(exc)})
    for item in skipped:
        err_console.print(f"[yellow]skipped:[/] {item['error']}", soft_wrap=True)
    if not read:
        fail("no readable article among the inputs")
    clusters = cluster_articles([a for _, a in read], settings.dedup)
    out = [
        [{"input": read[i][0], "similarity": sim, "method": method} for i, sim, method in members] for members in clusters
    ]
    if as_json:
        print_json({"clusters": out, "skipped": skipped})
        return
    _table(out, {name: article.title for name, article in read})


def _table(clusters: list[list[dict]], titles: dict[str, str]) -> None:
    table = Table(title=f"{sum(map(len, clusters))} articles, {len(clusters)} stories")
    for column in ("story", "input", "joined by", "similarity", "title"):
        table.add_column(column)
    for n, members in enumerate(clusters, 1):
        for pos, m in enumerate(members):
            table.add_row(
                str(n) if pos == 0 else "",
                m["input"],
                "first" if pos == 0 else m["method"],
                "" if pos == 0 else f"{m['similarity']:.3f}",
                titles.get(m["input"], "")[:60],
            )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("dedup")(dedup_command)
