"""Finding Korean institution names in text, and the registry of names already seen.

Detection is by form, not by dictionary: a word (a whitespace-separated token)
whose stem ends with an organisation suffix (연구원, 센터, 진흥원, 대학교 ...),
followed only by particles, or a word carrying a company marker (㈜, (주),
주식회사). Because words are split on spaces, the person's name in
`곽상민 광주창조경제혁신센터 실장` is never part of the name. A word that goes on
past the suffix is another word (`대학생`); a title `장` glued to it (`사업단장`,
`연구원장`) is a person's, and the organisation before it counts only when its
stem is specific (`_title_stem_names_one`: `인공지능(AI)융합인재양성사업단장`, not
`조성사업단장`); a one-syllable stem (`김센터 씨`, `동재단`) is a surname or a determiner; a stem that
is one generic noun (`문화센터`) or a bare place before a weak suffix (`광주센터`)
names nothing in particular. A parenthesis right after a name gives it an alias:
`(GIST)`, `(이하 광주TP)`.

Within one article, spellings of one name are folded together (`name_key`:
인공지능/AI/인공지능(AI) are one key), and a name that is the tail of a longer
name in the same article (`인공지능사관학교` beside `광주인공지능사관학교`) is
folded into the longer one (`fold_found`). A founding word counts for a name
only when it is a word of its own and attached to that name (`event_at`).
"""
from __future__ import annotations

import bisect
import re
from functools import lru_cache
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Iterable, Protocol, Sequence, runtime_checkable

import ahocorasick

from newswatch.models import InstitutionMention
from rules.korean import COPULAS, PARTICLES, Sentences, is_hangul, tail_end
from rules.model import FOUNDING_WORDS

# Longest first so 데이터센터 wins over 센터 and 과학기술원 over 기술원. Zones are places, not
# institutions, so 특구 (광주연구개발특구), 산업단지 (빛그린산업단지) and 클러스터 (AI클러스터) are
# not suffixes; the bodies that run them carry a suffix of their own (광주연구개발특구본부).
ORG_SUFFIXES = tuple(sorted({
    "연구원", "연구소", "연구센터", "센터", "진흥원", "사업단", "재단", "공단", "공사", "위원회", "대학교", "대학",
    "대학원", "사관학교", "테크노파크", "과학기술원", "데이터센터", "협회", "학회", "조합", "연합회", "진흥회",
    "기술원", "개발원", "정보원", "평가원", "연구회", "혁신센터", "지원단", "추진단", "본부", "캠퍼스", "병원",
    "연구단", "협의회", "재단법인", "학교", "공기업", "교육청", "교육지원청",
}, key=len, reverse=True))
_SUFFIX_SET = frozenset(ORG_SUFFIXES)
COMPANY_MARKERS = ("㈜", "(주)", "（주）")
_TAIL_WORDS = frozenset(PARTICLES + COPULAS + ("측", "들", "내", "와의", "과의", "에서의", "에서는", "에는", "으로는", "로는"))
# Words that end like an organisation but name a person's job or nothing in particular.
GENERIC = frozenset({
    "기관", "기업", "시민", "유관기관", "연구기관", "센터", "연구소", "연구원", "대학", "대학교", "재단", "공단",
    "위원회", "사업단", "진흥원", "학교", "본부", "데이터센터", "캠퍼스", "병원", "협회", "조합",
    "책임연구원", "선임연구원", "수석연구원", "연구위원", "책임연구위원", "부연구위원", "주임연구원", "객원연구원",
    "초빙연구원", "박사후연구원", "위촉연구원", "전임연구원", "각대학", "해당기관", "전문기관", "공공기관",
    "지역대학", "국립대학", "사립대학", "전문대학", "대학원", "각기관", "산하기관", "협의회", "공사",
    "지원센터", "연구센터", "혁신센터", "공기업", "교육청",
})
# A stem that is one of these nouns before any suffix names a kind of body, not one body: 문화센터,
# 조성사업단, 연구재단, 창업지원단.
GENERIC_STEMS = frozenset({
    "문화", "조성", "지원", "교육", "복지", "체육", "청소년", "노인", "창업", "상담", "의료", "건강", "보건", "연구",
    "기술", "산업", "정보", "고객", "물류", "서비스", "관리", "운영", "추진", "평가", "협력", "혁신", "미래", "종합",
    "통합", "공동", "기획", "개발", "육성", "홍보", "실증", "전문", "국립", "공립", "사립", "민간", "공공", "주민",
    "시민", "여성", "가족", "아동", "장애인", "다문화", "평생교육", "평생학습", "직업", "취업", "일자리", "고용",
    "행정", "사업", "신규", "관련", "관계", "유관", "산하", "해당", "부설", "소속", "중소", "대형", "안전", "환경",
    "에너지", "농업", "과학", "기업", "창조경제", "거점", "지정", "전담", "위탁", "특화", "융합", "국가", "지방",
    "지역", "각종", "여러", "주요", "이들", "해외", "국내", "전국", "현지", "인근", "새",
})
# Places: a place before a weak suffix is a branch or a building, not a name (광주센터, 서구본부,
# 호남권연구센터); before a strong one it is a real name (광주과학기술원, 부산대학교).
_PLACE_BASES = (
    "광주", "서울", "부산", "대구", "인천", "대전", "울산", "세종", "경기", "강원", "충북", "충남", "전북", "전남",
    "경북", "경남", "제주", "광주전남", "호남", "영남", "충청", "수도", "동구", "서구", "남구", "북구", "중구",
    "광산구", "지역", "권역", "전국", "국내", "해외", "중앙", "지방", "빛고을",
)
PLACES = frozenset(b + end for b in _PLACE_BASES for end in ("", "시", "광역시", "특별시", "도", "권"))
WEAK_SUFFIXES = frozenset({"센터", "연구센터", "혁신센터", "데이터센터", "본부", "사업단", "지원단", "추진단",
                           "연구단", "캠퍼스"})
