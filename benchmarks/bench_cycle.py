"""A full newswatch cycle over a local corpus beside the bare libraries doing the same work.

    python benchmarks/bench_cycle.py [--feeds 20] [--items 10] [--prefect]

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


def newswatch_config(folder: Path, feeds: list[dict]) -> Path:
    repo = Path(__file__).resolve().parents[1]
    cfg = {"data_dir": str(folder), "rules": [str(repo / "rules")], "feeds": feeds,
           "fetch": {"allow_private_addresses": True, "per_host": 8}}
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


def timed(fn, *args) -> tuple[float, int]:
    start = time.perf_counter()
    n = fn(*args)
    return time.perf_counter() - start, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=20)
    ap.add_argument("--items", type=int, default=10)
    ap.add_argument("--prefect", action="store_true", help="also run through the Prefect flow (ephemeral API)")
    args = ap.parse_args()
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
