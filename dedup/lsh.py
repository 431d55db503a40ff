"""A lean banded LSH table for MinHash signatures.

datasketch chooses the bands and rows (the same optimisation as its MinHashLSH);
the table itself is ours because datasketch's keeps, per band entry, a bytes key
and a Python set, and hashes bands through per-band numpy calls: about 3 ms per
article with our two signatures, which misses 2,000 articles/s by far
(measured; docs/dedup.md).

Here a band is Python's own hash of its bytes (band hashes never leave the
process, so the per-process salt does not matter) and the table is one dict from
band hash to the key, or to a list of keys when several articles share a band.
Removal marks the key dead (dead keys are never returned); when the dead
outnumber the living the table is rebuilt without them, so memory follows the
sliding window.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from datasketch import MinHashLSH


@lru_cache(maxsize=16)
def bands_rows(threshold: float, num_perm: int) -> tuple[int, int]:
    """datasketch's optimal (bands, rows) for this Jaccard threshold (computed once: it integrates numerically)."""
    probe = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return probe.b, probe.r


class BandIndex:
    def __init__(self, threshold: float, num_perm: int):
        self.b, self.r = bands_rows(threshold, num_perm)
        self._width = self.r * 4  # bytes of one band of a uint32 signature
        self._table: dict[int, int | list[int]] = {}
        self._dead: set[int] = set()
        self._live = 0

    def bands(self, hashvalues: np.ndarray) -> list[int]:
        """One hash per band of a uint32 signature (computed once per article, used to query and insert)."""
        raw = np.ascontiguousarray(hashvalues, dtype=np.uint32).tobytes()
        w = self._width
        return [hash(raw[i : i + w]) for i in range(0, self.b * w, w)]

    def insert(self, key: int, bands: list[int]) -> None:
        self._dead.discard(key)
        table = self._table
        for h in bands:
            held = table.get(h)
            if held is None:
                table[h] = key
            elif type(held) is list:
                held.append(key)
            elif held != key:
                table[h] = [held, key]
        self._live += 1

    def remove(self, key: int) -> None:
        if key not in self._dead:
            self._dead.add(key)
            self._live -= 1
        if len(self._dead) > max(1024, self._live):
            self._compact()

    def query(self, bands: list[int]) -> set[int]:
        out: set[int] = set()
        table = self._table
        for h in bands:
            held = table.get(h)
            if held is None:
                continue
            if type(held) is list:
                out.update(held)
            else:
                out.add(held)
        if self._dead:
            out -= self._dead
        return out

    def __len__(self) -> int:
        return self._live

    def _compact(self) -> None:
        dead = self._dead
        table: dict[int, int | list[int]] = {}
        for h, held in self._table.items():
            if type(held) is list:
                alive = [k for k in held if k not in dead]
                if len(alive) > 1:
                    table[h] = alive
                elif alive:
                    table[h] = alive[0]
            elif held not in dead:
                table[h] = held
        self._table = table
        dead.clear()
