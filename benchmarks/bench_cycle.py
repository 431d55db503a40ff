"""A full newswatch cycle over a local corpus beside the bare libraries doing the same work.

    python benchmarks/bench_cycle.py [--feeds 20] [--items 10] [--prefect] [--runner processes]
                                     [--workers 2 [--postgres | --state-url URL]] [--not-modified 1000]

Baseline: httpx + feedparser + trafilatura in a plain loop (fetch each feed,
parse it, fetch each article, extract it). newswatch: the same corpus through
`newswatch.cycle.run_cycle` (state, dedup, rules, outbox included), timed by stage
with `benchmarks.stagetimer` (wall clock, no profiler); with --prefect, through the
Prefect flow on a running local Prefect server (the deployed case) and on the
temporary API `newswatch run` starts. Everything is timed in this run; the ratios
are what to read (the machine is shared and noisy).
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


def newswatch_config(folder: Path, feeds: list[dict], per_host: int = 8, state_url: str = "",
                     extract: dict | None = None) -> Path:
    repo = Path(__file__).resolve().parents[1]
    # every local feed shares one host, 127.0.0.1; real feeds spread over many hosts
    cfg = {"data_dir": str(folder), "rules": [str(repo / "rules")], "feeds": feeds,
           "fetch": {"allow_private_addresses": True, "per_host": per_host}, "state": {"url": state_url},
           "extract": extract or {}}
    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def run_plain(config: Path, timer=None) -> int:
    from newswatch.config import load_settings
    from newswatch.cycle import run_cycle
    from state import Store

    settings = load_settings(config)
    store = Store.open(settings.state_url)
    try:
        if timer is None:
            summary = run_cycle(settings, store, deliver=False)
        else:
            with timer:
                summary = run_cycle(settings, store, deliver=False)
    finally:
        store.close()
    return summary.articles_extracted


def run_prefect(config: Path) -> int:
    from flows.cycle import cycle_flow

    return cycle_flow(config_path=str(config), deliver=False).articles_extracted


FLOW_IN_SUBPROCESS = """
import json, sys, time
from benchmarks.stagetimer import StageTimer
from flows.cycle import cycle_flow
timer = StageTimer()
start = time.perf_counter()
with timer:
    n = cycle_flow(config_path=sys.argv[1], deliver=False).articles_extracted