# A title glued to the suffix: 사업단장, 센터장은, 연구원장이 (see `_title_stem_names_one`). 공사장 is a
# building site, not the head of a 공사.
_TITLE = "장"
_NO_TITLE_SUFFIXES = frozenset({"공사"})
# Before a title, words that mark a field or a proper element of a name, and places that are proper
# names (지역, 전국, 권역 ... are not), and verb-nouns that are as generic as GENERIC_STEMS.
FIELD_WORDS = frozenset({"AI", "융합", "데이터", "빅데이터", "바이오", "반도체", "로봇", "모빌리티", "디지털",
                         "메타버스", "블록체인", "클라우드", "소프트웨어", "정보통신", "헬스케어", "자율주행",
                         "스마트", "콘텐츠"})
_PROPER_PLACES = frozenset(b + end for b in _PLACE_BASES if b not in GENERIC_STEMS and b not in ("권역", "중앙")
                           for end in ("", "시", "광역시", "특별시", "도", "권"))
_TITLE_GENERIC = (GENERIC_STEMS | {"양성", "인재", "구축", "건립", "조사", "활성화", "고도화", "확산", "보급", "진흥",
                                   "발전", "성장", "활용", "유치", "설립", "사업화", "집적", "단지"}) - FIELD_WORDS
_STEM_VOCAB = frozenset(w for w in _TITLE_GENERIC | _PROPER_PLACES | FIELD_WORDS if len(w) > 1)
_STEM_VOCAB_MAX = max(len(w) for w in _STEM_VOCAB)
_PARENS = re.compile(r"[(（][^()（）]*[)）]")
TITLE_STEM_MIN = 6  # characters: a stem this long (한국전자통신) names one body
# Two-syllable surnames: 남궁센터 is a person as surely as 김센터.
_COMPOUND_SURNAMES = frozenset({"남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방"})
# Words that follow only a person's name: 김센터 씨, 이재단 님.
_PERSON_AFTER = ("씨", "님", "선생", "선생님", "여사", "군", "양")
_PERSON_INITIALS = frozenset(p[0] for p in _PERSON_AFTER)
# An acronym with the full name in parentheses: KAIST(한국과학기술원).
_ACRONYM_THEN_NAME = re.compile(r"(?<![A-Za-z0-9])([A-Z][A-Za-z0-9&.-]{1,11})[(（]([^()（）\s]{2,30})[)）]")
_LEADING = "‘’“”\"'«»「」『』<>《》[]▲△▶▷■□◆◇○●•·-–—:;,"
_TRAILING = "‘’“”\"'«»「」『』<>《》[]…,.!?:;"
_PAREN = re.compile(r"[(（]([^()（）\n]{1,40})[)）]")
_ACRONYM = re.compile(r"^[A-Z][A-Za-z0-9&·.-]{1,11}$")
_ALIAS_INTRO = re.compile(r"^이하\s*[:：]?\s*['‘\"“]?(.+?)['’\"”]?$")
_TOKEN = re.compile(r"\S+")


