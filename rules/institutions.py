"""Finding Korean institution names in text, and the registry of names already seen.

Detection is by form, not by dictionary: a word (a whitespace-separated token)
whose stem ends with an organisation suffix (연구원, 센터, 진흥원, 대학교 ...),
optionally followed by a head title (장) and particles, or a word carrying a
company marker (㈜, (주), 주식회사). Because words are split on spaces, the
person's name in `곽상민 광주창조경제혁신센터 실장` is never part of the name.
A parenthesis right after a name gives it an alias: `(GIST)`, `(이하 광주TP)`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Iterable, Protocol, Sequence, runtime_checkable

import ahocorasick

from newswatch.models import InstitutionMention
from rules.korean import COPULAS, PARTICLES, Sentences, is_hangul, tail_end
from rules.model import FOUNDING_WORDS

# Longest first so 데이터센터 wins over 센터 and 과학기술원 over 기술원.
ORG_SUFFIXES = tuple(sorted({
    "연구원", "연구소", "연구센터", "센터", "진흥원", "사업단", "재단", "공단", "공사", "위원회", "대학교", "대학",
    "대학원", "사관학교", "테크노파크", "과학기술원", "데이터센터", "협회", "학회", "조합", "연합회", "진흥회",
    "기술원", "개발원", "정보원", "평가원", "연구회", "혁신센터", "지원단", "추진단", "본부", "캠퍼스", "병원",
    "연구단", "협의회", "재단법인", "학교", "공기업", "산업단지", "클러스터", "특구", "교육청", "교육지원청",
}, key=len, reverse=True))
_SUFFIX_SET = frozenset(ORG_SUFFIXES)
COMPANY_MARKERS = ("㈜", "(주)", "（주）")
# A head of the organisation glued to its name: 광주전남연구원장, 사업단장.
_HEAD_TITLES = ("장", "원장", "이사장", "단장")
_TAIL_WORDS = frozenset(PARTICLES + COPULAS + ("측", "들", "내", "와의", "과의", "에서의", "에서는", "에는", "으로는", "로는"))
# Words that end like an organisation but name a person's job or nothing in particular.
GENERIC = frozenset({
    "기관", "기업", "시민", "유관기관", "연구기관", "센터", "연구소", "연구원", "대학", "대학교", "재단", "공단",
    "위원회", "사업단", "진흥원", "학교", "본부", "데이터센터", "캠퍼스", "병원", "협회", "조합", "클러스터",
    "책임연구원", "선임연구원", "수석연구원", "연구위원", "책임연구위원", "부연구위원", "주임연구원", "객원연구원",
    "초빙연구원", "박사후연구원", "위촉연구원", "전임연구원", "각대학", "해당기관", "전문기관", "공공기관",
    "지역대학", "국립대학", "사립대학", "전문대학", "대학원", "각기관", "산하기관", "협의회", "공사", "특구",
    "산업단지", "지원센터", "연구센터", "혁신센터", "공기업", "교육청",
})
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
    """The organisation name a token starts with, or None: a stem ending in a suffix, then only a head
    title and particles. `cues` are (end offset, suffix) pairs already found in the token."""
    if not cues:
        cues = [(i + len(suf), suf) for suf in ORG_SUFFIXES for i in _all_indexes(token, suf)]
    for end, suffix in sorted(cues, reverse=True):
        if suffix not in _SUFFIX_SET or end <= len(suffix):
            continue  # a bare suffix (센터장) names nothing
        rest = token[end:]
        for head in ("",) + _HEAD_TITLES:
            if rest.startswith(head) and _is_tail(rest[len(head):]):
                return token[:end]
    return None


def _all_indexes(text: str, sub: str) -> list[int]:
    out, i = [], text.find(sub)
    while i >= 0:
        out.append(i)
        i = text.find(sub, i + 1)
    return out


def _is_tail(rest: str) -> bool:
    """Empty, or one/two particles ending the word."""
    if not rest:
        return True
    if not is_hangul(rest[0]):
        return False
    for size in range(min(4, len(rest)), 0, -1):
        if rest[:size] in _TAIL_WORDS:
            rem = rest[size:]
            if not rem or any(rem == t for t in _TAIL_WORDS):
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


def event_in(sentence: str, words: Sequence[str]) -> str | None:
    for word in words:
        if word in sentence:
            return word
    return None


@dataclass(frozen=True, slots=True)
class Found:
    """A mention with where it was, for evidence."""

    mention: InstitutionMention
    start: int
    end: int


def find_institutions(text: str, founding_words: Sequence[str] = FOUNDING_WORDS) -> list[InstitutionMention]:
    """Candidate institution names in text order, with their sentence and any founding word in it.

    An alias definition yields a second mention whose surface is the alias.
    """
    return [f.mention for f in find_institutions_at(text, founding_words)]


def _word_start(text: str, pos: int) -> int:
    """Start of the whitespace-separated word holding pos."""
    while pos > 0 and not text[pos - 1].isspace():
        pos -= 1
    return pos


def find_institutions_at(text: str, founding_words: Sequence[str] = FOUNDING_WORDS,
                         sentences: Sentences | None = None) -> list[Found]:
    """find_institutions with offsets; `sentences` may be shared with the caller's split of the same text."""
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
            name = _company_name(core) or _name_from_suffix(core, [(e - offset, c) for e, c in cues if e > offset])
            name = _clean(name) if name else None
            start = m.start() + lead
            if name and not core.startswith(name):
                start = m.start() + lead + core.find(name)
        if not name:
            continue
        if sentences is None:
            sentences = Sentences(text)
        sentence = sentences.sentence_at(start)
        event = event_in(sentence, founding_words)
        end = start + len(name)
        out.append(Found(InstitutionMention(name=name, surface=name, sentence=sentence, event=event), start, end))
        alias = aliases.get(m.start() + lead + len(core))
        if alias and alias != name:
            out.append(Found(InstitutionMention(name=name, surface=alias, sentence=sentence, event=event), start, end))
    if "(" in text or "（" in text:
        out.extend(_acronym_first(text, founding_words, sentences))
        out.sort(key=lambda f: f.start)
    return out


