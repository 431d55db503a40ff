"""Pairwise scores of a clustering of the labelled set (shared by the tests and benchmarks/eval_dedup.py)."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from itertools import combinations

from dedup.cluster import cluster_articles
from newswatch.config import DedupSettings
from tests.dedup.edits import Item


@dataclass
class Scores:
    tp: int = 0  # same story, same cluster
    fp: int = 0  # different stories, same cluster
    fn: int = 0  # syndicated copies of one story left apart
    same_topic_merges: list[tuple[str, str]] = field(default_factory=list)
    updates_total: int = 0
    updates_kept: int = 0
    # similarity that joined each copy (None when it started its own cluster)
    copy_similarity: list[float | None] = field(default_factory=list)
    missed: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def add(self, other: "Scores") -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.same_topic_merges += other.same_topic_merges
        self.updates_total += other.updates_total
        self.updates_kept += other.updates_kept
        self.copy_similarity += other.copy_similarity
        self.missed += other.missed


def score(items: list[Item], settings: DedupSettings, order_seed: int | None = None) -> Scores:
    """Cluster the items in a shuffled arrival order and count pairs.

    Precision counts every predicted pair (copies, originals and updates);
    recall counts pairs of the original and its syndicated copies; updates are
    scored separately as "kept in the story's cluster".
    """
    order = list(range(len(items)))
    if order_seed is not None:
        random.Random(order_seed).shuffle(order)
    arrived = [items[i] for i in order]
    clusters = cluster_articles([it.article for it in arrived], settings)
    cluster_of: dict[int, int] = {}
    joined: dict[int, float | None] = {}
    for c, members in enumerate(clusters):
        for pos, (index, sim, method) in enumerate(members):
            cluster_of[index] = c
            joined[index] = sim if pos else None
    s = Scores()
    for i, j in combinations(range(len(arrived)), 2):
        a, b = arrived[i], arrived[j]
        same_pred = cluster_of[i] == cluster_of[j]
        same_gold = a.story == b.story
        if same_pred and not same_gold:
            s.fp += 1
            if a.topic == b.topic:
                s.same_topic_merges.append((a.story, b.story))
        if same_gold and "update" not in (a.kind, b.kind):
            if same_pred:
                s.tp += 1
            else:
                s.fn += 1
                s.missed.append((b.story, b.edits if b.kind == "copy" else a.edits))
    for i, it in enumerate(arrived):
        if it.kind == "copy":
            s.copy_similarity.append(joined[i])
        if it.kind == "update":
            s.updates_total += 1
            originals = [j for j, o in enumerate(arrived) if o.story == it.story and o.kind == "original"]
            s.updates_kept += all(cluster_of[j] == cluster_of[i] for j in originals)
    return s


def score_orders(items: list[Item], settings: DedupSettings, seeds: range) -> Scores:
    total = Scores()
    for seed in seeds:
        total.add(score(items, settings, seed))
    return total