def _cue_automaton() -> ahocorasick.Automaton:
    """Suffixes and markers in one automaton: only words holding one are looked at closely."""
    automaton = ahocorasick.Automaton()
    for cue in ORG_SUFFIXES + COMPANY_MARKERS + ("주식회사",):
        automaton.add_word(cue, cue)
    automaton.make_automaton()
    return automaton


_CUES = _cue_automaton()


def _strip_tail(word: str) -> str:
    """Drop one or two particles after a name whose end is known (suffix-based names only)."""
    for _ in range(2):
        for size in (3, 2, 1):
            if len(word) > size and word[-size:] in _TAIL_WORDS:
                word = word[:-size]
                break
        else:
            break
    return word


def _name_from_suffix(token: str, cues: Sequence[tuple[int, str]] = ()) -> str | None:
    """The organisation name a token starts with, or None: a stem ending in a suffix, then only particles.

    A word that goes on past the suffix is another word (대학생 is a student, 재단이사장 a title), except a
    title 장 (사업단장, 연구원장은): the name before it counts when `_title_stem_names_one` says its stem
    is specific. `cues` are (end offset, suffix) pairs already found in the token.
    """
    if not cues:
        cues = [(i + len(suf), suf) for suf in ORG_SUFFIXES for i in _all_indexes(token, suf)]
    longest: dict[int, str] = {}
    for end, suffix in cues:
        if suffix in _SUFFIX_SET and len(suffix) > len(longest.get(end, "")):
            longest[end] = suffix
    for end in sorted(longest, reverse=True):
        suffix = longest[end]
        if end <= len(suffix):
            continue  # a bare suffix (센터장) names nothing
        rest = token[end:]
        titled = rest.startswith(_TITLE) and suffix not in _NO_TITLE_SUFFIXES and _is_tail(rest[len(_TITLE):])
        if titled or _is_tail(rest):
            stem = token[:end - len(suffix)].strip(_LEADING)
            if _not_a_name(stem, suffix) or (titled and not _title_stem_names_one(stem)):
                return None
            return token[:end]
    return None


def _stem_parts(stem: str) -> list[str]:
    """The stem cut into known words (_STEM_VOCAB, longest first), Latin runs and the other runs between them:
    인공지능(AI)융합인재양성 -> AI, 융합, 인재, 양성; 한국전자통신 -> 한국전자통신."""
    key = "".join(c for c in _PARENS.sub("", name_key(stem)) if is_hangul(c) or c.isalnum())
    parts, other, i = [], "", 0
    while i < len(key):
        if key[i].isascii():
            j = i
            while j < len(key) and key[j].isascii():
                j += 1
            piece = key[i:j]
        else:
            piece = next((key[i:i + n] for n in range(min(_STEM_VOCAB_MAX, len(key) - i), 1, -1)
                          if key[i:i + n] in _STEM_VOCAB), None)
            if piece is None:
                other += key[i]
                i += 1
                continue
        parts += [other, piece] if other else [piece]
        other, i = "", i + len(piece)
    return parts + [other] if other else parts


def _title_stem_names_one(stem: str) -> bool:
    """Whether an organisation glued to a title (`…사업단장`) is still one named body.

    The title is the person's; the organisation before it counts only when its stem says which body,
    because a head's title usually names their unit in a short or generic form (`조성사업단장`,
    `추진단장`, `빛고을센터장`) while the body itself is named elsewhere, if at all. So the stem must not be
    generic nouns and verb-nouns only (조성, 지원, 인재양성), and it must hold a field word or a Latin
    acronym with another word (AI융합인재양성, 광주AI), or a proper place followed by more words
    (빛고을미래), or be TITLE_STEM_MIN characters or longer (한국전자통신). A bare place (`빛고을연구원장`),
    one short word (`달무리연구소장`) or one field word (`AI센터장`) is not enough.
    """
    parts = _stem_parts(stem)
    if not parts or all(p in _TITLE_GENERIC for p in parts):
        return False
    if len(parts) > 1 and any(p in FIELD_WORDS or p.isascii() for p in parts):
        return True
    if any(p in _PROPER_PLACES for p in parts[:-1]):
        return True
    return sum(len(p) for p in parts) >= TITLE_STEM_MIN


