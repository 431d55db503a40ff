"""Accuracy of near-duplicate detection: the labelled set, feed polls, KLUE sentence pairs.

    .venv/bin/python benchmarks/eval_dedup.py            # everything (about a minute)
    .venv/bin/python benchmarks/eval_dedup.py --orders 3 --no-sweep

1. The labelled set written for the project (tests/dedup/data/stories.json + the edit
   generator tests/dedup/edits.py): pairwise precision/recall over shuffled arrival
   orders, same-topic merges, updates kept, and a sweep of the thresholds that
   chose the defaults; the containment gap between copies and different stories.
2. Real-length text: the 49 corpus pages' expected texts and the two seed articles
   (../shared/corpus, read in place; skipped when absent), each with six copies
   made by the same edit generator: pairwise precision/recall over shuffled orders.
3. ../shared/corpus/feeds/blerkr_zdnetkorea_poll{1,2,3}.xml (read in place; skipped
   when absent): every repeated item must join its first sighting.
4. ../shared/corpus/dedup/klue_sts_dev_policy_news_pairs.json: a score-vs-decision
   table (sentences, not articles: a sanity check, not a target).
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from collections import Counter
from itertools import combinations
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dedup.cluster import cluster_articles  # noqa: E402
from dedup.engine import Engine  # noqa: E402
from dedup.text import containment, normalise  # noqa: E402
from newswatch.config import DedupSettings  # noqa: E402
from newswatch.models import Article  # noqa: E402
from tests.conftest import corpus_dir  # noqa: E402
from tests.dedup.edits import EDITS, corpus_set, labelled_set, load_stories, original, syndicate  # noqa: E402
from tests.dedup.scoring import score_orders  # noqa: E402


def line(s, label: str) -> str:
    sims = [x for x in s.copy_similarity if x is not None]
    return (
        f"{label:<34} P {s.precision:.4f}  R {s.recall:.4f}  (tp {s.tp}, fp {s.fp}, fn {s.fn})  "
        f"same-topic merges {len(s.same_topic_merges)}  updates kept {s.updates_kept}/{s.updates_total}"
        + (f"  copy similarity min {min(sims):.3f}" if sims else "")
    )


def labelled(orders: int, sweep: bool) -> None:
    items = labelled_set()
    kinds = Counter(it.kind for it in items)
    topics = Counter(it.topic for it in items if it.kind == "original")
    print("== labelled set (written for the project) ==")
    print(
        f"{kinds['original']} stories on {len(topics)} topics (largest: {topics.most_common(1)[0]}), "
        f"{kinds['copy']} syndicated copies, {kinds['update']} updates; {orders} shuffled arrival orders"
    )
    s = score_orders(items, DedupSettings(), range(orders))
    print(line(s, "defaults"))
    missed = Counter(e for _, edits in s.missed for e in edits)
    if missed:
        print(f"  edits on the copies of missed pairs: {dict(missed.most_common())}")
    separation(items)
    hard_negative()
    if sweep:
        print("\n-- sweep (each line changes one or two settings from the defaults) --")
        for th in (0.3, 0.4, 0.5):
            for mc in (0.5, 0.6, 0.7, 0.8):
                print(line(score_orders(items, DedupSettings(threshold=th, min_containment=mc), range(orders)), f"threshold {th} min_containment {mc}"))
        for k in (4, 6, 7):
            print(line(score_orders(items, DedupSettings(shingle_size=k), range(orders)), f"shingle_size {k}"))
        for perm in (64, 256):
            print(line(score_orders(items, DedupSettings(num_perm=perm), range(orders)), f"num_perm {perm}"))


def separation(items) -> None:
    """Containment of every pair, by relation: the gap the threshold sits in."""
    engine = Engine(DedupSettings())
    sets = [engine.features(it.article).shingles for it in items]
    copy_orig, same_story, same_topic, other = [], [], [], []
    for i, j in combinations(range(len(items)), 2):
        c = containment(sets[i], sets[j])
        a, b = items[i], items[j]
        if a.story == b.story:
            same_story.append(c)
            if {a.kind, b.kind} == {"original", "copy"}:
                copy_orig.append(c)
        elif a.topic == b.topic:
            same_topic.append((c, a.story, b.story))
        else:
            other.append(c)
    worst = max(same_topic)
    q = statistics.quantiles(copy_orig, n=100)
    print(
        f"containment, copy vs its original: min {min(copy_orig):.3f}, p1 {q[0]:.3f}, p5 {q[4]:.3f}, median {statistics.median(copy_orig):.3f}; "
        f"any two members of one story: min {min(same_story):.3f}"
    )
    print(
        f"containment, different stories: same topic max {worst[0]:.3f} ({worst[1]} / {worst[2]}), "
        f"other topics max {max(other):.3f}"
    )


def hard_negative() -> None:
    """A brief of gj-ai-bus seen alone beside gj-ai-bus-stop, which reuses one of its paragraphs."""
    stories = {s.id: s for s in load_stories()}
    settings = DedupSettings()
    rng = random.Random(9)
    follow_up = original(stories["gj-ai-bus-stop"])
    full, briefs, merged_full, merged_briefs, chained = 0, 0, 0, 0, 0
    for n in range(200):
        ops = tuple(rng.sample(EDITS, k=rng.randint(2, 4)))
        copy, _ = syndicate(stories["gj-ai-bus"], rng, n, ops=ops)
        merged = len(cluster_articles([copy, follow_up], settings)) == 1
        if "brief" in ops:
            briefs += 1
            merged_briefs += merged
            with_story = cluster_articles([original(stories["gj-ai-bus"]), copy, follow_up], settings)
            chained += len(with_story) == 1
        else:
            full += 1
            merged_full += merged
    print(
        f"hard negative (follow-up story reusing a paragraph): merged with {merged_full}/{full} full-length copies, "
        f"with {merged_briefs}/{briefs} briefs seen alone, with {chained}/{briefs} briefs once the full story is in the cluster"
    )


def real_length(orders: int) -> None:
    print("\n== real-length text: corpus pages and seed articles with generated copies (shared corpus) ==")
    if not (corpus_dir() / "pages").is_dir():
        print(f"skipped: {corpus_dir()} absent")
        return
    items = corpus_set(corpus_dir())
    originals = [it for it in items if it.kind == "original"]
    lengths = sorted(len(normalise(it.article.text)) for it in originals)
    print(
        f"{len(originals)} stories (normalised length median {lengths[len(lengths) // 2]:,}, max {lengths[-1]:,}), "
        f"{len(items) - len(originals)} copies; {orders} shuffled arrival orders"
    )
    s = score_orders(items, DedupSettings(), range(orders))
    print(line(s, "defaults"))
    missed = Counter(story for story, _ in s.missed)
    if missed:
        print(f"  stories of the missed pairs: {dict(missed.most_common())}")


def feed_polls() -> None:
    print("\n== consecutive polls of one feed (shared corpus) ==")
    try:
        import feedparser
    except ImportError:
        print("skipped: feedparser not installed")
        return
    paths = [corpus_dir() / "feeds" / f"blerkr_zdnetkorea_poll{n}.xml" for n in (1, 2, 3)]
    if not all(p.exists() for p in paths):
        print(f"skipped: {paths[0].parent} absent")
        return
    for with_links in (True, False):
        arts, guids = [], []
        for n, path in enumerate(paths, 1):
            for i, e in enumerate(feedparser.parse(str(path)).entries):
                text = (e.get("content") or [{}])[0].get("value", "") or e.get("summary", "")
                url = e.link if with_links else f"poll{n}/{i}"
                arts.append(Article(url=url, guid=e.get("id") if with_links else None, title=e.title, text=text))
                guids.append(e.get("id"))
        clusters = cluster_articles(arts, DedupSettings())
        seen, repeats, recognised = set(), 0, 0
        cluster_of = {i: c for c, members in enumerate(clusters) for i, _, _ in members}
        first_of: dict[str, int] = {}
        for i, g in enumerate(guids):
            if g in seen:
                repeats += 1
                recognised += cluster_of[i] == cluster_of[first_of[g]]
            else:
                seen.add(g)
                first_of[g] = i
        wrong = sum(1 for members in clusters if len({guids[i] for i, _, _ in members}) > 1)
        methods = Counter(m for members in clusters for _, _, m in members[1:])
        label = "title+link+summary" if with_links else "title+summary only (links and GUIDs hidden)"
        print(
            f"{label}: {len(arts)} items, {len(seen)} distinct, {repeats} repeats, {recognised} recognised, "
            f"{wrong} clusters mixing different items; joined by {dict(methods)}"
        )


def klue() -> None:
    print("\n== KLUE-STS policy-news sentence pairs (sanity check: sentences, not articles) ==")
    path = corpus_dir() / "dedup" / "klue_sts_dev_policy_news_pairs.json"
    if not path.exists():
        print(f"skipped: {path} absent")
        return
    pairs = json.loads(path.read_text(encoding="utf-8"))
    settings = DedupSettings()
    engine = Engine(settings)
    bins: dict[str, list] = {}
    for p in pairs:
        a = Article(url="a", title="", text=p["sentence1"])
        b = Article(url="b", title="", text=p["sentence2"])
        merged = len(cluster_articles([a, b], settings)) == 1
        c = containment(engine.features(a).shingles, engine.features(b).shingles)
        label = p["labels"]["label"]
        key = f"{int(min(label, 4.99))}-{int(min(label, 4.99)) + 1}"
        bins.setdefault(key, []).append((merged, c, p["source"]))
    print(f"{'score':<6} {'pairs':>5} {'merged':>6} {'mean containment':>17} {'max containment':>16}  sources")
    for key in sorted(bins):
        rows = bins[key]
        print(
            f"{key:<6} {len(rows):>5} {sum(r[0] for r in rows):>6} {statistics.mean(r[1] for r in rows):>17.3f} "
            f"{max(r[1] for r in rows):>16.3f}  {dict(Counter(r[2] for r in rows))}"
        )
    print("(a merge needs verified containment ≥ min_containment of 5-character shingles; paraphrases that reword are not copies)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=10, help="shuffled arrival orders of the labelled set")
    ap.add_argument("--no-sweep", action="store_true", help="skip the threshold sweep")
    args = ap.parse_args()
    print(f"defaults: {DedupSettings().model_dump()}\n")
    labelled(args.orders, not args.no_sweep)
    real_length(args.orders)
    feed_polls()
    klue()


if __name__ == "__main__":
    main()
