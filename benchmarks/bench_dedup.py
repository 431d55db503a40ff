"""Speed of incremental near-duplicate detection, beside a naive all-pairs rapidfuzz baseline.

    .venv/bin/python benchmarks/bench_dedup.py                 # 100,000 articles (a few minutes)
    .venv/bin/python benchmarks/bench_dedup.py --n 5000 --baseline-n 1000 --store-n 500   # CI size
    .venv/bin/python benchmarks/bench_dedup.py --min-chars 1500   # newspaper-length stories

By default the stories are wire-length (5–10 sentences, median ~270 normalised
characters; the real corpus pages have a median of ~400); --min-chars 1500 makes
them newspaper-length (median ~1,250; the two seed articles have 1,682 and 2,933).

Three runs over one synthetic stream (benchmarks/dedup_synth.py, 20% syndicated copies):
1. the in-memory path (dedup.engine.Engine: features, decision, insert — what DedupIndex
   does between its database statements). Features are computed for --batch articles
   at a time, as the pipeline does for each batch it claims (50 or more); decisions
   stay incremental, one article at a time in arrival order against everything before
   it. Each article is timed as its share of its batch's features plus its own
   decision and insert: rates at 1k/2k/5k/..., p50/p99/max, peak RSS, and pairwise
   precision/recall against the stream's gold stories (--batch 1: one by one);
2. the naive baseline on the first --baseline-n articles: every article compared with
   every earlier one by rapidfuzz fuzz.ratio (process.extractOne, C loop, score_cutoff);
3. the persisted DedupIndex on SQLite for --store-n articles: the same decisions plus
   the locked transaction, signature and membership writes (the state overhead).
Article generation is outside every timed section. Times are printed as wall-clock
and as this process's CPU time: on a shared machine (load above the core count) the
wall-clock figures include time spent waiting for a core.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from itertools import islice
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dedup_synth import Synth  # noqa: E402  (also puts the repository on sys.path)

from rapidfuzz import fuzz, process  # noqa: E402

from dedup.engine import Engine  # noqa: E402
from dedup.text import body_of, normalise  # noqa: E402
from newswatch.config import DedupSettings  # noqa: E402

CHECKPOINTS = [1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def pairwise(pred: list[int], gold: list[int]) -> tuple[float, float]:
    """Pairwise precision and recall from cluster sizes (no n² loop)."""

    def pairs(counter: Counter) -> int:
        return sum(c * (c - 1) // 2 for c in counter.values())

    both = pairs(Counter(zip(pred, gold)))
    p, g = pairs(Counter(pred)), pairs(Counter(gold))
    return (both / p if p else 1.0), (both / g if g else 1.0)


def run_engine(n: int, settings: DedupSettings, seed: int, min_chars: int, batch: int) -> None:
    engine = Engine(settings)
    wall: list[float] = []  # per article: its share of its batch's features, then its own decision and insert
    cpu: list[float] = []
    decide_wall: list[float] = []  # per article: decision and insert only
    batch_wall: list[float] = []  # per batch: features of the whole batch
    pred, gold, lengths = [], [], []
    print(f"\n== MinHash-LSH, in-memory path: {n:,} articles, features computed {batch} at a time ==")
    print(
        f"{'articles':>9} {'art/s wall (cum.)':>18} {'art/s CPU (cum.)':>17} {'art/s CPU (segment)':>20} "
        f"{'p99 ms wall':>12} {'p99 ms CPU':>11} {'peak RSS MB':>12}"
    )
    seg_start = 0
    rss_before = rss_mb()
    stream = Synth(seed, min_chars=min_chars).stream(n)
    i = 0
    while chunk := list(islice(stream, batch)):
        t0, c0 = time.perf_counter(), time.process_time()
        features = engine.features_many([article for article, _ in chunk])
        share_w, share_c = (time.perf_counter() - t0) / len(chunk), (time.process_time() - c0) / len(chunk)
        batch_wall.append(share_w * len(chunk))
        for (_, g), f in zip(chunk, features):
            t0, c0 = time.perf_counter(), time.process_time()
            d = engine.decide(f)
            story = d.story_id if d.story_id is not None else i
            engine.insert_features(i, story, f)
            dw = time.perf_counter() - t0
            decide_wall.append(dw)
            wall.append(share_w + dw)
            cpu.append(share_c + time.process_time() - c0)
            pred.append(story)
            gold.append(g)
            lengths.append(f.body_len)
            i += 1
            if i in CHECKPOINTS or i == n:
                seg_w, seg_c = wall[seg_start:], cpu[seg_start:]
                print(
                    f"{i:>9,} {i / sum(wall):>18,.0f} {i / sum(cpu):>17,.0f} {len(seg_c) / sum(seg_c):>20,.0f} "
                    f"{pct(seg_w, 0.99) * 1e3:>12.2f} {pct(seg_c, 0.99) * 1e3:>11.2f} {rss_mb():>12,.0f}"
                )
                seg_start = i
    p, r = pairwise(pred, gold)
    print(
        f"overall: {n / sum(wall):,.0f} articles/s wall-clock, {n / sum(cpu):,.0f} articles/s of CPU time; "
        f"per article (its share of the batch's features + its decision) p50 {pct(wall, 0.5) * 1e3:.2f} ms, "
        f"p99 {pct(wall, 0.99) * 1e3:.2f} ms wall (CPU p99 {pct(cpu, 0.99) * 1e3:.2f} ms), max {max(wall) * 1e3:.1f} ms; "
        f"decision and insert alone p99 {pct(decide_wall, 0.99) * 1e3:.2f} ms; "
        f"features of a batch of {batch} p99 {pct(batch_wall, 0.99) * 1e3:.2f} ms; "
        f"peak RSS {rss_mb():,.0f} MB (before indexing {rss_before:,.0f} MB); "
        f"stories {len(set(pred)):,} (gold {len(set(gold)):,}); pairwise P {p:.4f} R {r:.4f}; "
        f"article length median {pct(lengths, 0.5):,} normalised characters"
    )


def run_baseline(n: int, seed: int, cutoff: float, min_chars: int) -> None:
    print(f"\n== naive all-pairs rapidfuzz baseline (fuzz.ratio >= {cutoff:g} against every earlier article): {n:,} articles ==")
    print(f"{'articles':>9} {'rate (art/s, cumulative)':>25} {'rate (this segment)':>20} {'p99 ms (segment)':>17}")
    texts: list[str] = []
    pred, gold, times = [], [], []
    total, seg_start, seg_time = 0.0, 0, 0.0
    for i, (article, g) in enumerate(Synth(seed, min_chars=min_chars).stream(n)):
        t0 = time.perf_counter()
        text = normalise(body_of(article))
        hit = process.extractOne(text, texts, scorer=fuzz.ratio, score_cutoff=cutoff) if texts else None
        pred.append(pred[hit[2]] if hit else i)
        texts.append(text)
        dt = time.perf_counter() - t0
        times.append(dt)
        total += dt
        seg_time += dt
        gold.append(g)
        if i + 1 in CHECKPOINTS or i + 1 == n:
            seg = times[seg_start:]
            print(f"{i + 1:>9,} {(i + 1) / total:>25,.0f} {len(seg) / seg_time:>20,.0f} {pct(seg, 0.99) * 1e3:>17.2f}")
            seg_start, seg_time = i + 1, 0.0
    p, r = pairwise(pred, gold)
    print(f"overall: {n / total:,.0f} articles/s, p99 {pct(times, 0.99) * 1e3:.2f} ms; pairwise P {p:.4f} R {r:.4f}")


def run_store(n: int, settings: DedupSettings, seed: int, min_chars: int, batch: int) -> None:
    from dedup.index import DedupIndex
    from state import Store

    print(f"\n== persisted DedupIndex on SQLite (state overhead): {n:,} articles ==")
    now = datetime(2026, 3, 12, tzinfo=timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/state.db")
        index = DedupIndex(settings, store)
        index.load(now)
        save_t, add_t = [], []
        stream = Synth(seed, min_chars=min_chars).stream(n)
        while chunk := [article for article, _ in islice(stream, batch)]:
            t0 = time.perf_counter()
            features = index.features_many(chunk)  # as the pipeline does for each claimed batch
            share = (time.perf_counter() - t0) / len(chunk)
            for article, f in zip(chunk, features):
                t0 = time.perf_counter()
                article_id, _ = store.articles.save(article, f.text_hash, now)
                t1 = time.perf_counter()
                index.add(article, article_id, now, new_article=True, features=f)
                t2 = time.perf_counter()
                save_t.append(t1 - t0)
                add_t.append(share + t2 - t1)
        t0 = time.perf_counter()
        fresh = DedupIndex(settings, store)
        fresh.load(now)
        load_s = time.perf_counter() - t0
        store.close()
    print(
        f"DedupIndex.add (with the article's share of its batch's features): {n / sum(add_t):,.0f} articles/s, p50 {pct(add_t, 0.5) * 1e3:.2f} ms, p99 {pct(add_t, 0.99) * 1e3:.2f} ms "
        f"(the integrator's articles.save, not part of dedup: p50 {pct(save_t, 0.5) * 1e3:.2f} ms); "
        f"load() of {len(fresh):,} signatures after a restart: {load_s:.2f} s"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="articles for the MinHash run")
    ap.add_argument("--baseline-n", type=int, default=5_000, help="articles for the all-pairs baseline (0 = skip)")
    ap.add_argument("--store-n", type=int, default=2_000, help="articles through the SQLite-backed DedupIndex (0 = skip)")
    ap.add_argument("--baseline-cutoff", type=float, default=80.0, help="fuzz.ratio that makes a duplicate in the baseline")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=50,
                    help="articles whose features are computed together (the pipeline's claimed batch: 50 or more; 1 = one by one)")
    ap.add_argument("--min-chars", type=int, default=0, help="grow each story to at least this many characters (0: wire-length)")
    args = ap.parse_args()
    settings = DedupSettings()
    print(f"settings: {settings.model_dump()}")
    print(f"machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    run_engine(args.n, settings, args.seed, args.min_chars, args.batch)
    if args.baseline_n:
        run_baseline(args.baseline_n, args.seed, args.baseline_cutoff, args.min_chars)
    if args.store_n:
        run_store(args.store_n, settings, args.seed, args.min_chars, args.batch)


if __name__ == "__main__":
    main()