def _not_a_name(stem: str, suffix: str) -> bool:
    """What stands before the suffix says it is a person, a determiner, a kind or a place, not one body."""
    if len(stem) == 1 and is_hangul(stem):
        return True  # a surname (김센터 씨, 박대학 교수) or a determiner (동재단, 본사업단, 각센터)
    if stem in _COMPOUND_SURNAMES or stem in GENERIC_STEMS:
        return True
    return suffix in WEAK_SUFFIXES and stem in PLACES


def _all_indexes(text: str, sub: str, lo: int = 0, hi: int | None = None) -> list[int]:
    """Every start of sub in text; with `hi`, only starts in [lo, hi) (the match may run past hi)."""
    stop = None if hi is None else hi + len(sub)
    out, i = [], text.find(sub, lo, stop)
    while i >= 0 and (hi is None or i < hi):
        out.append(i)
        i = text.find(sub, i + 1, stop)
    return out


def _is_tail(rest: str, allowed: frozenset[str] = _TAIL_WORDS) -> bool:
    """Empty, or one/two of the `allowed` words (particles, copulas ...) ending the word."""
    if not rest:
        return True
    if not is_hangul(rest[0]):
        return False
    for size in range(min(4, len(rest)), 0, -1):
        if rest[:size] in allowed:
            rem = rest[size:]
            if not rem or rem in allowed:
                return True
    return False


def _company_name(token: str) -> str | None:
    for marker in COMPANY_MARKERS:
        if token.startswith(marker) and len(token) > len(marker):
            return _strip_tail(token[len(marker):]) or None
        idx = token.find(marker)
        if idx > 0 and _is_tail(token[idx + len(marker):]):
            return token[:idx]
    return None


def _clean(name: str) -> str | None:
    name = name.strip(_LEADING + _TRAILING)
    if len(name) < 2 or name in GENERIC or not any(is_hangul(c) or c.isalpha() for c in name):
        return None
    return name


def _aliases_after(text: str) -> tuple[str, dict[int, str]]:
    """Blank out parentheses that follow a word (GIST), (이하 광주TP); map the word's end to the alias.

    Blanking keeps offsets; parentheses glued to the next word, like 인공지능(AI)데이터센터, stay part of it.
    """
    aliases: dict[int, str] = {}
    blanks: list[tuple[int, int]] = []
    for m in _PAREN.finditer(text):
        after = text[m.end()] if m.end() < len(text) else " "
        # A parenthesis followed by a particle still closes the word: 광주TP(이하 광주TP)는.
        if (is_hangul(after) and tail_end(text, m.end()) < 0) or (after.isalnum() and not is_hangul(after)):
            continue
        inner = m.group(1).strip()
        if inner in ("주",):
            continue
        intro = _ALIAS_INTRO.match(inner)
        alias = intro.group(1).strip() if intro else (inner if _ACRONYM.match(inner) else None)
        if alias and m.start() > 0 and not text[m.start() - 1].isspace():
            aliases[m.start()] = alias
        blanks.append((m.start(), m.end()))
    if not blanks:
        return text, aliases
    parts, prev = [], 0
    for start, end in blanks:
        parts += [text[prev:start], " " * (end - start)]
        prev = end
    parts.append(text[prev:])
    return "".join(parts), aliases


# -- founding events ---------------------------------------------------------------------

# After a founding word, these keep it the founding word: verb endings (개소했다, 설립된, 출범한다),
# a ceremony (출범식), a plan (착공예정), then particles. Anything else makes another word: 유치원,
# 설립자, 유치전, 신설동, 준공영제.
_EVENT_PASSIVE = ("되", "된", "될", "됨", "됩", "돼", "됐")
_EVENT_VERB = ("하", "한", "할", "함", "합", "해", "했", *_EVENT_PASSIVE, "시키", "시킨", "시켜", "시켰", "식", "예정", "계획")
# A word that starts like a founding word but is another noun even with a particle-like ending:
# 개원의 (a doctor in private practice).
_EVENT_NOT = ("개원의",)
# Founding words whose subject is the founder, not the founded (A는 B를 설립했다, 시는 기업 유치에 …):
# with 이/가/은/는 they count only in the passive (A가 설립됐다, A가 유치된다).
_EVENT_NEEDS_OBJECT = frozenset({"설립", "신설", "유치"})
_SUBJECT = ("이", "가", "은", "는", "도")
_OBJECT = ("을", "를")
EVENT_WINDOW = 40  # characters after "name + particle" within which the event word must start
_SENTENCE_END = re.compile(r"[.!?。](?=[\s\"'”’)]|$)|[\n▲■◆●•△□◇○▶▷]")
_MODIFIER_ENDINGS = ("한", "된", "할", "될", "하는", "되는", "했던", "됐던")
_PARTICLES = frozenset(PARTICLES)  # no copulas: 설립자 is a founder, not 설립 + 자


