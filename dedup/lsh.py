"""A compact banded LSH table for MinHash signatures.

datasketch chooses the bands and rows (the same optimisation as its MinHashLSH);
the table itself is ours because datasketch's keeps a Python bytes key and a set
per band entry: about 3 ms and 5 KB per article with our three indexes, which
misses both the 2,000 articles/s and the 1 GB targets at 100,000 articles.

Here a band is Python's own hash of its bytes (band hashes never leave the
process, so the per-process salt does not matter); entries live in sorted runs
of (band hash int64, key int64) — 16 bytes per band entry — merged like an LSM
tree (new entries in a small dict, flushed to a sorted run, runs of similar size
merged), so a query is a few vectorised binary searches. Removal marks the key
dead; dead entries are dropped when runs are merged and never returned.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from datasketch import MinHashLSH

BUFFER_ENTRIES = 32768  # band entries kept in the dict before they become a sorted run


@lru_cache(maxsize=16)
def bands_rows(threshold: float, num_perm: int) -> tuple[int, int]:
    """datasketch's optimal (bands, rows) for this Jaccard threshold (computed once: it integrates numerically)."""
    probe = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return probe.b, probe.r


class BandIndex:
    def __init__(self, threshold: float, num_perm: int):
        self.b, self.r = bands_rows(threshold, num_perm)
        self._width = self.r * 4  # bytes of one band of a uint32 signature
        self._buffer: dict[int, list[int]] = {}
        self._buffered = 0
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []
        self._dead: set[int] = set()
        self._live = 0

    def bands(self, hashvalues: np.ndarray) -> list[int]:
        """One hash per band of a uint32 signature (computed once per article, used to query and insert)."""
        raw = np.ascontiguousarray(hashvalues, dtype=np.uint32).tobytes()
        w = self._width
        return [hash(raw[i : i + w]) for i in range(0, self.b * w, w)]

    def insert(self, key: int, bands: list[int]) -> None:
        self._dead.discard(key)
        buf = self._buffer
        for h in bands:
            bucket = buf.get(h)
            if bucket is None:
                buf[h] = [key]
            else:
                bucket.append(key)
        self._buffered += len(bands)
        self._live += 1
        if self._buffered >= BUFFER_ENTRIES:
            self._flush()

    def remove(self, key: int) -> None:
        if key not in self._dead:
            self._dead.add(key)
            self._live -= 1
        # a table that is mostly dead entries is rebuilt so memory follows the window
        if len(self._dead) > max(1024, self._live):
            self._compact()

    def query(self, bands: list[int]) -> set[int]:
        out: set[int] = set()
        buf = self._buffer
        for h in bands:
            bucket = buf.get(h)
            if bucket:
                out.update(bucket)
        if not self._runs:
            return out - self._dead if self._dead else out
        hs = np.array(bands, dtype=np.int64)
        for run_h, run_k in self._runs:
            lo = np.searchsorted(run_h, hs)
            lo[lo == run_h.size] = 0  # past the end: compare with any element, the test below rejects it
            for i in np.flatnonzero(run_h[lo] == hs).tolist():
                j, h = int(lo[i]), bands[i]
                while j < run_h.size and run_h[j] == h:  # equal hashes are adjacent; usually one
                    out.add(int(run_k[j]))
                    j += 1
        if self._dead:
            out -= self._dead
        return out

    def __len__(self) -> int:
        return self._live

    # -- runs ---------------------------------------------------------------
    def _flush(self) -> None:
        if not self._buffer:
            return
        sizes = [len(v) for v in self._buffer.values()]
        hashes = np.repeat(np.fromiter(self._buffer.keys(), dtype=np.int64, count=len(sizes)), sizes)
        keys = np.fromiter((k for v in self._buffer.values() for k in v), dtype=np.int64, count=sum(sizes))
        self._buffer, self._buffered = {}, 0
        order = np.argsort(hashes, kind="stable")
        self._runs.append((hashes[order], keys[order]))
        # merge while the newest run is at least 1/8 of the one before: few runs to search per query
        # (about log8 of the table size); merging sorted runs is linear (timsort finds the runs)
        while len(self._runs) > 1 and self._runs[-1][0].size * 8 >= self._runs[-2][0].size:
            newer = self._runs.pop()
            older = self._runs.pop()
            self._runs.append(self._merge([older, newer]))

    def _merge(self, runs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        hashes = np.concatenate([r[0] for r in runs])
        keys = np.concatenate([r[1] for r in runs])
        if self._dead:
            alive = ~np.isin(keys, np.fromiter(self._dead, dtype=np.int64, count=len(self._dead)))
            hashes, keys = hashes[alive], keys[alive]
        order = np.argsort(hashes, kind="stable")
        return hashes[order], keys[order]

    def _compact(self) -> None:
        self._flush()
        if self._runs:
            self._runs = [self._merge(self._runs)]
        # after a full merge no run holds a dead key; the buffer was flushed into it
        self._dead.clear()
