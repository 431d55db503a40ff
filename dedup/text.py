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
_S32 = np.uint64(32)


def normalise(text: str) -> str:
    """NFKC, lower case, letters and digits only (spacing and punctuation removed)."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


def text_hash(text: str) -> str:
    """SHA-256 of the normalised text: equal for copies that differ only in spacing, punctuation or width."""
    return hash_normalised(normalise(text))


def hash_normalised(norm: str) -> str:
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


def normalise_title(title: str) -> str:
    """Headline without [속보]/[단독]-style tags, NFKC, lower case, single spaces."""
    plain = _TITLE_TAGS.sub("", unicodedata.normalize("NFKC", title))
    return _SPACES.sub(" ", plain).strip().lower()


# Lines every Korean outlet adds in its own words: copyright notices, subscription
# and tip-off prompts, photo credits, reporter/e-mail lines. They say nothing about
# the story, and on a short wire item they can be a fifth of the text.
_BOILERPLATE_LINE = re.compile(
    r"ⓒ|©|copyright|저작권자|무단\s*전재|재배포|무단\s*복제|구독하기|채널\s*추가|친구\s*추가|기사\s*제보|제보는"
    r"|^\s*[▶▷■◆☞▲]|사진\s*=|자료\s*사진|\S+@\S+\.\w+",
    re.IGNORECASE,
)
# "(광주=한빛뉴스) 김민준 기자 = " before the first sentence of a wire copy
_BYLINE_PREFIX = re.compile(r"^\s*[(\[]\s*[^()\[\]=]{1,15}=[^()\[\]]{1,20}[)\]]\s*(?:[가-힣]{2,4}\s*(?:기자|특파원)\s*=?\s*)?")
# a line that is only a byline: "[뉴스 김민준 기자]", "김민준 기자"
_BYLINE_LINE = re.compile(r"^\s*[\[(]?[^\n]{0,20}[가-힣]{2,4}\s*(?:기자|특파원)[\])]?\s*$")
# one search over the whole text tells whether any line can need the per-line pass
_ANY_BOILERPLATE = re.compile(_BOILERPLATE_LINE.pattern + r"|기자|특파원|^\s*[(\[][^()\[\]=\n]{1,15}=", re.IGNORECASE | re.MULTILINE)


def strip_boilerplate(text: str) -> str:
    """Drop outlet boilerplate lines and the wire byline prefix; keep every line of the story itself."""
    if not _ANY_BOILERPLATE.search(text):
        return text
    kept = []
    for line in text.splitlines():
        if _BOILERPLATE_LINE.search(line) and len(line) < 200:
            continue  # a long line that merely mentions 사진= is story text, keep it
        if _BYLINE_LINE.match(line):
            continue
        kept.append(_BYLINE_PREFIX.sub("", line, count=1))
    return "\n".join(kept)


def body_of(article: Article) -> str:
    """The text the near-duplicate test compares: the body without outlet boilerplate, with the lead when the body lacks it."""
    text = strip_boilerplate(article.text or "")
    lead = (article.lead or "").strip()
    if lead and lead not in text:
        return lead + "\n" + text
    return text


def shingles(norm: str, k: int) -> np.ndarray:
    """Sorted unique 32-bit hashes of the k-character runs of normalised text.

    A text shorter than k gives one shingle (the whole text) so it is never empty
    unless the text is.
    """
    return unique(shingle_run(norm, k))


def unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique's hash path is several times slower on a few hundred items)."""
    s = np.sort(values)
    if s.size < 2:
        return s
    keep = np.empty(s.size, dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def shingle_run(norm: str, k: int) -> np.ndarray:
    """The 32-bit hash of every k-character run, in text order (element i starts at character i)."""
    if not norm:
        return np.empty(0, dtype=np.uint32)
    codes = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = codes.size
    if n < k:
        k = n
    count = n - k + 1
    # unsigned array arithmetic wraps modulo 2^64 without warnings (scalars would warn)
    h = codes[0:count].copy()
    for j in range(1, k):
        h *= _MULT
        h += codes[j : j + count]
    # the high half depends on every character (the signer mixes again before binning)
    return (h >> _S32).astype(np.uint32)


def common(a: np.ndarray, b: np.ndarray) -> int:
    """|A ∩ B| of two sorted arrays of distinct values (a binary search per element of the smaller)."""
    if a.size > b.size:
        a, b = b, a
    if a.size == 0:
        return 0
    idx = np.searchsorted(b, a)
    idx[idx == b.size] = 0
    return int(np.count_nonzero(b[idx] == a))


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """|A ∩ B| / min(|A|, |B|): 1.0 when the smaller text is wholly inside the other."""
    if a.size == 0 or b.size == 0:
        return 0.0
    return common(a, b) / min(a.size, b.size)


def novelty(new: np.ndarray, old: np.ndarray) -> float:
    """Share of the new text's shingles that the old text lacks (an update's added material)."""
    if new.size == 0:
        return 0.0
    return 1.0 - common(new, old) / new.size
