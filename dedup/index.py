"""The persisted near-duplicate index the pipeline calls once per saved article.

Memory holds the LSH and exact keys of the window; the store holds the truth
(signatures, stories, members). Each `add` computes its features outside any
lock, then, inside one locked transaction, catches up with signatures other
workers stored since, decides, and writes membership, signature and
representative. Only after that commits does the in-memory index learn the
article, so a failed transaction leaves memory and store in agreement.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import numpy as np

from dedup.engine import Decision, Engine, Features
from dedup.errors import SignatureMismatch
from dedup.text import body_of, hash_codes, normal_codes, normalise_title, shingle_codes, unique
from newswatch.config import DedupSettings
from newswatch.models import Article, Story

log = logging.getLogger("newswatch.dedup")


def text_hash(article: Article) -> str:
    """Hash of the article's normalised body, boilerplate lines stripped (what `articles.text_hash` stores).

    The same value as `features(article).text_hash`, for callers that save an article without computing its features.
    """
    return hash_codes(normal_codes(body_of(article)))


class DedupIndex:
    """One per worker process or thread (it is not thread-safe); workers share the store."""

    def __init__(self, settings: DedupSettings, store, cache_size: int = 4096):
        self.settings = settings
        self.store = store
        self._cache_size = cache_size
        self.engine = self._new_engine()
        self._seq = 0
        self._loaded = False

    def _new_engine(self) -> Engine:
        return Engine(self.settings, loader=self._load_shingles, cache_size=self._cache_size)

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.settings.window_days)

    # -- lifecycle ---------------------------------------------------------
    def load(self, now: datetime) -> None:
        """Rebuild the in-memory index from the signatures stored inside the window."""
        engine = self._new_engine()
        rows = self.store.stories.signatures(now - self.window)
        seq = 0
        for row in rows:
            self._insert_row(engine, row)
            seq = max(seq, row.seq)
        self.engine, self._seq, self._loaded = engine, seq, True
        log.info("dedup index loaded %d signatures", len(rows), extra={"stage": "dedup"})

    def prune(self, now: datetime) -> int:
        """Drop signatures older than the window from the store and from memory; returns how many left memory."""
        before = now - self.window
        deleted = self.store.stories.prune_signatures(before)
        dropped = len(self.engine.prune(before))
        log.info("dedup prune: %d stored, %d in memory", deleted, dropped, extra={"stage": "dedup"})
        return dropped

    def __len__(self) -> int:
        return len(self.engine)

    # -- the decision --------------------------------------------------------
    def features(self, article: Article) -> Features:
        """The article's signatures: the costly part, to compute before any lock is taken."""
        return self.engine.features(article)

    def features_many(self, articles: list[Article]) -> list[Features]:
        """`features` of several articles, computed together (about half the cost per article of one by one)."""
        return self.engine.features_many(articles)

    def add(self, article: Article, article_id: int, now: datetime, *, new_article: bool = False,
            features: Features | None = None) -> Story:
        """Put a saved article in its story (an existing one or a new one) and return that story.

        new_article: the article row was inserted in the caller's open transaction, so
        it cannot be in a story yet and the replay check is skipped.
        """
        if not self._loaded:
            self.load(now)
        if features is None:
            features = self.engine.features(article)
        with self.store.stories.decision() as tx:
            known = None if new_article else tx.membership(article_id)
            if known is not None:
                # a replay of an article already placed: same answer, nothing written
                return tx.story(
                    known.story_id,
                    is_new=known.method == "first",
                    similarity=known.similarity,
                    method=known.method,
                    novelty=known.novelty,
                )
            seq = self._catch_up(tx, now)
            decision = self.engine.decide(features)
            story_id = self._persist(tx, decision, features, article, article_id, now)
            signer = self.engine.signer
            tx.add_signature(
                article_id, story_id, signer.to_bytes(features.hashvalues), signer.to_bytes(features.lead_hashvalues),
                features.body_len, now, seq + 1,
            )
            if decision.story_id is None:
                story = tx.first_story(story_id, article.url, article.title, article.site_name, article.published)
            else:
                story = tx.story(story_id, is_new=False, similarity=decision.similarity, method=decision.method,
                                 novelty=decision.novelty)
        self.store.after_commit(lambda: self._remember(article_id, story_id, features, now, seq + 1))
        log.debug(
            "dedup %s -> story %d (%s %.3f)", article.url, story_id, decision.method, decision.similarity,
            extra={"stage": "dedup", "url": article.url, "feed": article.feed},
        )
        return story

    def _remember(self, article_id: int, story_id: int, features: Features, now: datetime, seq: int) -> None:
        self.engine.insert_features(article_id, story_id, features, created_at=now)
        self._seq = max(self._seq, seq)

    def _catch_up(self, tx, now: datetime) -> int:
        """Index what other workers stored since our last look; returns the highest seq in the store."""
        latest = tx.max_seq()
        if latest > self._seq:  # one cheap query when nobody else has written
            for row in tx.signatures_after(self._seq, now - self.window):
                self._insert_row(self.engine, row)
                self._seq = max(self._seq, row.seq)
        return max(self._seq, latest)

    def _persist(self, tx, d: Decision, f: Features, article: Article, article_id: int, now: datetime) -> int:
        published = article.published or now
        if d.story_id is None:
            return tx.create_story(article_id, article.title, f.body_len, published, now)
        tx.join_story(
            d.story_id,
            article_id,
            similarity=d.similarity,
            method=d.method,
            novelty=d.novelty,
            title=article.title,
            body_len=f.body_len,
            published=published,
            now=now,
        )
        return d.story_id

    # -- helpers -------------------------------------------------------------
    def _insert_row(self, engine: Engine, row) -> None:
        try:
            hashvalues = engine.signer.from_bytes(row.minhash)
            lead_hashvalues = engine.signer.from_bytes(row.lead_minhash)
        except ValueError as exc:
            raise SignatureMismatch(f"{exc}; delete the signatures table rows or restore dedup.num_perm") from None
        engine.insert(
            row.article_id,
            row.story_id,
            url=row.canonical_url or f"article:{row.article_id}",
            guid=row.guid,
            text_hash_=row.text_hash or "",
            title=normalise_title(row.title or ""),
            body_len=row.text_len,
            hashvalues=hashvalues,
            lead_hashvalues=lead_hashvalues,
            created_at=row.created_at,
        )

    def _load_shingles(self, article_ids: list[int]) -> dict[int, np.ndarray]:
        k = self.settings.shingle_size
        out = {}
        for article_id, (body, lead) in self.store.stories.bodies(article_ids).items():
            out[article_id] = unique(shingle_codes(normal_codes(body_of(Article(url="", title="", text=body, lead=lead))), k))
        return out