print(json.dumps({"articles": n, "seconds": time.perf_counter() - start, "stages": timer.totals}))
"""


def run_prefect_on_server(config: Path, api_url: str) -> tuple[float, int, dict[str, float]]:
    """The flow in a fresh process pointed at a running Prefect server: (seconds of the flow call, articles,
    seconds by stage; "other" is what ran outside newswatch's stages: Prefect's engine, task runs, settings)."""
    import json
    import subprocess

    env = {**os.environ, "PREFECT_API_URL": api_url}
    out = subprocess.run([sys.executable, "-c", FLOW_IN_SUBPROCESS, str(config)], cwd=Path(__file__).resolve().parents[1],
                         env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"flow failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["seconds"], result["articles"], result["stages"]


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
    ap.add_argument("--prefect", action="store_true",
                    help="also run through the Prefect flow: on a running local server and on the temporary API")
    ap.add_argument("--runner", choices=["processes", "dask"], default=None,
                    help="with --prefect, also run the flow with extraction fanned out over this task runner")
    ap.add_argument("--processes", type=int, default=2, help="worker processes for --runner")
    ap.add_argument("--repeat", type=int, default=1,
                    help="with --prefect, alternate the plain and the flow runs this many times; the best of each counts")
    ap.add_argument("--workers", type=int, default=0, metavar="N",
                    help="also run N worker processes at once on one shared state (see --state-url)")
    ap.add_argument("--state-url", default="", help="shared state for --workers (default: a SQLite file); "
                    "an empty PostgreSQL database is the realistic choice")
    ap.add_argument("--postgres", action="store_true",
                    help="for --workers, start a throwaway PostgreSQL on 127.0.0.1 (the tests' server)")
    ap.add_argument("--not-modified", type=int, default=0, metavar="N",
                    help="also poll N feeds that all answer 304, through the Prefect flow")
    args = ap.parse_args()
    if args.not_modified:
        not_modified_poll(args.not_modified)
    server, feeds = build_corpus(args.feeds, args.items, page_kb=args.page_kb)
    try:
        bench(args, feeds)
    finally:
        server.stop()


def bench(args, feeds: list[dict]) -> None:
    base_s, base_n = timed(bare_loop, feeds)
    print(f"plain httpx+feedparser+trafilatura loop: {base_n} articles, {base_n / base_s:.1f} articles/s (baseline 1.00x)")
    conc_s, conc_n = timed(bare_concurrent, feeds)
    print(f"bare libraries, same HTTP concurrency:  {conc_n} articles, {conc_n / conc_s:.1f} articles/s, "
          f"{base_s / conc_s:.2f}x")
    if not args.prefect:
        nw_s, nw_n, timer = _plain_timed(feeds)
        _print_plain(nw_s, nw_n, timer, base_s)
    else:
        _bench_prefect(args, feeds, base_s)
    if args.workers:
        _bench_workers(args, feeds)


def _plain_timed(feeds: list[dict]):
    from benchmarks.stagetimer import StageTimer

    timer = StageTimer()
    with tempfile.TemporaryDirectory() as tmp:
        seconds, n = timed(run_plain, newswatch_config(Path(tmp), feeds), timer)
    return seconds, n, timer


def _print_plain(nw_s: float, nw_n: int, timer, base_s: float) -> None:
    print(f"newswatch cycle (plain functions):     {nw_n} articles, {nw_n / nw_s:.1f} articles/s, {base_s / nw_s:.2f}x")
    print("  its time by stage (wall clock): " + ", ".join(f"{k} {v:.1%}" for k, v in timer.shares().items()))


def _bench_prefect(args, feeds: list[dict], base_s: float) -> None:
    """Plain functions and the flow on a running server, alternated --repeat times (best of each):
    on a shared machine one slow run says nothing, and alternating spreads the load evenly."""
    from newswatch.serving import local_prefect_server

    plain, flow = [], []
    with local_prefect_server() as api_url:
        for _ in range(args.repeat):
            plain.append(_plain_timed(feeds))
            with tempfile.TemporaryDirectory() as tmp:
                flow.append(run_prefect_on_server(newswatch_config(Path(tmp), feeds), api_url))
        nw_s, nw_n, timer = min(plain, key=lambda r: r[0])
        _print_plain(nw_s, nw_n, timer, base_s)
        pf_s, pf_n, stages = min(flow, key=lambda r: r[0])
        state = timer.shares().get("state", 0.0)
        prefect = max(0.0, 1 - nw_s / pf_s)
        # measured directly in the flow's process: time outside every newswatch stage, beyond the plain run's
        engine = max(0.0, stages.get("other", 0.0) - timer.totals.get("other", 0.0)) / pf_s
        print(f"newswatch cycle (Prefect flow, running server): {pf_n} articles, {pf_n / pf_s:.1f} articles/s, "
              f"{base_s / pf_s:.2f}x (best of {args.repeat})")
        print(f"  Prefect's share of the flow's time: {prefect:.1%} by the rates, {engine:.1%} measured in its process "
              f"(engine, task runs, settings); the state's share: {state:.1%}; "
              f"Prefect + state: {max(prefect, engine) + state:.1%} (target < 15 %)")
        if args.runner:
            with tempfile.TemporaryDirectory() as tmp:
                extract = {"runner": args.runner, "processes": args.processes}
                rn_s, rn_n, _ = run_prefect_on_server(newswatch_config(Path(tmp), feeds, extract=extract), api_url)
            print(f"newswatch cycle (Prefect flow, extraction on {args.runner} x{args.processes}): {rn_n} articles, "
                  f"{rn_n / rn_s:.1f} articles/s, {base_s / rn_s:.2f}x, {pf_s / rn_s:.2f}x the inline flow")
    with tempfile.TemporaryDirectory() as tmp:
        ep_s, ep_n = timed(run_prefect, newswatch_config(Path(tmp), feeds))
    print(f"newswatch cycle (Prefect flow, temporary API as `newswatch run`): {ep_n} articles, "
          f"{ep_n / ep_s:.1f} articles/s, {base_s / ep_s:.2f}x (includes starting the temporary API)")


def _bench_workers(args, feeds: list[dict]) -> None:
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


if __name__ == "__main__":
    main()