@lru_cache(maxsize=64)
def _initials(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(w[0] for w in words if w)


def _event_word(text: str, pos: int, words: Sequence[str]) -> tuple[str, str] | None:
    """The founding word that starts the word at pos, and what follows it up to the end of the word."""
    if pos >= len(text) or text[pos] not in _initials(tuple(words)):
        return None
    if pos > 0 and (is_hangul(text[pos - 1]) or text[pos - 1].isalnum()):
        return None
    for word in words:
        if not text.startswith(word, pos):
            continue
        end = pos + len(word)
        stop = end
        while stop < len(text) and is_hangul(text[stop]):
            stop += 1
        rest = text[end:stop]
        if any(text.startswith(n, pos) and n.startswith(word) for n in _EVENT_NOT):
            continue
        # a phrase of several words (문을 열) is specific enough to take any ending (열었다)
        if not rest or " " in word or rest.startswith(_EVENT_VERB) or _is_tail(rest, _PARTICLES):
            return word, rest
    return None


def event_at(text: str, start: int, end: int, words: Sequence[str] = FOUNDING_WORDS,
             starts: Sequence[int] = ()) -> str | None:
    """The founding word attached to the name at text[start:end], or None.

    Attached means: right after the name (`센터 개소`, `센터의 개소식`, `데이터센터 유치`); after the
    name with a subject or object particle, within EVENT_WINDOW characters in the same sentence and
    with no other institution (`starts`: sorted start offsets of the names in text) in between (`센터가 … 개소했다`,
    `센터를 … 준공했다`; 설립/신설/유치 after a subject only in the passive: `재단이 설립됐다`); or
    right before the name as a modifier (`개소한 센터`). Never inside another word (유치원, 설립자).
    """
    if not words:
        return None
    pos = end
    if pos < len(text) and text[pos] in ")）" and start > 0 and text[start - 1] in "(（":
        pos += 1  # KAIST(한국과학기술원)가 …
    if pos < len(text) and text[pos] in "(（":  # 광주과학기술원(GIST)이 …
        close = min((i for i in (text.find(")", pos), text.find("）", pos)) if i >= 0), default=-1)
        if 0 < close - pos <= 40:
            pos = close + 1
    tail_stop = pos
    while tail_stop < len(text) and is_hangul(text[tail_stop]):
        tail_stop += 1
    particle = text[pos:tail_stop]
    after = tail_stop
    while after < len(text) and text[after] in " \t'‘’\"“”":
        after += 1
    if particle in ("", "의") and tail_stop < after < len(text):
        got = _event_word(text, after, words)
        if got:
            return got[0]
    if particle in _SUBJECT or particle in _OBJECT:
        window = text[after:after + EVENT_WINDOW]
        cut = _SENTENCE_END.search(window)
        limit = after + (cut.start() if cut else len(window))
        k = bisect.bisect_left(starts, after)
        first_block = min(starts[k], limit) if k < len(starts) else limit
        hits = sorted(i for w in words for i in _all_indexes(text, w, after, first_block))
        for i in hits:
            got = _event_word(text, i, words)
            if got is None:
                continue
            word, rest = got
            if particle in _SUBJECT and word in _EVENT_NEEDS_OBJECT and not rest.startswith(_EVENT_PASSIVE):
                continue
            return word
    # 최근 개소한 빛고을AI센터: the word just before the name
    before = start
    while before > 0 and text[before - 1] in " \t'‘’\"“”":
        before -= 1
    if before < start:
        word_start = before
        while word_start > 0 and is_hangul(text[word_start - 1]):
            word_start -= 1
        got = _event_word(text, word_start, words)
        if got and got[1] in _MODIFIER_ENDINGS:
            return got[0]
    return None


def founding_events(text: str, spans: Sequence[tuple[int, int]], words: Sequence[str] = FOUNDING_WORDS) -> list[str | None]:
    """`event_at` for each (start, end) name span of one text, the spans being all the names found in it."""
    # most texts name institutions without any founding word: one scan spares the look around each name
    present = [w for w in words if w in text]
    if not present:
        return [None] * len(spans)
    starts = sorted({start for start, _ in spans})
    return [event_at(text, start, end, present, starts) for start, end in spans]


@dataclass(frozen=True, slots=True)
class Found:
    """A mention with where it was, for evidence."""

    mention: InstitutionMention
    start: int
    end: int


def find_institutions(text: str, founding_words: Sequence[str] = FOUNDING_WORDS) -> list[InstitutionMention]:
    """Candidate institution names in text order, with their sentence and any founding word attached.

    The text is taken as one article: spellings of one name and tails of longer names are folded
    (`fold_found`). An alias definition yields a second mention whose surface is the alias.
    """
    return [f.mention for _, f in fold_found([("text", f) for f in find_institutions_at(text, founding_words)])]


def _word_start(text: str, pos: int) -> int:
    """Start of the whitespace-separated word holding pos."""
    while pos > 0 and not text[pos - 1].isspace():
        pos -= 1
    return pos


def _person_follows(text: str, pos: int) -> bool:
    """The next word is one that follows only a person's name: 씨, 님, 선생 (김센터 씨는)."""
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text) or text[pos] not in _PERSON_INITIALS:
        return False
    m = _TOKEN.match(text, pos)
    word = m.group().rstrip(_TRAILING)
    return any(word.startswith(p) and _is_tail(word[len(p):]) for p in _PERSON_AFTER)


