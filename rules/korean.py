"""What counts as a word match in Korean (and Latin) text.

Python's `\\b` treats Hangul as word characters, so `\\b광주\\b` never matches
`광주에서`, while a plain substring search fires on `광주리`. We match a term
where it starts a word and either ends one or is followed by a chain of
grammatical endings from `TAILS` (particles, copulas, a few place/derivation
suffixes) that itself ends the word. The term itself is never shortened.

Text is normalised with a 1:1 character map (ASCII and full-width letters to
lower case, odd spaces to ' '), so offsets into the normalised text are offsets
into the original.
"""
from __future__ import annotations

import bisect
import re

# Particles (조사), copulas (이다 forms) and suffixes a term may carry. A chain
# of up to MAX_TAILS of them may follow a term ending in Hangul: 광주+시+에서+는.
PARTICLES = (
    "이", "가", "은", "는", "을", "를", "의", "에", "에서", "에게", "에게서", "께", "께서", "한테", "한테서",
    "으로", "로", "으로서", "로서", "으로써", "로써", "으로부터", "로부터", "와", "과", "랑", "이랑", "하고",
    "도", "만", "까지", "부터", "보다", "처럼", "같이", "만큼", "마다", "조차", "마저", "밖에", "뿐",
    "이나", "나", "이든", "든", "이든지", "든지", "이야", "야", "이요", "요",
)
COPULAS = (
    "이다", "다", "였다", "이었다", "이며", "며", "이고", "고", "이자", "자", "이라", "라", "이라고", "라고",
    "이라는", "라는", "이란", "란", "인", "이던", "던", "였던", "이었던", "입니다", "이라며", "라며",
    "이지만", "지만", "임",
)
SUFFIXES = (
    "시", "광역시", "특별시", "도", "군", "구", "시청", "도청", "시장", "시민", "도민", "시의회", "지역",
    "권", "형", "측", "들", "적", "화", "내", "간", "발", "산",
)
TAILS = frozenset(PARTICLES + COPULAS + SUFFIXES)
MAX_TAILS = 3
_MAX_TAIL_LEN = max(len(t) for t in TAILS)

# 1:1 map: keeps every offset valid while folding case and width.
_FOLD = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_FOLD.update({c: (c - 0xFEE0) for c in range(0xFF01, 0xFF5F)})
_FOLD.update({c: c - 0xFEE0 + 32 for c in range(0xFF21, 0xFF3B)})  # full-width A-Z to a-z
_FOLD.update({c: 0x20 for c in (0x00A0, 0x3000, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x202F)})
_FOLD.update({0x2027: 0x00B7, 0x2219: 0x00B7, 0x30FB: 0x00B7})  # middle dots look alike


_ODD = re.compile("[\uff01-\uff5e\u00a0\u3000\u2002-\u200a\u202f\u2027\u2219\u30fb]")


def normalize(text: str) -> str:
    """Fold case/width and odd spaces; same length as the input.

    str.lower() is fast C; translate() with a dict walks Python-side, so it runs only when
    the text holds a full-width letter or odd space, or when lower() would change the length.
    """
    low = text.lower()
    if len(low) != len(text):
        return text.translate(_FOLD)
    return low.translate(_FOLD) if _ODD.search(low) else low


def is_hangul(ch: str) -> bool:
    o = ord(ch)
    return 0xAC00 <= o <= 0xD7A3 or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F


def is_latin_letter(ch: str) -> bool:
    return ch.isalpha() and ord(ch) < 0x250


def is_latin_or_digit(ch: str) -> bool:
    return (ch.isalpha() and ord(ch) < 0x250) or ("0" <= ch <= "9")


def edge_kind(ch: str) -> str:
    """hangul | latin (letters and digits) | other: which boundary test applies."""
    if is_hangul(ch):
        return "hangul"
    if is_latin_or_digit(ch):
        return "latin"
    return "other"


def left_ok(text: str, start: int, kind: str) -> bool:
    """A term must begin a word: Hangul terms not after Hangul/Latin, Latin terms not after Latin/digits."""
    if start == 0 or kind == "other":
        return True
    prev = text[start - 1]
    if kind == "hangul":
        return not (is_hangul(prev) or is_latin_letter(prev))
    return not is_latin_or_digit(prev)


def tail_end(text: str, pos: int, depth: int = 0) -> int:
    """End of the longest chain of TAILS from pos that ends the Hangul word, or -1."""
    if pos >= len(text) or not is_hangul(text[pos]):
        return pos
    if depth >= MAX_TAILS:
        return -1
    best = -1
    for size in range(min(_MAX_TAIL_LEN, len(text) - pos), 0, -1):
        if text[pos:pos + size] in TAILS:
            end = tail_end(text, pos + size, depth + 1)
            if end > best:
                best = end
    return best


def right_end(text: str, end: int, kind: str) -> int:
    """Where the matched word form ends (term plus endings), or -1 when the term continues a longer word."""
    if end >= len(text) or kind == "other":
        return end
    nxt = text[end]
    if kind == "latin":
        if is_latin_or_digit(nxt):
            return -1
        # Korean glued to a Latin term is its own word (AI가, AI산업); show the particle if there is one.
        t = tail_end(text, end) if is_hangul(nxt) else end
        return t if t > end else end
    return tail_end(text, end)


def word_match(text: str, start: int, end: int, first_kind: str, last_kind: str) -> int:
    """Verify a candidate [start, end) found by substring search; returns the end of the word form or -1."""
    if not left_ok(text, start, first_kind):
        return -1
    return right_end(text, end, last_kind)


# Sentence ends, line breaks, and list bullets (▲ items in Korean news are separate statements).
# One leading character class lets the regex engine skip ahead fast; a full stop only ends a sentence
# when whitespace follows (3.5%, A.I. do not).
_SENTENCE_MARK = re.compile(r"[.!?。\n▲■◆●•△□◇○▶▷][\"'”’)\]]*\s*")
_STOPS = frozenset(".!?。")


class Sentences:
    """Sentence spans of one text, for `near: sentence` and context checks."""

    __slots__ = ("starts", "text")

    def __init__(self, text: str):
        self.text = text
        starts = [0]
        for m in _SENTENCE_MARK.finditer(text):
            end = m.end()
            if text[m.start()] not in _STOPS or text[end - 1].isspace():
                starts.append(end)
        self.starts = starts

    def index(self, pos: int) -> int:
        return bisect.bisect_right(self.starts, pos) - 1

    def span(self, idx: int) -> tuple[int, int]:
        end = self.starts[idx + 1] if idx + 1 < len(self.starts) else len(self.text)
        return self.starts[idx], end

    def sentence_at(self, pos: int) -> str:
        s, e = self.span(self.index(pos))
        return self.text[s:e].strip()


def snippet(text: str, start: int, end: int, width: int = 40) -> str:
    """A short one-line window around [start, end)."""
    s = max(0, start - width)
    e = min(len(text), end + width)
    body = " ".join(text[s:e].split())
    return ("…" if s > 0 else "") + body + ("…" if e < len(text) else "")
