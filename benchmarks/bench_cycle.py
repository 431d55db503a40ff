"""A full newswatch cycle over a local corpus beside the bare libraries doing the same work.

    python benchmarks/bench_cycle.py [--feeds 20] [--items 10] [--prefect] [--not-modified 1000]

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


def newswatch_config(folder: Path, feeds: list[dict], per_host: int = 8) -> Path:
    repo = Path(__file__).resolve().parents[1]
    # every local feed shares one host, 127.0.0.1; real feeds spread over many hosts
    cfg = {"data_dir": str(folder), "rules": [str(repo / "rules")], "feeds": feeds,
           "fetch": {"allow_private_addresses": True, "per_host": per_host}}
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


def timed(fn, *args) -> tuple[float, int]:
    start = time.perf_counter()
    n = fn(*args)
    return time.perf_counter() - start, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=20)
    ap.add_argument("--items", type=int, default=10)
    ap.add_argument("--prefect", action="store_true", help="also run through the Prefect flow (ephemeral API)")
    ap.add_argument("--not-modified", type=int, default=0, metavar="N",
                    help="also poll N feeds that all answer 304, through the Prefect flow")
    args = ap.parse_args()
    if args.not_modified:
        not_modified_poll(args.not_modified)
    server, feeds = build_corpus(args.feeds, args.items)
    try:
        base_s, base_n = timed(bare_loop, feeds)
        print(f"bare httpx+feedparser+trafilatura loop: {base_n} articles, {base_n / base_s:.1f} articles/s (baseline 1.00x)")
        with tempfile.TemporaryDirectory() as tmp:
            nw_s, nw_n = timed(run_plain, newswatch_config(Path(tmp), feeds))
        print(f"newswatch cycle (plain functions):     {nw_n} articles, {nw_n / nw_s:.1f} articles/s, "
              f"time ratio {nw_s / base_s:.2f}x the bare loop")
        if args.prefect:
            with tempfile.TemporaryDirectory() as tmp:
                pf_s, pf_n = timed(run_prefect, newswatch_config(Path(tmp), feeds))
            print(f"newswatch cycle (Prefect flow):        {pf_n} articles, {pf_n / pf_s:.1f} articles/s, "
                  f"time ratio {pf_s / base_s:.2f}x the bare loop (includes the ephemeral API start)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
