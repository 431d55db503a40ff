"""A full newswatch cycle over a local corpus beside the bare libraries doing the same work.

    python benchmarks/bench_cycle.py [--feeds 20] [--items 10] [--prefect] [--workers 2]
                                     [--state-url URL] [--not-modified 1000]

Baseline: httpx + feedparser + trafilatura in a plain loop (fetch each feed,
parse it, fetch each article, extract it). newswatch: the same corpus through
`newswatch.cycle.run_cycle` (state, dedup, rules, outbox included) and, with
--prefect, through the Prefect flow on the ephemeral API. Both are timed in this
run; the ratio is what to read (the machine is shared and noisy).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import feedparser  # noqa: E402
import httpx  # noqa: E402
import trafilatura  # noqa: E402
import yaml  # noqa: E402

from benchmarks.localcorpus import build_corpus  # noqa: E402


def bare_loop(feeds: list[dict]) -> int:
    n = 0
    with httpx.Client(timeout=15) as client:
        for feed in feeds:
            parsed = feedparser.parse(client.get(feed["url"]).content)
            for entry in parsed.entries:
                text = trafilatura.extract(client.get(entry.link).text)
                n += bool(text)
    return n


def bare_concurrent(feeds: list[dict], concurrency: int = 8) -> int:
    """The same library work with the same HTTP concurrency as newswatch's fetcher, and nothing else:
    what remains of newswatch's time beyond this is state, dedup, rules, outbox and Prefect."""
    import asyncio

    async def run() -> int:
        sem = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(timeout=15) as client:
            async def get(url: str) -> bytes:
                async with sem:
                    return (await client.get(url)).content

            bodies = await asyncio.gather(*(get(f["url"]) for f in feeds))
            links = [e.link for b in bodies for e in feedparser.parse(b).entries]
            pages = await asyncio.gather(*(get(link) for link in links))
        return sum(bool(trafilatura.extract(p.decode("utf-8"))) for p in pages)

    return asyncio.run(run())


def newswatch_config(folder: Path, feeds: list[dict], per_host: int = 8, state_url: str = "") -> Path:
    repo = Path(__file__).resolve().parents[1]
    # every local feed shares one host, 127.0.0.1; real feeds spread over many hosts
    cfg = {"data_dir": str(folder), "rules": [str(repo / "rules")], "feeds": feeds,
           "fetch": {"allow_private_addresses": True, "per_host": per_host}, "state": {"url": state_url}}
    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def run_plain(config: Path) -> int:
    from newswatch.config import load_settings
    from newswatch.cycle import run_cycle
    from state import Store

    settings = load_settings(config)
    store = Store.open(settings.state_url)
    try:
        summary = run_cycle(settings, store, deliver=False)
    finally:
        store.close()
    return summary.articles_extracted


def run_prefect(config: Path) -> int:
    from flows.cycle import cycle_flow

    return cycle_flow(config_path=str(config), deliver=False).articles_extracted


def not_modified_poll(n: int) -> None:
    """N feeds that all answer 304 (their ETag stored by a first poll), through the Prefect flow."""
    from flows.cycle import cycle_flow
    from newswatch.localserver import LocalHTTPServer, Route

    def answer(handler) -> Route:
        if handler.headers.get("If-None-Match") == '"v1"':
            return Route(b"", status=304, headers={"ETag": '"v1"'})
        return Route(b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>',
                     headers={"ETag": '"v1"'}, content_type="application/rss+xml")

    server = LocalHTTPServer()
    for i in range(n):
        server.routes[f"/f{i}"] = answer
    server.start()
    feeds = [{"name": f"feed-{i}", "url": server.url(f"/f{i}")} for i in range(n)]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = newswatch_config(Path(tmp), feeds, per_host=32)
            first_s, _ = timed(lambda: cycle_flow(config_path=str(config), deliver=False) and 0)
            again_s, _ = timed(lambda: cycle_flow(config_path=str(config), deliver=False) and 0)
            bare_s, _ = timed(bare_304_loop, feeds)
    finally:
        server.stop()
    print(f"{n} feeds answering 304, through the Prefect flow: {again_s:.2f} s "
          f"(first poll with bodies {first_s:.2f} s; bare httpx loop sending If-None-Match {bare_s:.2f} s, "
          f"ratio {again_s / bare_s:.2f}x)")


def bare_304_loop(feeds: list[dict]) -> int:
    with httpx.Client(timeout=15) as client:
        for feed in feeds:
            client.get(feed["url"], headers={"If-None-Match": '"v1"'})
    return len(feeds)


WORKER = """
import sys
from newswatch.config import load_settings
from newswatch.cycle import run_cycle
from state import Store
settings = load_settings(sys.argv[1])
store = Store.open(settings.state_url)
print(run_cycle(settings, store, deliver=False).articles_extracted)
"""


def run_workers(config: Path, n: int) -> int:
    """N worker processes running the cycle at once on one shared state."""
    import subprocess

    from newswatch.config import load_settings
    from state import Store

    Store.open(load_settings(config).state_url).close()  # migrate once, before the race
    repo = Path(__file__).resolve().parents[1]
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(config)], cwd=repo, stdout=subprocess.PIPE,
                              text=True) for _ in range(n)]
    return sum(int(p.communicate()[0].strip().splitlines()[-1]) for p in procs)


