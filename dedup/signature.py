"""MinHash signatures by one-permutation hashing, in numpy.

Classic MinHash applies `num_perm` permutations to every shingle: with datasketch
(`MinHash.update_batch`, one Python hash call per shingle) or as one numpy matrix
it costs 0.1–1 ms per article, which alone misses 2,000 articles/s on real-length
text (benchmarks/bench_dedup.py prints the comparison). One-permutation hashing
(Li, Owen & Zhang 2012) hashes each shingle once, sends it to one of `num_perm`
bins by its high bits and keeps the minimum per bin; empty bins borrow the value
of the next non-empty bin, offset by the distance (densification by rotation,
Shrivastava & Li 2014), so two sets agree on a bin with probability about their
Jaccard similarity — what banded LSH needs. Cost: one pass over the shingle array.

Every step is a fixed function of the shingle hashes (no Python `hash()`), so a
signature stored by one process is valid in every other.
"""
from __future__ import annotations

import numpy as np

_EMPTY = np.uint64(0xFFFFFFFF)
_UNSET = np.uint64(1 << 32)  # above every 32-bit value: marks a bin no shingle fell into
_LOW32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_S29 = np.uint64(29)
_SPLIT_MULT = np.uint64(0x9E3779B97F4A7C15)  # golden-ratio multiplier: spreads shingle hashes over 64 bits
_MIX = np.uint64(0xBF58476D1CE4E5B9)
_ROTATE = np.uint64(0x9E3779B1)  # offset per bin of distance for borrowed values


class Signer:
    """Turns shingle hashes (uint32) into signatures of `num_perm` uint32 values."""

    def __init__(self, num_perm: int):
        self.num_perm = num_perm
        self._bins = np.arange(num_perm, dtype=np.int64)
        self._mask = np.uint64(num_perm - 1) if num_perm & (num_perm - 1) == 0 else None

    def hashvalues(self, shingle_hashes: np.ndarray) -> np.ndarray:
        k = self.num_perm
        if shingle_hashes.size == 0:
            return np.full(k, _EMPTY, dtype=np.uint32)
        v = shingle_hashes.astype(np.uint64)
        v *= _SPLIT_MULT
        v ^= v >> _S29
        v *= _MIX
        v ^= v >> _S32
        # bin from the high 32 bits, value from the low 32; the minimum per bin by an
        # unbuffered ufunc (half the time of sorting the keys on newspaper-length text)
        bins = v >> _S32
        if self._mask is not None:
            bins &= self._mask  # the same bins as % for a power of two, without a 64-bit division
        else:
            bins %= np.uint64(k)
        v &= _LOW32
        mins = np.full(k, _UNSET, dtype=np.uint64)
        np.minimum.at(mins, bins.astype(np.intp), v)
        filled = np.flatnonzero(mins != _UNSET)
        if filled.size == k:
            return mins.astype(np.uint32)
        values = mins[filled]
        # each empty bin takes the next filled bin (circularly), offset by how far it had to look
        pos = np.searchsorted(filled, self._bins) % filled.size
        dist = (filled[pos] - self._bins) % k
        out = values[pos] + dist.astype(np.uint64) * _ROTATE
        return (out & _LOW32).astype(np.uint32)

    def to_bytes(self, hashvalues: np.ndarray) -> bytes:
        return np.asarray(hashvalues, dtype="<u4").tobytes()

    def from_bytes(self, blob: bytes) -> np.ndarray:
        values = np.frombuffer(blob, dtype="<u4").astype(np.uint32)
        if values.size != self.num_perm:
            raise ValueError(f"stored signature has {values.size} values, settings say num_perm={self.num_perm}")
        return values
