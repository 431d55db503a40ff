"""A lean banded LSH table for MinHash signatures.

datasketch chooses the bands and rows (the same optimisation as its MinHashLSH);
the table itself is ours because datasketch's keeps, per band entry, a bytes key
and a Python set, and hashes bands through per-band numpy calls: about 3 ms per
article with our two signatures, which misses 2,000 articles/s by far
(measured; docs/dedup.md).

A band's hash is a 64-bit multiply-add of its values and its position, computed
for every band of an article by one matrix product (~6 µs for 64 bands, against
~35 µs for hashing 64 byte strings in Python). The table has two parts:
- the settled part: two numpy arrays (band hashes, sorted, and the key of each),
  16 bytes per band entry, searched with one `searchsorted` per query;
- the recent part: a dict from band hash to key (or list of keys) for the last
  few thousand articles, so an insert is a dict update, not an array copy.
When the recent part holds RECENT_LIMIT band entries it is merged into the
settled arrays (one linear pass). A Python dict of every band entry of 100,000
newspaper-length articles took ~400 MB; the arrays take ~100 MB and the filter 32 MB.
Removal marks the key dead (dead keys are never returned); when the dead
outnumber the living the table is rebuilt without them, so memory follows the
sliding window.
"""
from __future__ import annotations

from functools import lru_cache
from itertools import repeat

import numpy as np
from datasketch import MinHashLSH

# Band entries the recent dict holds before it is merged into the settled arrays:
# 4,096 articles of two 32-band signatures. A merge copies the settled arrays once
# (tens of milliseconds at 100,000 articles), so larger means fewer copies and more memory.
RECENT_LIMIT = 1 << 18
# A band hash whose low 28 bits match no settled band is not in the settled arrays:
# a bit table (32 MB) that spares ~97% of the bands of a query the binary search at
# 100,000 articles (6.4 million band entries). Measured at that size: 104 µs a query
# without it, 57 µs with a byte table of 2^25, 26 µs with this one.
_FILTER_BITS = 28
_FILTER_MASK = np.uint64((1 << _FILTER_BITS) - 1)
_3, _7, _1 = np.uint64(3), np.uint64(7), np.uint64(1)
_MULTS_SEED = 0x6E657773  # fixed, so band hashes are the same in every process


@lru_cache(maxsize=16)
def bands_rows(threshold: float, num_perm: int) -> tuple[int, int]:
    """datasketch's optimal (bands, rows) for this Jaccard threshold (computed once: it integrates numerically)."""
    probe = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return probe.b, probe.r


