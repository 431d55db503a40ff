"""Clustering a list of articles in memory: the same decisions as `DedupIndex`, without a store."""
from __future__ import annotations

from typing import Iterator, Sequence

from dedup.engine import Engine, Features
from newswatch.config import DedupSettings
from newswatch.models import Article

Member = tuple[int, float, str]  # (input index, similarity that joined it, method)


def cluster_articles(articles: Sequence[Article], settings: DedupSettings) -> list[list[Member]]:
    """Group articles taken in input order; clusters are ordered by their first member.

    Each article joins the story of its best near-duplicate among those before it,
    exactly as the persisted index would if they arrived in this order.
    """
    engine = Engine(settings)
    clusters: dict[int, list[Member]] = {}
    for index, (article, features) in enumerate(zip(articles, _features(engine, articles))):
        decision = engine.decide(features)
        story = decision.story_id if decision.story_id is not None else index
        clusters.setdefault(story, []).append((index, decision.similarity, decision.method))
        engine.insert_features(index, story, features)
    return sorted(clusters.values(), key=lambda members: members[0][0])


def _features(engine: Engine, articles: Sequence[Article], batch: int = 256) -> Iterator[Features]:
    for start in range(0, len(articles), batch):
        yield from engine.features_many(articles[start : start + batch])
