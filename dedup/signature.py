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
_ROTATE = np.uint64(_ROTATE_INT)
_UNSET_INT = 1 << 32
_LOW32_INT = 0xFFFFFFFF
# Up to this many rows (one article's two signatures), a Python loop per row
# (~20 µs when the row has empty bins) beats the dozen numpy calls of the
# vectorised fill (~60 µs however few the rows).
_LOOP_ROWS = 2


class Signer:
    """Turns shingle hashes (uint32) into signatures of `num_perm` uint32 values."""

    def __init__(self, num_perm: int):
        self.num_perm = num_perm
        self._bins = np.arange(num_perm, dtype=np.int64)
        self._mask = np.uint64(num_perm - 1) if num_perm & (num_perm - 1) == 0 else None

    def hashvalues(self, shingle_hashes: np.ndarray) -> np.ndarray:
        """The signature of a set of shingle hashes (repeats do not change a minimum)."""
        return self.pair(shingle_hashes, 1)[0]

    def pair(self, run: np.ndarray, lead: int) -> np.ndarray:
        """Signatures of the whole shingle run (row 0) and of its first `lead` shingles (row 1)."""
        return self.pairs(run, np.array([0, run.size], dtype=np.int64), lead)[0]

    def pairs(self, runs: np.ndarray, bounds: np.ndarray, lead: int) -> np.ndarray:
        """(n, 2, num_perm): for each run runs[bounds[i]:bounds[i+1]], its signature and that of its first `lead` shingles.

        One hashing pass over all the runs and one minimum per bin: the opening is a
        prefix of the run, so its bins and values are a prefix of the body's. An
        empty run has the signature of the empty set (every value 0xFFFFFFFF).
        """
        n, k = bounds.size - 1, self.num_perm
        mins = np.full(n * 2 * k, _UNSET, dtype=np.uint64)
        if runs.size:
            bins, values = self._spread(runs)
            # row 2i holds run i's body, row 2i+1 its opening
            if n == 1:
                slots, in_lead = bins, slice(0, lead)
            else:
                counts = np.diff(bounds)
                slots = bins + np.repeat(np.arange(n, dtype=np.int64) * (2 * k), counts)
                in_lead = np.arange(runs.size, dtype=np.int64) - np.repeat(bounds[:-1], counts) < lead
            np.minimum.at(mins, np.concatenate((slots, slots[in_lead] + k)), np.concatenate((values, values[in_lead])))
        return self._densify(mins.reshape(-1, k)).reshape(n, 2, k)

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
        """Each empty bin of a row takes the next filled bin (circularly), offset by how far it had to look.

        A row with no filled bin is the empty set's signature. A long body fills
        every bin; an opening (~250 shingles in 128 bins) leaves ~15 % empty.
        """
        if mins.shape[0] <= _LOOP_ROWS:
            return np.array([self._densify_row(row) for row in mins.tolist()], dtype=np.uint32)
        filled = mins != _UNSET
        gaps = np.flatnonzero(~filled.all(axis=1))
        if not gaps.size:
            return mins.astype(np.uint32)
        out = mins.copy()
        out[gaps] = self._densify_rows(mins[gaps], filled[gaps])
        return out.astype(np.uint32)

    def _densify_rows(self, mins: np.ndarray, filled: np.ndarray) -> np.ndarray:
        k = self.num_perm
        # the next filled position at or after each bin, in the row written out twice (for the wrap)
        pos = np.where(filled, self._bins, 3 * k)
        ahead = np.minimum.accumulate(np.concatenate((pos, pos + k), axis=1)[:, ::-1], axis=1)[:, ::-1][:, :k]
        source = np.take_along_axis(mins, np.minimum(ahead, 2 * k - 1) % k, axis=1)
        borrowed = (source + (ahead - self._bins).astype(np.uint64) * _ROTATE) & _LOW32
        out = np.where(filled, mins, borrowed)
        out[~filled.any(axis=1)] = _EMPTY
        return out

    def _densify_row(self, values: list[int]) -> list[int]:
        if _UNSET_INT not in values:
            return values
        if values.count(_UNSET_INT) == len(values):
            return [_LOW32_INT] * len(values)
        k = len(values)
        first = next(i for i, v in enumerate(values) if v != _UNSET_INT)
        next_pos, next_value = first + k, values[first]  # past the last filled bin, wrap to the first
        for i in range(k - 1, -1, -1):
            v = values[i]
            if v == _UNSET_INT:
                values[i] = (next_value + (next_pos - i) * _ROTATE_INT) & _LOW32_INT
            else:
                next_pos, next_value = i, v
        return values

    def to_bytes(self, hashvalues: np.ndarray) -> bytes:
        return np.asarray(hashvalues, dtype="<u4").tobytes()

    def from_bytes(self, blob: bytes) -> np.ndarray:
        values = np.frombuffer(blob, dtype="<u4").astype(np.uint32)
        if values.size != self.num_perm:
            raise ValueError(f"stored signature has {values.size} values, settings say num_perm={self.num_perm}")
        return values
