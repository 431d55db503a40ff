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
_ROTATE_INT = 0x9E3779B1  # offset per bin of distance for borrowed values
_UNSET_INT = 1 << 32
_LOW32_INT = 0xFFFFFFFF


class Signer:
    """Turns shingle hashes (uint32) into signatures of `num_perm` uint32 values."""

    def __init__(self, num_perm: int):
        self.num_perm = num_perm
        self._bins = np.arange(num_perm, dtype=np.int64)
        self._mask = np.uint64(num_perm - 1) if num_perm & (num_perm - 1) == 0 else None

    def hashvalues(self, shingle_hashes: np.ndarray) -> np.ndarray:
        """The signature of a set of shingle hashes (repeats do not change a minimum)."""
        if shingle_hashes.size == 0:
            return np.full(self.num_perm, _EMPTY, dtype=np.uint32)
        bins, values = self._spread(shingle_hashes)
        mins = np.full(self.num_perm, _UNSET, dtype=np.uint64)
        np.minimum.at(mins, bins, values)
        return self._densify(mins)

    def pair(self, run: np.ndarray, lead: int) -> np.ndarray:
        """Signatures of the whole shingle run (row 0) and of its first `lead` shingles (row 1), from one hashing pass.

        Row 0 equals `hashvalues(run)` and row 1 `hashvalues(run[:lead])`: the lead
        is a prefix, so its bins and values are a prefix of the body's.
        """
        k = self.num_perm
        if run.size == 0:
            return np.full((2, k), _EMPTY, dtype=np.uint32)
        bins, values = self._spread(run)
        mins = np.full((2, k), _UNSET, dtype=np.uint64)
        np.minimum.at(mins[0], bins, values)
        np.minimum.at(mins[1], bins[:lead], values[:lead])
        return np.stack((self._densify(mins[0]), self._densify(mins[1])))

    def _spread(self, shingle_hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(bin, value) of every shingle: the bin from the high 32 bits of a mixed hash, the value from the low 32."""
        v = shingle_hashes.astype(np.uint64)
        v *= _SPLIT_MULT
        v ^= v >> _S29
        v *= _MIX
        v ^= v >> _S32
        bins = v >> _S32
        if self._mask is not None:
            bins &= self._mask  # the same bins as % for a power of two, without a 64-bit division
        else:
            bins %= np.uint64(self.num_perm)
        v &= _LOW32
        # the minimum per bin is taken by an unbuffered ufunc (half the time of sorting the keys)
        return bins.view(np.int64), v  # bins < num_perm: the same numbers, without a copy

    def _densify(self, mins: np.ndarray) -> np.ndarray:
        """Each empty bin takes the next filled bin (circularly), offset by how far it had to look.

        A Python loop over the bins: the vectorised version needed a dozen numpy
        calls on 128 values, ~35 µs; an opening's signature (~250 shingles in 128
        bins, ~15% of them empty) needs this for nearly every article.
        """
        values = mins.tolist()
        unset = _UNSET_INT
        if unset not in values:
            return mins.astype(np.uint32)
        k = len(values)
        first = next(i for i, v in enumerate(values) if v != unset)
        next_pos, next_value = first + k, values[first]  # past the last filled bin, wrap to the first
        for i in range(k - 1, -1, -1):
            v = values[i]
            if v == unset:
                values[i] = (next_value + (next_pos - i) * _ROTATE_INT) & _LOW32_INT
            else:
                next_pos, next_value = i, v
        return np.array(values, dtype=np.uint32)

    def to_bytes(self, hashvalues: np.ndarray) -> bytes:
        return np.asarray(hashvalues, dtype="<u4").tobytes()

    def from_bytes(self, blob: bytes) -> np.ndarray:
        values = np.frombuffer(blob, dtype="<u4").astype(np.uint32)
        if values.size != self.num_perm:
            raise ValueError(f"stored signature has {values.size} values, settings say num_perm={self.num_perm}")
        return values
