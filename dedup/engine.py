"""The in-memory decision core shared by `DedupIndex` (persisted) and `cluster_articles` (pure).

It holds, for every article inside the window, its exact keys (URL, GUID, text
hash), its MinHash in banded LSH tables (dedup.lsh) over body and opening shingles, one over
title bigrams (candidates for short items) and, when it is cheap to keep, its
shingle set for the exact verification. Nothing here touches a database: the
persisted index passes a `loader` that fetches shingle sets it dropped.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime
from typing import Callable, Iterable

import numpy as np
from rapidfuzz import fuzz

from dedup.lsh import BandIndex
from dedup.signature import Signer
from dedup.text import body_of, containment, normalise, normalise_title, novelty, shingle_run, shingles, text_hash
from newswatch.config import DedupSettings
from newswatch.models import Article

# Below this many shingles in the smaller text, containment is too easy to reach
# by chance (a one-line summary inside any long article), so it does not decide.
MIN_SHINGLES = 40
# Texts this short (normalised) are too generic for the exact text hash to mean "same story".
MIN_HASH_CHARS = 20
# A brief or a heavily trimmed copy shares little of the whole body (low Jaccard, so the
# body LSH may miss it) but keeps the opening: a second LSH over the first LEAD_CHARS
# normalised characters finds those candidates; containment still decides.
LEAD_CHARS = 250
TITLE_SHINGLE = 2
TITLE_PERM = 32
TITLE_LSH_THRESHOLD = 0.3
# A short item joins on its title alone only if, when both bodies are long enough to
# compare, they overlap at least this much (unrelated bodies overlap < 0.12 in the labelled set).
TITLE_MIN_CONTAINMENT = 0.3

ShingleLoader = Callable[[list[int]], dict[int, np.ndarray]]


@dataclass(slots=True)
class Features:
    """What the decision needs from one article, computed once and outside any lock."""

    url: str
    guid: str | None
    text_hash: str
    title: str  # normalised headline
    body_len: int  # normalised body length in characters
    shingles: np.ndarray
    hashvalues: np.ndarray
    lead_hashvalues: np.ndarray
    title_hashvalues: np.ndarray
    published: datetime | None
    # LSH band hashes of the three signatures (process-local; computed once for query and insert)
    bands: list[int]
    lead_bands: list[int]
    title_bands: list[int]


@dataclass(slots=True)
class Entry:
    key: int
    story_id: int
    body_len: int
    title: str
    created_at: datetime | None
    url: str
    guid: str | None
    text_hash: str
    shingles: np.ndarray | None  # None when dropped to save memory; the loader refetches it


@dataclass(frozen=True, slots=True)
class Decision:
    story_id: int | None  # None: start a new story
    matched_key: int | None
    similarity: float
    method: str  # first | url | guid | hash | minhash | title
    novelty: float = 0.0  # share of this article's shingles the matched one lacks


def title_shingles(title: str) -> np.ndarray:
    """Character bigrams of a normalised title, hashed with Python's hash.

    Title signatures are never stored (a reload recomputes them from the title), so the
    per-process salt of hash() is harmless, and for a short string this is several
    times cheaper than the numpy path.
    """
    t = normalise(title)
    if len(t) < TITLE_SHINGLE:
        return np.array([hash(t) & 0xFFFFFFFF], dtype=np.uint32) if t else np.empty(0, dtype=np.uint32)
    grams = {hash(t[i : i + TITLE_SHINGLE]) & 0xFFFFFFFF for i in range(len(t) - TITLE_SHINGLE + 1)}
    return np.fromiter(grams, dtype=np.uint32, count=len(grams))


@lru_cache(maxsize=8)
def signer(num_perm: int) -> Signer:
    return Signer(num_perm)


class Engine:
    def __init__(self, settings: DedupSettings, loader: ShingleLoader | None = None, cache_size: int = 4096):
        self.settings = settings
        self.signer = signer(settings.num_perm)
        self.title_signer = signer(TITLE_PERM)
        self.lsh = BandIndex(settings.threshold, settings.num_perm)
        self.lead_lsh = BandIndex(settings.threshold, settings.num_perm)
        self.title_lsh = BandIndex(TITLE_LSH_THRESHOLD, TITLE_PERM)
        self.entries: dict[int, Entry] = {}
        self.by_url: dict[str, int] = {}
        self.by_guid: dict[str, int] = {}
        self.by_hash: dict[str, int] = {}
        self.loader = loader
        # With a loader, shingle sets live in a bounded cache instead of on every entry.
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    # -- features -------------------------------------------------------
    def features(self, article: Article) -> Features:
        norm = normalise(body_of(article))
        k = self.settings.shingle_size
        run = shingle_run(norm, k)
        sh = np.unique(run)
        hashvalues = self.signer.hashvalues(sh)
        # the shingles of the first LEAD_CHARS characters (repeats do not change a MinHash)
        lead_hashvalues = self.signer.hashvalues(run[: max(1, LEAD_CHARS - k + 1)])
        title = normalise_title(article.title)
        title_hashvalues = self.title_signer.hashvalues(title_shingles(title))
        return Features(
            url=article.url,
            guid=article.guid or None,
            # of the text alone, as the pipeline stores it in articles.text_hash (so a reload agrees)
            text_hash=text_hash(article.text or ""),
            title=title,
            body_len=len(norm),
            shingles=sh,
            hashvalues=hashvalues,
            lead_hashvalues=lead_hashvalues,
            title_hashvalues=title_hashvalues,
            published=article.published,
            bands=self.lsh.bands(hashvalues),
            lead_bands=self.lead_lsh.bands(lead_hashvalues),
            title_bands=self.title_lsh.bands(title_hashvalues),
        )

    # -- index maintenance ------------------------------------------------
    def insert(
        self,
        key: int,
        story_id: int,
        *,
        url: str,
        guid: str | None,
        text_hash_: str,
        title: str,
        body_len: int,
        hashvalues: np.ndarray,
        lead_hashvalues: np.ndarray,
        title_hashvalues: np.ndarray | None = None,
        created_at: datetime | None = None,
        shingle_set: np.ndarray | None = None,
        bands: tuple[list[int], list[int], list[int]] | None = None,
    ) -> None:
        if key in self.entries:
            return
        keep = shingle_set if self.loader is None else None
        self.entries[key] = Entry(key, story_id, body_len, title, created_at, url, guid, text_hash_, keep)
        if self.loader is not None and shingle_set is not None:
            self._remember(key, shingle_set)
        self.by_url.setdefault(url, key)
        if guid:
            self.by_guid.setdefault(guid, key)
        if body_len >= MIN_HASH_CHARS:
            self.by_hash.setdefault(text_hash_, key)
        if bands is None:
            if title_hashvalues is None:
                title_hashvalues = self.title_signer.hashvalues(title_shingles(title))
            bands = (self.lsh.bands(hashvalues), self.lead_lsh.bands(lead_hashvalues), self.title_lsh.bands(title_hashvalues))
        if body_len > 0:
            self.lsh.insert(key, bands[0])
            self.lead_lsh.insert(key, bands[1])
        if title:
            self.title_lsh.insert(key, bands[2])

    def insert_features(self, key: int, story_id: int, f: Features, created_at: datetime | None = None) -> None:
        self.insert(
            key,
            story_id,
            url=f.url,
            guid=f.guid,
            text_hash_=f.text_hash,
            title=f.title,
            body_len=f.body_len,
            hashvalues=f.hashvalues,
            lead_hashvalues=f.lead_hashvalues,
            title_hashvalues=f.title_hashvalues,
            created_at=created_at,
            shingle_set=f.shingles,
            bands=(f.bands, f.lead_bands, f.title_bands),
        )

    def remove(self, key: int) -> None:
        entry = self.entries.pop(key, None)
        if entry is None:
            return
        for table, value in ((self.by_url, entry.url), (self.by_guid, entry.guid), (self.by_hash, entry.text_hash)):
            if value and table.get(value) == key:
                del table[value]
        if entry.body_len > 0:
            self.lsh.remove(key)
            self.lead_lsh.remove(key)
        if entry.title:
            self.title_lsh.remove(key)
        self._cache.pop(key, None)

    def prune(self, before: datetime) -> list[int]:
        """Forget entries created before `before`; returns their keys."""
        old = [k for k, e in self.entries.items() if e.created_at is not None and e.created_at < before]
        for key in old:
            self.remove(key)
        return old

    def __len__(self) -> int:
        return len(self.entries)

    # -- the decision -------------------------------------------------------
    def decide(self, f: Features) -> Decision:
        exact = self._exact(f)
        if exact is not None:
            return exact
        best: Decision | None = None
        for cand in self._near(f):
            # body evidence outranks a title match: it is the one a user can check
            if best is None or (cand.method == "minhash", cand.similarity) > (best.method == "minhash", best.similarity):
                best = cand
        return best or Decision(None, None, 1.0, "first")

    def _exact(self, f: Features) -> Decision | None:
        for method, table, value in (
            ("url", self.by_url, f.url),
            ("guid", self.by_guid, f.guid),
            ("hash", self.by_hash, f.text_hash if f.body_len >= MIN_HASH_CHARS else None),
        ):
            key = table.get(value) if value else None
            if key is not None:
                return Decision(self.entries[key].story_id, key, 1.0, method)
        return None

    def _near(self, f: Features) -> Iterable[Decision]:
        s = self.settings
        keys: list[int] = []
        if f.body_len > 0:
            keys = sorted(self.lsh.query(f.bands) | self.lead_lsh.query(f.lead_bands))
        if f.shingles.size >= MIN_SHINGLES and keys:
            sets = self._shingle_sets(keys)
            for key in keys:
                other = sets.get(key)
                if other is None or other.size < MIN_SHINGLES:
                    continue
                c = containment(f.shingles, other)
                if c >= s.min_containment:
                    yield Decision(self.entries[key].story_id, key, round(c, 4), "minhash", round(novelty(f.shingles, other), 4))
        if f.body_len < s.short_text_chars and f.title:
            title_keys = self.title_lsh.query(f.title_bands)
            scored = [(k, fuzz.ratio(f.title, self.entries[k].title)) for k in title_keys if k in self.entries]
            scored = [(k, score) for k, score in scored if score >= s.title_similarity]
            sets = self._shingle_sets([k for k, _ in scored]) if f.shingles.size >= MIN_SHINGLES else {}
            for key, score in scored:
                other = sets.get(key)
                # recurring headlines ([인사], [날씨] ...) over different bodies are different stories
                if other is not None and other.size >= MIN_SHINGLES and containment(f.shingles, other) < TITLE_MIN_CONTAINMENT:
                    continue
                yield Decision(self.entries[key].story_id, key, round(score / 100.0, 4), "title")

    def _shingle_sets(self, keys: list[int]) -> dict[int, np.ndarray]:
        out: dict[int, np.ndarray] = {}
        missing = []
        for key in keys:
            entry = self.entries.get(key)
            if entry is None:
                continue
            if entry.shingles is not None:
                out[key] = entry.shingles
            elif key in self._cache:
                self._cache.move_to_end(key)
                out[key] = self._cache[key]
            else:
                missing.append(key)
        if missing and self.loader is not None:
            for key, sh in self.loader(missing).items():
                self._remember(key, sh)
                out[key] = sh
        return out

    def _remember(self, key: int, sh: np.ndarray) -> None:
        self._cache[key] = sh
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def body_shingles(self, text: str) -> np.ndarray:
        return shingles(normalise(text), self.settings.shingle_size)
