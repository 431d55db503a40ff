"""Text normalisation, the exact-duplicate hash and character shingles.

Korean particles stick to words (광주시는 / 광주시가), so words make poor
features; runs of characters do not care. Normalisation drops everything that
outlets change freely without changing the story: case, width (NFKC), spacing
and punctuation. Shingles are hashed to 32 bits with vectorised numpy so an
article costs tens of microseconds, not a Python loop per shingle.
"""
from __future__ import annotations

import hashlib
from bisect import bisect_right
from itertools import accumulate
import re
import unicodedata
from functools import lru_cache
from typing import Sequence

import ahocorasick
import numpy as np

from newswatch.models import Article

# Anything that is not a letter or digit (Hangul, Hanja and Latin letters are \w).
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
# Tags outlets put before a headline; they do not make a different story.
_TITLE_TAGS = re.compile(r"^\s*(?:[\[【(<〈]\s*[^\]】)>〉]{1,12}\s*[\]】)>〉]\s*)+")

_MULT = np.uint64(0x100000001B3)  # odd multiplier of the rolling hash
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)


@lru_cache(maxsize=1)
def _fold_table() -> np.ndarray:
    """For every code point of the BMP, its lower-case letter or digit, or 0 when `[\\W_]` drops it.

    (No BMP character lower-cases to more than one letter or digit, so one value each suffices.)
    """
    table = np.zeros(0x10000, dtype=np.uint32)
    for c in range(0x10000):
        kept = [ch for ch in chr(c).lower() if ch.isalnum()]
        if kept:
            table[c] = ord(kept[0])
    return table


def normal_codes(text: str) -> np.ndarray:
    """The code points (uint32) of the normalised text: NFKC, lower case, letters and digits only.

    Spacing and punctuation are removed. Lower-casing and the letter test are one
    table lookup over the code points when all are in the BMP (Korean news nearly
    always): the regular expression cost ~90 µs on a 1,600-character article, and
    shingles and the text hash are computed from these codes without a string
    round trip. (str.lower's final-sigma rule is not applied: Greek only.)
    """
    return _fold(unicodedata.normalize("NFKC", text))