def find_institutions_at(text: str, founding_words: Sequence[str] = FOUNDING_WORDS,
                         sentences: Sentences | None = None) -> list[Found]:
    """Institution mentions of one text with offsets, not folded; `sentences` may be shared with the
    caller's split of the same text. `event` is the founding word attached to each name (`event_at`)."""
    work, aliases = _aliases_after(text)
    out: list[Found] = []
    # Only words holding a suffix or marker are looked at; find their bounds around each cue.
    words: dict[int, list[tuple[int, str]]] = {}
    last_start, last_end = -1, -1
    for cue_end, cue in _CUES.iter(work):
        cue_start = cue_end - len(cue) + 1
        if not (last_start <= cue_start < last_end):
            last_start = _word_start(work, cue_start)
            last_end = _TOKEN.match(work, last_start).end()
        words.setdefault(last_start, []).append((cue_end + 1, cue))
    pending: list[tuple[InstitutionMention, int, int, str | None]] = []
    for word_start, cues in words.items():
        m = _TOKEN.match(work, word_start)
        token = m.group()
        lead = len(token) - len(token.lstrip(_LEADING))
        core = token[lead:].rstrip(_TRAILING)
        if not core:
            continue
        nxt = _TOKEN.search(work, m.end()) if core == "주식회사" else None
        if nxt is not None:
            name = _clean(_strip_tail(nxt.group().rstrip(_TRAILING)))
            start = nxt.start()
        else:
            offset = m.start() + lead
            company = _company_name(core)
            name = company or _name_from_suffix(core, [(e - offset, c) for e, c in cues if e > offset])
            name = _clean(name) if name else None
            if name and not company and _person_follows(work, m.end()):
                name = None  # 김센터 씨, 이재단 님
            start = m.start() + lead
            if name and not core.startswith(name):
                start = m.start() + lead + core.find(name)
        if not name:
            continue
        if sentences is None:
            sentences = Sentences(text)
        sentence = sentences.sentence_at(start)
        end = start + len(name)
        pending.append((InstitutionMention(name=name, surface=name, sentence=sentence), start, end,
                        aliases.get(m.start() + lead + len(core))))
    if "(" in text or "（" in text:
        for found in _acronym_first(text, sentences):
            pending.append((found.mention, found.start, found.end, None))
        pending.sort(key=lambda p: p[1])
    events = founding_events(text, [(p[1], p[2]) for p in pending], founding_words)
    for (mention, start, end, alias), event in zip(pending, events):
        out.append(Found(InstitutionMention(mention.name, mention.surface, mention.sentence, event), start, end))
        if alias and alias != mention.name:
            out.append(Found(InstitutionMention(mention.name, alias, mention.sentence, event), start, end))
    return out


