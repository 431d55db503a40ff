"""Text normalisation, the exact-duplicate hash and character shingles.

Korean particles stick to words (광주시는 / 광주시가), so words make poor
features; runs of characters do not care. Normalisation drops everything that
outlets change freely without changing the story: case, width (NFKC), spacing
and punctuation. Shingles are hashed to 32 bits with vectorised numpy so an
article costs tens of microseconds, not a Python loop per shingle.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np

from newswatch.models import Article

# Anything that is not a letter or digit (Hangul, Hanja and Latin letters are \w).
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
# Tags outlets put before a headline; they do not make a different story.
_TITLE_TAGS = re.compile(r"^\s*(?:[\[【(<〈]\s*[^\]】)>〉]{1,12}\s*[\]】)>〉]\s*)+")

_MULT = np.uint64(0x100000001B3)  # odd multiplier of the rolling hash
_MIX1 = np.uint64(0xFF51AFD7ED558CCD)  # murmur3 finaliser constants
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)


def normalise(text: str) -> str:
    """NFKC, lower case, letters and digits only (spacing and punctuation removed)."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


def text_hash(text: str) -> str:
    """SHA-256 of the normalised text: equal for copies that differ only in spacing, punctuation or width."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def normalise_title(title: str) -> str:
    """Headline without [속보]/[단독]-style tags, NFKC, lower case, single spaces."""
    plain = _TITLE_TAGS.sub("", unicodedata.normalize("NFKC", title))
    return _SPACES.sub(" ", plain).strip().lower()


def body_of(article: Article) -> str:
    """The text the near-duplicate test compares: the body, with the lead when the body lacks it."""
    text = article.text or ""
    lead = (article.lead or "").strip()
    if lead and lead not in text:
        return lead + "\n" + text
    return text


def shingles(norm: str, k: int) -> np.ndarray:
    """Sorted unique 32-bit hashes of the k-character runs of normalised text.

    A text shorter than k gives one shingle (the whole text) so it is never empty
    unless the text is.
    """
    if not norm:
        return np.empty(0, dtype=np.uint32)
    codes = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = codes.size
    if n < k:
        k = n
    count = n - k + 1
    h = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * _MULT + codes[j : j + count]
        # Finalise so that the low 32 bits depend on every character.
        h ^= h >> np.uint64(33)
        h *= _MIX1
        h ^= h >> np.uint64(33)
        h *= _MIX2
        h ^= h >> np.uint64(33)
    return np.unique(h.astype(np.uint32))


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """|A ∩ B| / min(|A|, |B|): 1.0 when the smaller text is wholly inside the other."""
    if a.size == 0 or b.size == 0:
        return 0.0
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / min(a.size, b.size)


def novelty(new: np.ndarray, old: np.ndarray) -> float:
    """Share of the new text's shingles that the old text lacks (an update's added material)."""
    if new.size == 0:
        return 0.0
    return 1.0 - np.intersect1d(new, old, assume_unique=True).size / new.size
