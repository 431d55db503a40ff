"""The dedup building blocks against plain reference versions written here.

The fast paths (one-pass signatures, densification loop, band table with settled
arrays and a filter, code-point normalisation, boilerplate stripping that looks
only at suspect lines, shingle sets rebuilt from kept code points) must give the
same answers as the obvious ways of computing them.
"""
from __future__ import annotations

import random
import re
import unicodedata

import numpy as np
import pytest

from dedup.engine import LEAD_CHARS, Engine, title_keys
from dedup.lsh import BandIndex
from dedup.signature import Signer
from dedup.text import (
    body_of, hash_codes, normal_codes, normal_codes_many, normalise, normalise_title, shingle_codes, shingle_codes_many, shingle_run,
    text_hash, unique, unique_many,
)
from newswatch.config import DedupSettings
from newswatch.models import Article
from tests.dedup.edits import load_stories, syndicate

MASK32 = (1 << 32) - 1


def reference_signature(shingle_hashes: np.ndarray, num_perm: int) -> list[int]:
    """One-permutation MinHash with densification by rotation, one shingle and one bin at a time."""
    if shingle_hashes.size == 0:
        return [MASK32] * num_perm
    mins: list[int | None] = [None] * num_perm
    for s in shingle_hashes.tolist():
        v = (s * 0x9E3779B97F4A7C15) & (2**64 - 1)
        v ^= v >> 29
        v = (v * 0xBF58476D1CE4E5B9) & (2**64 - 1)
        v ^= v >> 32
        b, low = (v >> 32) % num_perm, v & MASK32
        if mins[b] is None or low < mins[b]:
            mins[b] = low
    out = []
    for i in range(num_perm):
        d = 0
        while mins[(i + d) % num_perm] is None:
            d += 1
        out.append((mins[(i + d) % num_perm] + d * 0x9E3779B1) & MASK32)
    return out