def _throwaway_postgres():
    from tests.pgserver import PostgresServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        sys.exit("PostgreSQL not installed: apt-get install postgresql")
    return PostgresServer(bindir).start()


STAGES = {  # package folder -> what its time is
    "/extractors/http": "HTTP", "/httpx/": "HTTP", "/httpcore/": "HTTP",
    "/extractors/feeds": "feed parsing", "/feedparser/": "feed parsing",
    "/extractors/": "extraction", "/trafilatura/": "extraction", "/lxml/": "extraction",
    "/state/": "state", "/sqlalchemy/": "state", "/dedup/": "dedup", "/rules/": "rules", "/digests/": "outbox",
    "epoll": "HTTP", "_socket": "HTTP", "sqlite3": "state", "psycopg": "state", "lxml": "extraction",
}


def time_split(config: Path) -> dict[str, float]:
    """Where the plain cycle's time goes, by stage (cProfile; Python-heavy stages are inflated a little)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    run_plain(config)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    total = sum(tt for (_, _, tt, _, _) in stats.values())
    split: dict[str, float] = {}
    for (filename, _, name), (_, _, tt, _, _) in stats.items():
        where = filename if filename != "~" else name  # C functions: "<method 'execute' of 'sqlite3.Cursor'...>"
        stage = next((v for k, v in STAGES.items() if k in where), "other")
        split[stage] = split.get(stage, 0.0) + tt
    return {k: v / total for k, v in sorted(split.items(), key=lambda kv: -kv[1])}


def timed(fn, *args) -> tuple[float, int]:
    start = time.perf_counter()
    n = fn(*args)
    return time.perf_counter() - start, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=20)
    ap.add_argument("--items", type=int, default=10)
    ap.add_argument("--page-kb", type=int, default=60,
                    help="pad article pages with site furniture to about this size (real Korean news pages: 50-200 kB)")
    ap.add_argument("--prefect", action="store_true", help="also run through the Prefect flow (ephemeral API)")
    ap.add_argument("--workers", type=int, default=0, metavar="N",
                    help="also run N worker processes at once on one shared state (see --state-url)")
    ap.add_argument("--state-url", default="", help="shared state for --workers (default: a SQLite file); "
                    "an empty PostgreSQL database is the realistic choice")
    ap.add_argument("--postgres", action="store_true",
                    help="for --workers, start a throwaway PostgreSQL on 127.0.0.1 (the tests' server)")
    ap.add_argument("--split", action="store_true", help="also profile the plain cycle and print its time by stage")
    ap.add_argument("--not-modified", type=int, default=0, metavar="N",
                    help="also poll N feeds that all answer 304, through the Prefect flow")
    args = ap.parse_args()
    if args.not_modified:
        not_modified_poll(args.not_modified)
    server, feeds = build_corpus(args.feeds, args.items, page_kb=args.page_kb)
    try:
        base_s, base_n = timed(bare_loop, feeds)
        print(f"plain httpx+feedparser+trafilatura loop: {base_n} articles, {base_n / base_s:.1f} articles/s (baseline 1.00x)")
        conc_s, conc_n = timed(bare_concurrent, feeds)
        print(f"bare libraries, same HTTP concurrency:  {conc_n} articles, {conc_n / conc_s:.1f} articles/s")
        with tempfile.TemporaryDirectory() as tmp:
            nw_s, nw_n = timed(run_plain, newswatch_config(Path(tmp), feeds))
        print(f"newswatch cycle (plain functions):     {nw_n} articles, {nw_n / nw_s:.1f} articles/s, "
              f"time ratio {nw_s / base_s:.2f}x the plain loop; share of the time beyond the same library work "
              f"at the same concurrency (state, dedup, rules, outbox): {max(0.0, 1 - conc_s / nw_s):.0%}")
        if args.split:
            with tempfile.TemporaryDirectory() as tmp:
                split = time_split(newswatch_config(Path(tmp), feeds))
            print("plain cycle time by stage (own time of each package's functions, cProfile): "
                  + ", ".join(f"{k} {v:.0%}" for k, v in split.items()))
        if args.workers:
            pg = _throwaway_postgres() if args.postgres else None
            try:
                rates = {}
                for n in sorted({1, args.workers}):
                    state_url = pg.create_database() if pg else args.state_url
                    with tempfile.TemporaryDirectory() as tmp:
                        config = newswatch_config(Path(tmp), feeds, state_url=state_url)
                        wk_s, wk_n = timed(run_workers, config, n)
                    rates[n] = wk_n / wk_s
                    print(f"newswatch, {n} worker process(es) on one {'PostgreSQL' if pg else 'state'}: "
                          f"{wk_n} articles, {rates[n]:.1f} articles/s, {rates[n] / rates[1]:.2f}x one worker")
            finally:
                if pg:
                    pg.stop()
        if args.prefect:
            with tempfile.TemporaryDirectory() as tmp:
                pf_s, pf_n = timed(run_prefect, newswatch_config(Path(tmp), feeds))
            print(f"newswatch cycle (Prefect flow):        {pf_n} articles, {pf_n / pf_s:.1f} articles/s, "
                  f"time ratio {pf_s / base_s:.2f}x the plain loop (includes the ephemeral API start); "
                  f"share beyond the same library work (Prefect, state, dedup, rules, outbox): "
                  f"{max(0.0, 1 - conc_s / pf_s):.0%}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