def _acronym_first(text: str, sentences: Sentences | None) -> list[Found]:
    """KAIST(한국과학기술원): the name is inside the parentheses and the acronym is its alias."""
    out = []
    for m in _ACRONYM_THEN_NAME.finditer(text):
        inner = m.group(2)
        name = _name_from_suffix(inner)
        if name != inner or _clean(name) is None:
            continue
        sentences = sentences or Sentences(text)
        start = m.start(2)
        sentence = sentences.sentence_at(start)
        for surface in (name, m.group(1)):
            out.append(Found(InstitutionMention(name=name, surface=surface, sentence=sentence),
                             start, start + len(name)))
    return out


# -- one name, several spellings ----------------------------------------------------------

_AI_PAIR = re.compile(r"인공지능\s*[(（]\s*AI\s*[)）]|AI\s*[(（]\s*인공지능\s*[)）]|인공지능|에이아이|A\.I\.", re.I)
FOLD_MIN_TAIL = 4  # a tail shorter than this (AI센터) is too generic to stand for a longer name


@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """The key spellings of one name share: 인공지능, AI, 인공지능(AI), AI(인공지능), 에이아이 are all `AI`,
    Latin letters are upper case. `국가인공지능(AI)데이터센터` and `국가AI데이터센터` have one key."""
    return _AI_PAIR.sub("AI", name).upper()


def fold_names(names: Sequence[str]) -> dict[str, str]:
    """For the names of one article in text order: name -> the name it stands for.

    Spellings with one `name_key` fold into the first one written. A name whose key is the tail of
    exactly one longer name's key in the same article folds into that name (`인공지능사관학교` into
    `광주인공지능사관학교`); when two longer names end with it (광주…, 부산…) it stays as it is.
    """
    first: dict[str, str] = {}
    for n in names:
        first.setdefault(name_key(n), n)
    keys = list(first)
    into: dict[str, str] = {}
    for k in keys:
        if len(k) < FOLD_MIN_TAIL:
            continue
        longer = [o for o in keys if len(o) > len(k) and o.endswith(k)]
        heads = [o for o in longer if not any(len(p) > len(o) and p.endswith(o) for p in longer)]
        if len(heads) == 1:
            into[k] = heads[0]
    out = {}
    for n in names:
        key = name_key(n)
        out[n] = first[into.get(key, key)]
    return out


def fold_found(found: Sequence[tuple[str, Found]]) -> list[tuple[str, Found]]:
    """`fold_names` over (field, Found) pairs of one article; the written form stays as the surface."""
    mapping = fold_names([f.mention.name for _, f in found])
    out = []
    for field_name, f in found:
        target = mapping[f.mention.name]
        if target != f.mention.name:
            f = Found(replace(f.mention, name=target), f.start, f.end)
        out.append((field_name, f))
    return out


# -- registries ------------------------------------------------------------------------------


@runtime_checkable
class InstitutionRegistry(Protocol):
    """What the matcher needs from the registry of known institution names.

    A registry may also define `is_wrong(name) -> bool` (names a person marked as not an
    institution); the matcher then never reports those. Both registries here do.
    `resolve_alias` of the registries here also resolves another spelling of a registered name
    (`name_key`): `국가인공지능데이터센터` to a registered `국가AI데이터센터`.
    """

    def is_known(self, name: str) -> bool: ...

    def learn(self, mentions: Iterable[InstitutionMention], article_url: str, now: datetime) -> None: ...

    def resolve_alias(self, surface: str) -> str | None: ...


class _Names:
    """Aliases and spelling keys of registered names, in memory."""

    def __init__(self):
        self.aliases: dict[str, str] = {}
        self.keys: dict[str, str] = {}
        self.names: set[str] = set()

    def add(self, name: str, aliases: Iterable[str] = ()) -> None:
        self.names.add(name)
        self.keys.setdefault(name_key(name), name)
        for alias in aliases:
            if alias != name:
                self.aliases.setdefault(alias, name)

    def resolve(self, surface: str) -> str | None:
        target = self.aliases.get(surface)
        if target is not None or surface in self.names:
            return target
        return self.keys.get(name_key(surface))