@pytest.mark.parametrize("num_perm", [128, 100, 16])
@pytest.mark.parametrize("size", [0, 1, 3, 60, 250, 1500])
def test_signatures_match_the_reference(num_perm, size):
    rng = np.random.default_rng(size * 1000 + num_perm)
    run = rng.integers(0, 2**32, size, dtype=np.uint64).astype(np.uint32)
    run = np.concatenate([run, run[: size // 7]])  # repeated shingles
    signer = Signer(num_perm)
    assert signer.hashvalues(run).tolist() == reference_signature(run, num_perm)
    body, lead = signer.pair(run, 246)
    assert body.tolist() == reference_signature(unique(run), num_perm)
    assert lead.tolist() == reference_signature(run[:246], num_perm)


def test_stored_signatures_stay_valid():
    # signatures are stored; a change of these values would orphan every stored one
    run = shingle_run(normalise("광주시는 인공지능 산업 육성을 위해 국가 AI 데이터센터 2단계 사업을 추진한다."), 5)
    sig = Signer(128).hashvalues(unique(run))
    assert sig[:4].tolist() == [4193671708, 1539235947, 1434576110, 3075107645]
    assert int(sig.astype(np.uint64).sum()) == 262942231784  # values of the previous release


def reference_normalise(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).lower())


def test_code_point_normalisation_matches_the_regular_expression():
    rng = random.Random(5)
    alphabet = "광주AIＡＩ인공지능 ,.·…「」()[]_-\t\n①②ⅫéÉÅﬁ﹏ｶﾞ가나다ABCdef0123456789İ𝐀😀\u00a0\u3000"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert normalise(text) == reference_normalise(text), text
    assert normal_codes("").size == 0
    assert text_hash("광주 AI 센터") == text_hash("광주ＡＩ센터!")


def test_shingles_from_codes_equal_shingles_from_text():
    text = normalise("광주 인공지능 집적단지에 입주한 기업은 150곳이다.")
    codes = normal_codes("광주 인공지능 집적단지에 입주한 기업은 150곳이다.")
    assert shingle_codes(codes, 5).tolist() == shingle_run(text, 5).tolist()
    assert shingle_codes(codes.astype(np.uint16), 5).tolist() == shingle_run(text, 5).tolist()
    assert shingle_codes(codes[:3], 5).size == 1  # shorter than k: one shingle of the whole text


class DictBands:
    """The reference: every band entry in a dict of sets."""

    def __init__(self):
        self.table: dict[int, set[int]] = {}
        self.dead: set[int] = set()

    def insert(self, key, bands):
        self.dead.discard(key)
        for h in bands.tolist():
            self.table.setdefault(h, set()).add(key)

    def query(self, bands):
        out = set()
        for h in bands.tolist():
            out |= self.table.get(h, set())
        return out - self.dead


def test_band_table_finds_what_a_dict_finds_across_merges_and_removals(monkeypatch):
    monkeypatch.setattr("dedup.lsh.RECENT_LIMIT", 640)  # a merge every ten articles
    lsh, ref = BandIndex(0.4, 128), DictBands()
    rng = np.random.default_rng(7)
    # 60 base signatures; later ones copy a random half of an earlier one's values (shared bands)
    sigs = []
    for i in range(600):
        sig = rng.integers(0, 2**32, (2, 128), dtype=np.uint64).astype(np.uint32)
        if sigs and i % 3:
            donor = sigs[rng.integers(len(sigs))]
            keep = rng.random(128) < 0.5
            sig[0, keep] = donor[0, keep]
        sigs.append(sig)
    for key, sig in enumerate(sigs):
        bands = lsh.bands(sig)
        assert lsh.query(bands) == ref.query(bands)
        lsh.insert(key, bands)
        ref.insert(key, bands)
        if key % 5 == 4:  # the window slides: forget an old key
            gone = key - 200
            if gone >= 0:
                lsh.remove(gone)
                ref.dead.add(gone)
    assert lsh._hashes.size > 0  # the settled arrays were really used
    for sig in sigs:
        bands = lsh.bands(sig)
        assert lsh.query(bands) == ref.query(bands)
    assert len(lsh) == 600 - len(ref.dead)


def test_removed_keys_leave_the_settled_arrays(monkeypatch):
    monkeypatch.setattr("dedup.lsh.RECENT_LIMIT", 64)
    lsh = BandIndex(0.4, 128)
    rng = np.random.default_rng(3)
    sigs = [rng.integers(0, 2**32, (2, 128), dtype=np.uint64).astype(np.uint32) for _ in range(3000)]
    for key, sig in enumerate(sigs):
        lsh.insert(key, lsh.bands(sig))
    size = lsh._hashes.size
    for key in range(2000):
        lsh.remove(key)
    assert lsh._hashes.size < size / 2  # compacted once the dead outnumbered the living
    assert lsh.query(lsh.bands(sigs[10])) == set()
    assert lsh.query(lsh.bands(sigs[2500])) == {2500}


def test_decisions_do_not_depend_on_the_shingle_cache_size():
    stories = load_stories()
    rng = random.Random(11)
    articles = []
    for i, story in enumerate(stories * 2):
        articles.append(syndicate(story, rng, i)[0])
    rng.shuffle(articles)

    def decisions(cache_size):
        engine = Engine(DedupSettings(), cache_size=cache_size)
        out = []
        for i, article in enumerate(articles):
            f = engine.features(article)
            d = engine.decide(f)
            engine.insert_features(i, d.story_id if d.story_id is not None else i, f)
            out.append((d.story_id, d.matched_key, d.similarity, d.method, d.novelty))
        return out

    small, large = decisions(1), decisions(100_000)
    assert small == large
    assert sum(1 for d in large if d[3] == "minhash") > 10  # the sets were really compared


def test_an_engine_without_loader_keeps_code_points_not_shingle_sets():
    engine = Engine(DedupSettings(), cache_size=2)
    for i in range(5):
        f = engine.features(Article(url=f"https://news.example/{i}", title=f"제목 {i}", text=f"광주 인공지능 기사 본문 {i} " * 30))
        engine.insert_features(i, i, f)
    assert len(engine._cache) == 2
    assert all(e.codes is not None and e.codes.dtype == np.uint16 for e in engine.entries.values())


def batch_articles() -> list[Article]:
    """Syndicated copies of the written stories, plus the edge cases a batch must not mix up."""
    stories = load_stories()
    rng = random.Random(23)
    articles = [syndicate(story, rng, i)[0] for i, story in enumerate(stories[:12])]
    articles[3:3] = [
        Article(url="https://e.example/empty", title="", text=""),
        Article(url="https://e.example/short", title="[속보] 짧은 기사", text="광주"),  # shorter than a shingle
        Article(url="https://e.example/punct", title="…", text="— · —\n\n"),  # nothing left after normalisation
        Article(url="https://e.example/lead", title="요약만", text="", lead="광주시가 인공지능 사업을 발표했다"),
    ]
    return articles


@pytest.mark.parametrize("astral", [False, True], ids=["BMP", "one article outside the BMP"])
def test_batch_features_equal_each_articles_parts_computed_alone(astral):
    articles = batch_articles()
    if astral:  # the whole batch then takes the per-text normalisation
        articles[7] = Article(url="https://e.example/emoji", title="이모지 😀 기사", text="광주 😀 " + articles[7].text)
    engine = Engine(DedupSettings())
    lead = LEAD_CHARS - 5 + 1
    features = engine.features_many(articles)
    assert len(features) == len(articles)
    for article, f in zip(articles, features):
        codes = normal_codes(body_of(article))
        run = shingle_codes(codes, 5)
        assert f.codes.tolist() == codes.tolist() and f.body_len == codes.size
        assert f.codes.dtype == (np.uint32 if codes.size and codes.max() >= 0x10000 else np.uint16)
        assert f.text_hash == hash_codes(codes)
        assert f.shingles.tolist() == sorted(set(run.tolist()))
        assert f.hashvalues.tolist() == reference_signature(run, 128)
        assert f.lead_hashvalues.tolist() == reference_signature(run[:lead], 128)
        assert f.bands.tolist() == engine.lsh.bands(np.stack((f.hashvalues, f.lead_hashvalues))).tolist()
        assert f.title == normalise_title(article.title) and f.title_keys == title_keys(f.title)
        assert (f.url, f.guid, f.published) == (article.url, article.guid or None, article.published)
    assert engine.features_many([]) == []


def test_batch_parts_respect_every_boundary():
    # segments of every length around the shingle size, empty ones first, last and in between
    rng = np.random.default_rng(4)
    lengths = [0, 0, 1, 4, 5, 6, 0, 12, 3, 250, 0]
    parts = [rng.integers(0xAC00, 0xD7A4, n).astype(np.uint32) for n in lengths]
    codes = np.concatenate(parts)
    bounds = np.cumsum([0, *lengths])
    runs, run_bounds = shingle_codes_many(codes, bounds, 5)
    sets, set_bounds = unique_many(runs, run_bounds)
    for i, part in enumerate(parts):
        alone = shingle_codes(part, 5)
        assert runs[run_bounds[i] : run_bounds[i + 1]].tolist() == alone.tolist()
        assert sets[set_bounds[i] : set_bounds[i + 1]].tolist() == unique(alone).tolist()
    texts = ["광주 ＡＩ", "", "İstanbul·서울", "a_b-c"]
    joined, text_bounds = normal_codes_many(texts)
    for i, text in enumerate(texts):
        assert joined[text_bounds[i] : text_bounds[i + 1]].tolist() == normal_codes(text).tolist()
