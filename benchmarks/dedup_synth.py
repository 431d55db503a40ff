"""Synthetic article streams for the dedup benchmark, made from the project's written stories.

A "base" article takes 5–10 sentences (more with `min_chars`, for newspaper-length
stories) of the labelled stories and replaces about
half of their words with random words of the same vocabulary, so bases read like
Korean news (same particles, numbers, names) yet are distinct stories. A share
of the stream (default 20%) are syndicated copies of a recent base, made by the
same edit generator as the labelled set (tests/dedup/edits.py).
"""
from __future__ import annotations

import random
import sys
from collections import deque
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from newswatch.models import Article  # noqa: E402
from tests.dedup.edits import Story, load_stories, sentences, syndicate  # noqa: E402


class Synth:
    def __init__(self, seed: int = 1, dup_rate: float = 0.2, replace: float = 0.5, min_chars: int = 0):
        self.rng = random.Random(seed)
        self.min_chars = min_chars
        self.dup_rate = dup_rate
        self.replace = replace
        stories = load_stories()
        self.sentences = [s for st in stories for p in st.paragraphs for s in sentences(p)]
        self.titles = [t for st in stories for t in [st.title, *st.alt_titles]]
        self.vocab = sorted({w for s in self.sentences for w in s.split()})

    def _mutate(self, sentence: str) -> str:
        rng, vocab = self.rng, self.vocab
        return " ".join(rng.choice(vocab) if rng.random() < self.replace else w for w in sentence.split())

    def base(self, i: int) -> Story:
        rng = self.rng
        sents = [self._mutate(rng.choice(self.sentences)) for _ in range(rng.randint(5, 10))]
        # newspaper-length stories: more sentences until the body reaches min_chars
        while sum(map(len, sents)) < self.min_chars:
            sents.append(self._mutate(rng.choice(self.sentences)))
        paras, k = [], 0
        while k < len(sents):
            step = rng.randint(1, 2)
            paras.append(" ".join(sents[k : k + step]))
            k += step
        title = self._mutate(rng.choice(self.titles))
        return Story(
            id=f"syn{i}",
            topic="synthetic",
            day="2026-03-12",
            outlet="합성뉴스",
            url=f"https://synthetic.example/{i}",
            title=title,
            alt_titles=[self._mutate(title)],
            paragraphs=paras,
        )

    def stream(self, n: int) -> Iterator[tuple[Article, int]]:
        """(article, gold story number) pairs; copies refer to one of the last 2,000 bases."""
        recent: deque[tuple[Story, int]] = deque(maxlen=2000)
        bases = 0
        for i in range(n):
            if recent and self.rng.random() < self.dup_rate:
                story, gold = self.rng.choice(recent)
                article, _ = syndicate(story, self.rng, i)
                yield article, gold
            else:
                story = self.base(i)
                recent.append((story, bases))
                yield (
                    Article(url=story.url, title=story.title, text="\n".join(story.paragraphs), site_name=story.outlet),
                    bases,
                )
                bases += 1