def normal_codes_many(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """`normal_codes` of several texts: their code points end to end, and the n+1 offsets where each text's begin.

    One encode, one table lookup and one filter for the whole batch: a dozen numpy
    calls per text cost more than the work they do on one article.
    """
    folded = [unicodedata.normalize("NFKC", t) for t in texts]
    if len(folded) == 1:
        codes = _fold(folded[0])
        return codes, np.array([0, codes.size], dtype=np.int64)
    bounds = np.fromiter(accumulate(map(len, folded), initial=0), dtype=np.int64, count=len(folded) + 1)
    codes = np.frombuffer("".join(folded).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if codes.size and codes.max() >= 0x10000:  # rare: some text outside the BMP takes the per-text path
        parts = [_fold(t) for t in folded]
        bounds = np.fromiter(accumulate(map(len, parts), initial=0), dtype=np.int64, count=len(parts) + 1)
        return np.concatenate([np.empty(0, dtype=np.uint32), *parts]), bounds
    mapped = _fold_table()[codes]
    kept = mapped != 0
    before = np.zeros(codes.size + 1, dtype=np.int64)  # letters and digits before each position
    np.cumsum(kept, out=before[1:])
    return mapped[kept], before[bounds]


def _fold(folded: str) -> np.ndarray:
    """The letters and digits of NFKC text, lower-cased, as code points."""
    codes = np.frombuffer(folded.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if not codes.size:
        return codes
    if codes.max() >= 0x10000:
        kept = _NOT_WORD.sub("", folded.lower())
        return np.frombuffer(kept.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    mapped = _fold_table()[codes]
    return mapped[mapped != 0]


def compact(codes: np.ndarray) -> np.ndarray:
    """The same code points in 2 bytes each when all are in the BMP (what an index keeps per article)."""
    if codes.size and codes.max() >= 0x10000:
        return codes
    return codes.astype(np.uint16)


def normalise(text: str) -> str:
    """The normalised text as a string (see normal_codes)."""
    return normal_codes(text).tobytes().decode("utf-32-le", "surrogatepass")


def squeeze(folded: str) -> str:
    """Letters and digits only, of text already NFKC-folded and lower-cased (a headline: too short for the table lookup to pay)."""
    return _NOT_WORD.sub("", folded)


def text_hash(text: str) -> str:
    """SHA-256 of the normalised text: equal for copies that differ only in spacing, punctuation or width."""
    return hash_codes(normal_codes(text))


def hash_codes(codes: np.ndarray) -> str:
    """SHA-256 of normalised code points (UTF-32LE bytes)."""
    return hashlib.sha256(np.asarray(codes, dtype="<u4").tobytes()).hexdigest()


def normalise_title(title: str) -> str:
    """Headline without [속보]/[단독]-style tags, NFKC, lower case, single spaces."""
    plain = _TITLE_TAGS.sub("", unicodedata.normalize("NFKC", title))
    return _SPACES.sub(" ", plain).strip().lower()


# Lines every Korean outlet adds in its own words: copyright notices, subscription
# and tip-off prompts, photo credits, reporter/e-mail lines. They say nothing about
# the story, and on a short wire item they can be a fifth of the text.
_BOILERPLATE_LINE = re.compile(
    r"ⓒ|©|copyright|저작권자|무단\s*전재|재배포|무단\s*복제|구독하기|채널\s*추가|친구\s*추가|기사\s*제보|제보는"
    r"|^\s*[▶▷■◆☞▲]|사진\s*=|자료\s*사진|[\w.+-]+@[\w-]+\.\w+",
    re.IGNORECASE,
)
# A literal every match of _BOILERPLATE_LINE contains. One Aho-Corasick pass over
# the article finds the few lines worth the pattern: scanning every line with the
# pattern cost ~250 µs on a 1,600-character article, most of the dedup decision.
_BOILERPLATE_CUES = ("ⓒ", "©", "copyright", "저작권자", "무단", "재배포", "구독하기", "추가", "제보", "사진", "@", "▶", "▷", "■", "◆", "☞", "▲")
# "(광주=한빛뉴스) 김민준 기자 = " before the first sentence of a wire copy
_BYLINE_PREFIX = re.compile(r"^\s*[(\[]\s*[^()\[\]=]{1,15}=[^()\[\]]{1,20}[)\]]\s*(?:[가-힣]{2,4}\s*(?:기자|특파원)\s*=?\s*)?")
_BYLINE_OPENERS = ("(", "[")
# a line that is only a byline: "[뉴스 김민준 기자]", "김민준 기자"
_BYLINE_LINE = re.compile(r"^\s*[\[(]?[^\n]{0,20}[가-힣]{2,4}\s*(?:기자|특파원)[\])]?\s*$")
_BYLINE_WORDS = ("기자", "특파원")
# A boilerplate line is short; a long line that merely mentions 사진= is story text.
_BOILERPLATE_MAX = 200
_BYLINE_MAX = 60


@lru_cache(maxsize=1)
def _cue_automaton() -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for cue in _BOILERPLATE_CUES:
        automaton.add_word(cue, len(cue))
    automaton.make_automaton()
    return automaton


def _line_of(starts: list[int], positions: list[int]) -> set[int]:
    return {bisect_right(starts, pos) - 1 for pos in positions}


def _cue_lines(text: str, starts: list[int]) -> set[int]:
    """Indexes of the lines that contain a boilerplate cue (case-folded for "copyright")."""
    lowered = text.lower()
    found = [end - size + 1 for end, size in _cue_automaton().iter(lowered)]
    if not found:
        return set()
    # str.lower keeps the length of Hangul and ASCII text; when it does not, look at every line
    if len(lowered) != len(text):
        return set(range(len(starts)))
    return _line_of(starts, found)


def _positions(text: str, words: tuple[str, ...]) -> list[int]:
    found = []
    for word in words:
        at = text.find(word)
        while at != -1:
            found.append(at)
            at = text.find(word, at + 1)
    return found


_BREAKS = "\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029"  # what str.splitlines splits on


def strip_boilerplate(text: str) -> str:
    """Drop outlet boilerplate lines and the wire byline prefix; keep every line of the story itself.

    Only the lines that could match a rule are looked at (a cue, a reporter word,
    a bracket first): looping over every line of a newspaper-length article was
    most of its cost, and most lines are story text.
    """
    lines = text.splitlines(keepends=True)
    starts = list(accumulate((len(line) for line in lines[:-1]), initial=0))
    cued = _cue_lines(text, starts)
    bylined = _line_of(starts, _positions(text, _BYLINE_WORDS))
    opened = {i for i, line in enumerate(lines) if line.lstrip()[:1] in _BYLINE_OPENERS}
    out: list[str | None] = list(lines)
    changed = False
    for i in sorted(cued | bylined | opened):
        line = lines[i].rstrip(_BREAKS)
        if i in cued and len(line) < _BOILERPLATE_MAX and _BOILERPLATE_LINE.search(line):
            out[i] = None
        elif i in bylined and len(line.strip()) < _BYLINE_MAX and _BYLINE_LINE.match(line):
            out[i] = None
        elif i in opened:
            stripped = _BYLINE_PREFIX.sub("", line, count=1)
            if stripped == line:
                continue
            out[i] = stripped
        else:
            continue
        changed = True
    # the unchanged text itself lets the caller skip normalising it a second time
    return "\n".join(line.rstrip(_BREAKS) for line in out if line is not None) if changed else text


def body_of(article: Article) -> str:
    """The text the near-duplicate test compares: the body without outlet boilerplate, with the lead when the body lacks it."""
    text = strip_boilerplate(article.text or "")
    lead = (article.lead or "").strip()
    if lead and lead not in text:
        return lead + "\n" + text
    return text


def unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique's hash path is several times slower on a few hundred items)."""
    s = np.sort(values)
    if s.size < 2:
        return s
    keep = np.empty(s.size, dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def unique_many(values: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`unique` of each segment values[bounds[i]:bounds[i+1]] (uint32), from one sort: the results end to end and their offsets."""
    n = bounds.size - 1
    if n == 1:
        values = unique(values[bounds[0] : bounds[1]])
        return values, np.array([0, values.size], dtype=np.int64)
    segment = np.repeat(np.arange(n, dtype=np.uint64), np.diff(bounds))
    keyed = unique((segment << _S32) | values.astype(np.uint64))  # sorted by segment, then value
    starts = np.searchsorted(keyed >> _S32, np.arange(n + 1, dtype=np.uint64))
    return (keyed & _LOW32).astype(np.uint32), starts


def shingle_run(norm: str, k: int) -> np.ndarray:
    """The 32-bit hash of every k-character run of normalised text, in text order."""
    return shingle_codes(np.frombuffer(norm.encode("utf-32-le", "surrogatepass"), dtype=np.uint32), k)


def shingle_codes(codes: np.ndarray, k: int) -> np.ndarray:
    """The 32-bit hash of every k-code-point run, in text order (element i starts at code point i).

    A text shorter than k gives one shingle, the hash of the whole text.
    """
    return _rolling(codes, min(k, codes.size) or k)


def shingle_codes_many(codes: np.ndarray, bounds: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """`shingle_codes` of each text codes[bounds[i]:bounds[i+1]]: the runs end to end and their n+1 offsets.

    The rolling hash runs once over all the texts; the runs that straddle two texts are left out.
    """
    if bounds.size == 2:  # one text: no boundaries to mind
        run = shingle_codes(codes[bounds[0] : bounds[1]], k)
        return run, np.array([0, run.size], dtype=np.int64)
    lengths = np.diff(bounds)
    counts = np.where(lengths >= k, lengths - k + 1, np.minimum(lengths, 1))
    run_bounds = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(counts, out=run_bounds[1:])
    total = int(run_bounds[-1])
    # where each shingle starts in `codes`
    starts = np.arange(total, dtype=np.int64) + np.repeat(bounds[:-1] - run_bounds[:-1], counts)
    every = _rolling(codes, k)
    run = every[np.minimum(starts, every.size - 1)] if every.size else np.zeros(total, dtype=np.uint32)
    for i in np.flatnonzero((lengths > 0) & (lengths < k)).tolist():
        run[run_bounds[i]] = _rolling(codes[bounds[i] : bounds[i + 1]], int(lengths[i]))[0]
    return run, run_bounds


def _rolling(codes: np.ndarray, k: int) -> np.ndarray:
    """The hash of every k-code-point run of `codes` (empty when it is shorter than k)."""
    count = codes.size - k + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint32)
    codes = codes.astype(np.uint64)
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