def _acronym_first(text: str, founding_words: Sequence[str], sentences: Sentences | None) -> list[Found]:
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
        event = event_in(sentence, founding_words)
        for surface in (name, m.group(1)):
            out.append(Found(InstitutionMention(name=name, surface=surface, sentence=sentence, event=event),
                             start, start + len(name)))
    return out


@runtime_checkable
class InstitutionRegistry(Protocol):
    """What the matcher needs from the registry of known institution names.

    A registry may also define `is_wrong(name) -> bool` (names a person marked as not an
    institution); the matcher then never reports those. Both registries here do.
    """

    def is_known(self, name: str) -> bool: ...

    def learn(self, mentions: Iterable[InstitutionMention], article_url: str, now: datetime) -> None: ...

    def resolve_alias(self, surface: str) -> str | None: ...


class MemoryRegistry:
    """A registry in memory: for `rules test` and for tests. Same behaviour as StoreRegistry."""

    def __init__(self, seeds: Sequence[str] = (), aliases: dict[str, Sequence[str]] | None = None):
        self.status: dict[str, str] = {name: "seed" for name in seeds}
        self.first_url: dict[str, str] = {}
        self.mentions: dict[str, int] = {}
        self.aliases: dict[str, str] = {}
        for name, items in (aliases or {}).items():
            self.status.setdefault(name, "seed")
            for alias in items:
                self.aliases[alias] = name

    def is_known(self, name: str) -> bool:
        return name in self.status

    def is_wrong(self, name: str) -> bool:
        return self.status.get(name) == "wrong"

    def lookup(self, names: Iterable[str]) -> dict[str, str]:
        """Status of each registered name among `names`."""
        return {n: self.status[n] for n in names if n in self.status}

    def resolve_alias(self, surface: str) -> str | None:
        return self.aliases.get(surface)

    def learn(self, mentions: Iterable[InstitutionMention], article_url: str, now: datetime) -> None:
        for m in mentions:
            if m.surface != m.name and m.surface not in self.status:
                self.aliases.setdefault(m.surface, m.name)
            if m.name not in self.status:
                self.status[m.name] = "learned"
                self.first_url[m.name] = article_url
            self.mentions[m.name] = self.mentions.get(m.name, 0) + 1

    def mark(self, name: str, status: str) -> None:
        self.status[name] = status


class StoreRegistry:
    """The registry kept in the state database (state/institutions.py), seeded from the config."""

    def __init__(self, store, seeds: Sequence[str] = (), aliases: dict[str, Sequence[str]] | None = None,
                 now: datetime | None = None):
        from state.schema import utcnow

        self.repo = store.institutions
        self.repo.seed(seeds, aliases or {}, now or utcnow())
        self._aliases = self.repo.alias_map()

    def is_known(self, name: str) -> bool:
        return self.repo.status_of(name) is not None

    def is_wrong(self, name: str) -> bool:
        return self.repo.status_of(name) == "wrong"

    def lookup(self, names: Iterable[str]) -> dict[str, str]:
        """Status of each registered name among `names`, in one query."""
        return self.repo.statuses(names)

    def resolve_alias(self, surface: str) -> str | None:
        return self._aliases.get(surface)

    def learn(self, mentions: Iterable[InstitutionMention], article_url: str, now: datetime) -> None:
        mentions = list(mentions)
        self.repo.learn(mentions, article_url, now)
        for m in mentions:
            if m.surface != m.name:
                self._aliases.setdefault(m.surface, m.name)


def canonical(mention: InstitutionMention, registry: InstitutionRegistry) -> InstitutionMention:
    """Map a name written as a known alias (GIST) to its registered name."""
    target = registry.resolve_alias(mention.name)
    return replace(mention, name=target) if target and target != mention.name else mention
