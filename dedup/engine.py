"""The in-memory decision core shared by `DedupIndex` (persisted) and `cluster_articles` (pure).

It holds, for every article inside the window, its exact keys (URL, GUID, text
hash), its MinHash bands in an LSH table (dedup.lsh) over body and opening shingles and its
title under a few keys (candidates for short items). Shingle sets for the exact
verification live in a bounded cache; a set that left it is rebuilt from the
article's normalised code points, which the engine keeps (2 bytes a character,
half of what the set takes), or, in the persisted index, from the stored text
through a `loader`. Nothing here touches a database.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime
from typing import Callable, Sequence

import numpy as np
from rapidfuzz import fuzz, process

from dedup.lsh import BandIndex
from dedup.signature import Signer
from dedup.text import (
    body_of, common, compact, containment, hash_codes, normal_codes_many, normalise_title, shingle_codes, shingle_codes_many, squeeze,
    unique, unique_many,
)
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
# Titles within rapidfuzz ratio 90 of each other differ in a few characters, so they
# share their opening or their ending: each title is indexed under its whole
# normalised form and its first and last TITLE_KEY_CHARS characters, and a query
# looks at the newest TITLE_BUCKET titles under each key.
TITLE_KEY_CHARS = 12
TITLE_BUCKET = 32
# A short item joins on its title alone only if, when both bodies are long enough to
# compare, they overlap at least this much (unrelated bodies overlap < 0.12 in the labelled set).
TITLE_MIN_CONTAINMENT = 0.3
# An article that covers less than this share of the member it matched is a part of
# it (a brief of a full story, or one story of a roundup that strings several
# together). Two parts of one container that share nothing are two stories.
PART_COVER = 0.6
# How many other members of a story the part check looks at (the newest ones).
PART_CHECK_MEMBERS = 32
# A candidate whose shingle set is not at hand (it left the cache) is first
# judged by the first SKETCH_VALUES values of the two body signatures: their share of
# agreeing values estimates the Jaccard similarity (s.d. ≤ 0.0625 at 64 values), and
# containment ≥ min_containment implies a Jaccard floor given the two sizes. Only a
# candidate more than SKETCH_MARGIN (4 s.d.) below that floor is dropped unverified:
# on the synthetic stream at 100,000 articles most candidates from weeks back are
# such chance matches, and rebuilding each one's set cost more than the rest of the decision.
SKETCH_VALUES = 64
SKETCH_MARGIN = 0.25
# Shingle sets are smaller than the character count (repeated runs); the floor
# assumes the smaller text's set is only this share of its length.
SET_SHARE = 0.85

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
    codes: np.ndarray  # the normalised body's code points, compact (uint16 when all are in the BMP)
    hashvalues: np.ndarray
    lead_hashvalues: np.ndarray
    published: datetime | None
    # LSH band hashes of both signatures (computed once for query and insert)
    bands: np.ndarray
    title_keys: tuple[str, ...]


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
    sketch: np.ndarray  # the first SKETCH_VALUES values of the body signature
    # the normalised body's code points, kept when there is no loader: 2 bytes a
    # character, where the shingle set takes 4 per shingle; shingles are rebuilt from it
    codes: np.ndarray | None


@dataclass(frozen=True, slots=True)
class Decision:
    story_id: int | None  # None: start a new story
    matched_key: int | None
    similarity: float
    method: str  # first | url | guid | hash | minhash | title
    novelty: float = 0.0  # share of this article's shingles the member covering it best lacks


def title_keys(title: str) -> tuple[str, ...]:
    """The keys a normalised headline (normalise_title) is indexed under."""
    t = squeeze(title)
    if not t:
        return ()
    return tuple(dict.fromkeys(("=" + t, "<" + t[:TITLE_KEY_CHARS], ">" + t[-TITLE_KEY_CHARS:])))


@lru_cache(maxsize=8)
def signer(num_perm: int) -> Signer:
    return Signer(num_perm)


class Engine:
    def __init__(self, settings: DedupSettings, loader: ShingleLoader | None = None, cache_size: int = 4096):
        self.settings = settings
        self.signer = signer(settings.num_perm)
        # body and opening bands share one table: a hit on either makes a candidate
        self.lsh = BandIndex(settings.threshold, settings.num_perm)
        self.by_title: dict[str, list[int]] = {}
        # story -> (key, body length) of its most complete member inside the window
        self.rep: dict[int, tuple[int, int]] = {}
        # story -> keys of its members inside the window, oldest first
        self.members: dict[int, list[int]] = {}
        self.entries: dict[int, Entry] = {}
        self.by_url: dict[str, int] = {}
        self.by_guid: dict[str, int] = {}
        self.by_hash: dict[str, int] = {}
        self.loader = loader
        # Shingle sets live in a bounded cache; a miss rebuilds the set from the entry's
        # codes or, with a loader (the persisted index), from the stored text.
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    # -- features -------------------------------------------------------
    def features(self, article: Article) -> Features:
        return self.features_many([article])[0]

    def features_many(self, articles: Sequence[Article]) -> list[Features]:
        """The features of several articles: the values each article's parts give when computed alone.

        The numpy work (normalisation, shingles, signatures, bands) runs once over
        the whole batch: per article it was a few dozen calls on arrays of a thousand
        values, and their fixed cost was most of the time (docs/dedup.md). The
        arrays of each Features are views into the batch's: a batch's articles
        enter the window together and leave it together.
        """
        if not articles:
            return []
        k = self.settings.shingle_size
        codes, bounds = normal_codes_many([body_of(a) for a in articles])
        runs, run_bounds = shingle_codes_many(codes, bounds, k)
        sets, set_bounds = unique_many(runs, run_bounds)
        # each body's signature and that of its first LEAD_CHARS characters, from one hashing pass
        signatures = self.signer.pairs(runs, run_bounds, max(1, LEAD_CHARS - k + 1))
        bands = self.lsh.bands(signatures.reshape(-1, self.signer.num_perm)).reshape(len(articles), -1)
        narrow = compact(codes)
        out = []
        for i, (article, start, end, set_start, set_end) in enumerate(
            zip(articles, bounds.tolist(), bounds[1:].tolist(), set_bounds.tolist(), set_bounds[1:].tolist())
        ):
            body = codes[start:end]
            title = normalise_title(article.title)
            out.append(Features(
                url=article.url,
                guid=article.guid or None,
                # of the normalised body; the pipeline stores it in articles.text_hash, so a reload agrees
                text_hash=hash_codes(body),
                title=title,
                body_len=end - start,
                shingles=sets[set_start:set_end],
                codes=narrow[start:end] if narrow.dtype == np.uint16 else compact(body),
                hashvalues=signatures[i, 0],
                lead_hashvalues=signatures[i, 1],
                published=article.published,
                bands=bands[i],
                title_keys=title_keys(title),
            ))
        return out

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
        created_at: datetime | None = None,
        shingle_set: np.ndarray | None = None,
        codes: np.ndarray | None = None,
        bands: np.ndarray | None = None,
        title_keys_: tuple[str, ...] | None = None,
    ) -> None:
        if key in self.entries:
            return
        keep = codes if self.loader is None else None
        sketch = np.array(hashvalues[:SKETCH_VALUES], dtype=np.uint32)  # a copy: not a view that pins the whole signature
        self.entries[key] = Entry(key, story_id, body_len, title, created_at, url, guid, text_hash_, sketch, keep)
        if shingle_set is not None:
            self._remember(key, shingle_set)  # a copy of a story arrives soon after it, mostly
        self.members.setdefault(story_id, []).append(key)
        best = self.rep.get(story_id)
        if best is None or body_len > best[1]:
            self.rep[story_id] = (key, body_len)
        self.by_url.setdefault(url, key)
        if guid:
            self.by_guid.setdefault(guid, key)
        if body_len >= MIN_HASH_CHARS:
            self.by_hash.setdefault(text_hash_, key)
        if body_len > 0:
            self.lsh.insert(key, bands if bands is not None else self.lsh.bands(np.stack((hashvalues, lead_hashvalues))))
        for tk in title_keys_ if title_keys_ is not None else title_keys(title):
            self.by_title.setdefault(tk, []).append(key)

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
            created_at=created_at,
            shingle_set=f.shingles,
            codes=f.codes,
            bands=f.bands,
            title_keys_=f.title_keys,
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
        for tk in title_keys(entry.title):
            bucket = self.by_title.get(tk)
            if bucket is not None:
                bucket.remove(key)
                if not bucket:
                    del self.by_title[tk]
        self._cache.pop(key, None)
        members = self.members.get(entry.story_id)
        if members is not None:
            members.remove(key)
            if not members:
                del self.members[entry.story_id]
        if self.rep.get(entry.story_id, (None,))[0] == key:
            del self.rep[entry.story_id]  # the next member to arrive becomes the reference

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
        return self._by_body(f) or self._by_title(f) or Decision(None, None, 1.0, "first")

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

    def _by_body(self, f: Features) -> Decision | None:
        """The story of the most similar verified body, or None.

        Candidates are grouped by story. A story qualifies through its best member
        (containment ≥ min_containment, and a near duplicate of its most complete
        member too) unless the article is only a disjoint part of what it matched.
        Novelty is measured against the story member that covers the article best,
        so a full copy that arrives after a brief of it is not taken for an update.
        """
        if f.body_len <= 0 or f.shingles.size < MIN_SHINGLES:
            return None
        keys = self._plausible(f, sorted(self.lsh.query(f.bands)))
        if not keys:
            return None
        sets = self._shingle_sets(keys)
        # per story: (containment, shingles in common, key) of each verified member
        by_story: dict[int, list[tuple[float, int, int]]] = {}
        for key in keys:
            other = sets.get(key)
            if other is None or other.size < MIN_SHINGLES:
                continue
            shared = common(f.shingles, other)
            c = shared / min(f.shingles.size, other.size)
            if c >= self.settings.min_containment:
                by_story.setdefault(self.entries[key].story_id, []).append((c, shared, key))
        best: Decision | None = None
        for story, found in by_story.items():
            c, _, key = max(found, key=lambda t: (t[0], -t[2]))
            if not self._fits_story(f, key) or self._other_part(f, found, sets):
                continue
            new_share = 1.0 - max(shared for _, shared, _ in found) / f.shingles.size
            decision = Decision(story, key, round(c, 4), "minhash", round(new_share, 4))
            if best is None or decision.similarity > best.similarity:
                best = decision
        return best

    def _plausible(self, f: Features, keys: list[int]) -> list[int]:
        """The candidates worth verifying: every one whose set is cached, and the others unless their sketch rules them out."""
        far = [k for k in keys if k not in self._cache]
        if not far:
            return keys
        sketches = np.stack([self.entries[k].sketch for k in far])
        agree = np.count_nonzero(sketches == f.hashvalues[: sketches.shape[1]], axis=1) / sketches.shape[1]
        t = self.settings.min_containment
        dropped = set()
        for key, jaccard in zip(far, agree.tolist()):
            other_len = self.entries[key].body_len
            shared = t * SET_SHARE * min(f.body_len, other_len)  # the fewest shingles in common that could pass
            floor = shared / (f.body_len + other_len - shared)
            if jaccard < floor - SKETCH_MARGIN:
                dropped.add(key)
        return [k for k in keys if k not in dropped] if dropped else keys

    def _other_part(self, f: Features, found: list[tuple[float, int, int]], sets: dict[int, np.ndarray]) -> bool:
        """True when the article is one part of a single container and an earlier, disjoint part is in that story.

        A roundup (two stories in one article) contains both; each story's copies
        are parts of it that share nothing with each other. A brief of a story that
        also has full copies matches those copies too, so it is never judged here.
        """
        if len(found) != 1:
            return False
        _, shared, container = found[0]
        whole = sets[container]
        if shared >= PART_COVER * whole.size:
            return False
        story = self.entries[container].story_id
        others = [k for k in self.members.get(story, ()) if k != container][-PART_CHECK_MEMBERS:]
        for key, other in self._shingle_sets(others).items():
            if other.size < MIN_SHINGLES or common(other, whole) >= PART_COVER * whole.size:
                continue  # not a part of the container
            if containment(other, whole) >= self.settings.min_containment and containment(f.shingles, other) < TITLE_MIN_CONTAINMENT:
                return True
        return False

    def _by_title(self, f: Features) -> Decision | None:
        """A near-identical headline joins when one of the two items is short.

        Either order counts: a brief that arrives after the full story, or the full
        story after its brief (their bodies share too little for the body LSH).
        """
        s = self.settings
        if not f.title:
            return None
        long_item = f.body_len >= s.short_text_chars
        near: set[int] = set()
        for tk in f.title_keys:
            near.update(self.by_title.get(tk, ())[-TITLE_BUCKET:])
        choices = {
            k: self.entries[k].title
            for k in sorted(near)
            if k in self.entries and not (long_item and self.entries[k].body_len >= s.short_text_chars)
        }
        if not choices:
            return None
        found = process.extract(f.title, choices, scorer=fuzz.ratio, score_cutoff=s.title_similarity, limit=None)
        scored = sorted((k, score) for _, score, k in found)
        sets = self._shingle_sets([k for k, _ in scored]) if f.shingles.size >= MIN_SHINGLES else {}
        best: Decision | None = None
        for key, score in scored:
            other = sets.get(key)
            # recurring headlines ([인사], [날씨] ...) over different bodies are different stories
            if other is not None and other.size >= MIN_SHINGLES and containment(f.shingles, other) < TITLE_MIN_CONTAINMENT:
                continue
            if best is None or score / 100.0 > best.similarity:
                best = Decision(self.entries[key].story_id, key, round(score / 100.0, 4), "title")
        return best

    def _fits_story(self, f: Features, key: int) -> bool:
        """The article must also be a near duplicate of the story's most complete member.

        Without this, single-link chaining merges stories: a brief that is half a
        paragraph reused by a follow-up story matches both, and the follow-up would
        join the first story through the brief.
        """
        story = self.entries[key].story_id
        ref = self.rep.get(story, (key,))[0]
        if ref == key:
            return True
        ref_set = self._shingle_sets([ref]).get(ref)
        return ref_set is None or ref_set.size < MIN_SHINGLES or containment(f.shingles, ref_set) >= self.settings.min_containment

    def _shingle_sets(self, keys: list[int]) -> dict[int, np.ndarray]:
        out: dict[int, np.ndarray] = {}
        missing = []
        for key in keys:
            entry = self.entries.get(key)
            if entry is None:
                continue
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                out[key] = cached
            elif entry.codes is not None:
                out[key] = self._remember(key, unique(shingle_codes(entry.codes, self.settings.shingle_size)))
            else:
                missing.append(key)
        if missing and self.loader is not None:
            for key, sh in self.loader(missing).items():
                self._remember(key, sh)
                out[key] = sh
        return out

    def _remember(self, key: int, sh: np.ndarray) -> np.ndarray:
        self._cache[key] = sh
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return sh
