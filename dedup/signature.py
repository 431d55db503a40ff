"""MinHash signatures computed with numpy over pre-hashed shingles.

datasketch's `MinHash.update` hashes every shingle in Python; here the
shingles are already 32-bit hashes (dedup.text.shingles), so one vectorised
affine permutation gives the signature. The permutations are datasketch's own
(same seed, scheme "affine32"), so the result is a real `LeanMinHash` that
`MinHashLSH` accepts, and a signature stored by one process is valid in another.
"""
from __future__ import annotations

import numpy as np
from datasketch import LeanMinHash, MinHash

SEED = 1
SCHEME = "affine32"
_EMPTY = np.uint32(0xFFFFFFFF)


class Signer:
    """Turns shingle hashes into MinHash signatures for one `num_perm`."""

    def __init__(self, num_perm: int):
        self.num_perm = num_perm
        template = MinHash(num_perm=num_perm, seed=SEED)
        if getattr(template, "scheme", SCHEME) != SCHEME:
            raise RuntimeError(f"datasketch MinHash scheme {template.scheme!r} is not {SCHEME!r}")
        a, b = template.permutations
        self._a = np.asarray(a, dtype=np.uint32)
        self._b = np.asarray(b, dtype=np.uint32)

    def hashvalues(self, shingle_hashes: np.ndarray) -> np.ndarray:
        if shingle_hashes.size == 0:
            return np.full(self.num_perm, _EMPTY, dtype=np.uint32)
        # uint32 array arithmetic wraps silently: this is the affine permutation mod 2^32
        phv = shingle_hashes[:, None] * self._a
        phv += self._b
        return phv.min(axis=0)

    def lean(self, hashvalues: np.ndarray) -> LeanMinHash:
        return LeanMinHash(seed=SEED, hashvalues=hashvalues, scheme=SCHEME)

    def to_bytes(self, hashvalues: np.ndarray) -> bytes:
        return np.asarray(hashvalues, dtype="<u4").tobytes()

    def from_bytes(self, blob: bytes) -> np.ndarray:
        values = np.frombuffer(blob, dtype="<u4").astype(np.uint32)
        if values.size != self.num_perm:
            raise ValueError(f"stored signature has {values.size} permutations, settings say {self.num_perm}")
        return values