class MemoryRegistry:
    """A registry in memory: for `rules test` and for tests. Same behaviour as StoreRegistry."""

    def __init__(self, seeds: Sequence[str] = (), aliases: dict[str, Sequence[str]] | None = None):
        self.status: dict[str, str] = {name: "seed" for name in seeds}
        self.first_url: dict[str, str] = {}
        self.mentions: dict[str, int] = {}
        self._names = _Names()
        for name in seeds:
            self._names.add(name)
        for name, items in (aliases or {}).items():
            self.status.setdefault(name, "seed")
            self._names.add(name, items)

    @property
    def aliases(self) -> dict[str, str]:
        return self._names.aliases

    def is_known(self, name: str) -> bool:
        return name in self.status

    def is_wrong(self, name: str) -> bool:
        return self.status.get(name) == "wrong"

    def lookup(self, names: Iterable[str]) -> dict[str, str]:
        """Status of each registered name among `names` (as `is_known` sees them)."""
        return {n: self.status[n] for n in names if self.is_known(n)}

    def resolve_alias(self, surface: str) -> str | None:
        return self._names.resolve(surface)

    def learn(self, mentions: Iterable[InstitutionMention], article_url: str, now: datetime) -> None:
        for m in mentions:
            if m.surface != m.name and m.surface not in self.status:
                self._names.aliases.setdefault(m.surface, m.name)
            if m.name not in self.status:
                self.status[m.name] = "learned"
                self.first_url[m.name] = article_url
                self._names.add(m.name)
            self.mentions[m.name] = self.mentions.get(m.name, 0) + 1

    def mark(self, name: str, status: str) -> None:
        self.status[name] = status
        self._names.add(name)


class SnapshotRegistry(MemoryRegistry):
    """The stored registry, read once and never written: for `rules test --since`.

    Replaying a stored article (`replaying(url)`), a name that was first learned from that very
    article counts as new again, as it did when the pipeline processed it; names seeded, marked
    known or marked wrong keep their status. What the replay learns stays in memory.
    """

    def __init__(self, records: Iterable, seeds: Sequence[str] = (), aliases: dict[str, Sequence[str]] | None = None):
        super().__init__(seeds, aliases)
        for r in records:  # state.institutions.InstitutionRecord
            self.status[r.name] = r.status
            if r.first_article_url:
                self.first_url[r.name] = r.first_article_url
            self._names.add(r.name, r.aliases)
        self._replaying: str | None = None

    def replaying(self, url: str | None) -> None:
        self._replaying = url

    def _hidden(self, name: str) -> bool:
        return (self._replaying is not None and self.status.get(name) == "learned"
                and self.first_url.get(name) == self._replaying)

    def is_known(self, name: str) -> bool:
        return name in self.status and not self._hidden(name)


class StoreRegistry:
    """The registry kept in the state database (state/institutions.py), seeded from the config."""

    def __init__(self, store, seeds: Sequence[str] = (), aliases: dict[str, Sequence[str]] | None = None,
                 now: datetime | None = None):
        from state.schema import utcnow

        self.repo = store.institutions
        self.repo.seed(seeds, aliases or {}, now or utcnow())
        self._names = _Names()
        for name, items in self.repo.alias_rows():
            self._names.add(name, items)

    def is_known(self, name: str) -> bool:
        return self.repo.status_of(name) is not None

    def is_wrong(self, name: str) -> bool:
        return self.repo.status_of(name) == "wrong"

    def lookup(self, names: Iterable[str]) -> dict[str, str]:
        """Status of each registered name among `names`, in one query."""
        return self.repo.statuses(names)

    def resolve_alias(self, surface: str) -> str | None:
        return self._names.resolve(surface)

    def learn(self, mentions: Iterable[InstitutionMention], article_url: str, now: datetime) -> None:
        mentions = list(mentions)
        self.repo.learn(mentions, article_url, now)
        for m in mentions:
            self._names.add(m.name, [m.surface])


def canonical(mention: InstitutionMention, registry: InstitutionRegistry) -> InstitutionMention:
    """Map a name written as a known alias (GIST), or spelled otherwise than its registered name
    (인공지능/AI), to its registered name."""
    target = registry.resolve_alias(mention.name)
    return replace(mention, name=target) if target and target != mention.name else mention