class BandIndex:
    def __init__(self, threshold: float, num_perm: int):
        self.b, self.r = bands_rows(threshold, num_perm)
        rng = np.random.default_rng(_MULTS_SEED)
        # odd multipliers, one per row of a band; the band's position is added so band 3
        # of one signature never meets band 7 of another
        self._mults = rng.integers(1, 1 << 63, self.r, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        # salts for the bands of two signatures (body and opening), the common case
        self._salt = np.tile(np.arange(self.b, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15), 2)
        self._hashes = np.empty(0, dtype=np.uint64)  # settled, sorted
        self._keys = np.empty(0, dtype=np.int64)
        # one bit per value of the low bits of settled band hashes; untouched zero pages cost no memory
        self._filter = np.zeros(1 << (_FILTER_BITS - 3), dtype=np.uint8)
        self._recent: dict[int, int | list[int]] = {}
        self._recent_rows: list[tuple[int, np.ndarray]] = []  # (key, band hashes) in insertion order
        self._recent_size = 0
        self._dead: set[int] = set()
        self._live = 0

    def bands(self, signatures: np.ndarray) -> np.ndarray:
        """One 64-bit hash per band of each row of a (signatures, num_perm) uint32 array.

        Computed once per article and used to query and to insert. A band's hash is
        the sum of its values times fixed odd multipliers plus its position's salt
        (mod 2^64): two different bands agree with negligible probability, and a
        false candidate is only verified and dropped.
        """
        rows = signatures[:, : self.b * self.r].reshape(-1, self.r).astype(np.uint64)
        salt = self._salt if rows.shape[0] == self._salt.size else np.resize(self._salt, rows.shape[0])
        return rows @ self._mults + salt

    def insert(self, key: int, bands: np.ndarray) -> None:
        self._dead.discard(key)
        table = self._recent
        hashes = bands.tolist()
        if not any(map(table.__contains__, hashes)):
            # the common case, no band seen in the recent part: one C-level update
            table.update(zip(hashes, repeat(key)))
        else:
            for h in hashes:
                held = table.get(h)
                if held is None:
                    table[h] = key
                elif type(held) is list:
                    held.append(key)
                elif held != key:
                    table[h] = [held, key]
        self._recent_rows.append((key, bands))
        self._recent_size += bands.size
        self._live += 1
        if self._recent_size >= RECENT_LIMIT:
            self._settle()

    def remove(self, key: int) -> None:
        if key not in self._dead:
            self._dead.add(key)
            self._live -= 1
        if len(self._dead) > max(1024, self._live):
            self._compact()

    def query(self, bands: np.ndarray) -> set[int]:
        out: set[int] = set()
        for held in map(self._recent.get, bands.tolist()):
            if held is None:
                continue
            if type(held) is list:
                out.update(held)
            else:
                out.add(held)
        if self._hashes.size:
            out.update(self._settled_hits(bands))
        if self._dead:
            out -= self._dead
        return out

    def __len__(self) -> int:
        return self._live

    def _settled_hits(self, bands: np.ndarray) -> list[int]:
        # the filter rules out nearly every band first: a binary search per band in
        # millions of entries costs a cache miss per step (~100 µs for 64 bands at 6.4 million)
        low = bands & _FILTER_MASK
        maybe = bands[((self._filter[low >> _3] >> (low & _7)) & _1).astype(bool)]
        if not maybe.size:
            return []
        settled = self._hashes
        lo = np.searchsorted(settled, maybe)
        hit = lo < settled.size
        hit[hit] = settled[lo[hit]] == maybe[hit]
        if not hit.any():
            return []
        hi = np.searchsorted(settled, maybe[hit], side="right")
        keys = self._keys
        return [k for start, end in zip(lo[hit].tolist(), hi.tolist()) for k in keys[start:end].tolist()]

    def _settle(self) -> None:
        """Merge the recent part into the settled arrays (both sorted, so one insert pass)."""
        if not self._recent_rows:
            return
        hashes = np.concatenate([b for _, b in self._recent_rows])
        keys = np.repeat(np.array([k for k, _ in self._recent_rows], dtype=np.int64), [b.size for _, b in self._recent_rows])
        order = np.argsort(hashes)  # the order of keys under one hash does not matter
        hashes, keys = hashes[order], keys[order]
        # the new entries' places in the merged arrays; np.insert took several times as long
        placed = np.searchsorted(self._hashes, hashes, side="right") + np.arange(hashes.size)
        old = np.ones(self._hashes.size + hashes.size, dtype=bool)
        old[placed] = False
        self._hashes = _merged(self._hashes, old, placed, hashes)
        self._keys = _merged(self._keys, old, placed, keys)
        self._mark(hashes)
        self._recent = {}
        self._recent_rows = []
        self._recent_size = 0

    def _compact(self) -> None:
        self._settle()
        dead = np.fromiter(self._dead, dtype=np.int64, count=len(self._dead))
        alive = ~np.isin(self._keys, dead)
        self._hashes = self._hashes[alive]
        self._keys = self._keys[alive]
        self._filter = np.zeros(1 << (_FILTER_BITS - 3), dtype=np.uint8)
        self._mark(self._hashes)
        self._dead.clear()

    def _mark(self, hashes: np.ndarray) -> None:
        low = hashes & _FILTER_MASK
        np.bitwise_or.at(self._filter, low >> _3, (_1 << (low & _7)).astype(np.uint8))


def _merged(settled: np.ndarray, old: np.ndarray, placed: np.ndarray, new: np.ndarray) -> np.ndarray:
    out = np.empty(old.size, dtype=settled.dtype)
    out[placed] = new
    out[old] = settled
    return out
