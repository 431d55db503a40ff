"""The word test: particles and suffixes attach, longer words do not match."""
from __future__ import annotations

import pytest

from rules import korean


def forms(text: str, term: str) -> list[str | None]:
    """Every substring hit of term in text: the matched word form, or None when rejected."""
    norm, t = korean.normalize(text), korean.normalize(term)
    out, i = [], norm.find(t)
    while i >= 0:
        end = korean.word_match(norm, i, i + len(t), korean.edge_kind(t[0]), korean.edge_kind(t[-1]))
        out.append(text[i:end] if end >= 0 else None)
        i = norm.find(t, i + 1)
    return out


@pytest.mark.parametrize("text,expected", [
    ("광주의 미래", "광주의"),
    ("광주에서 열린 행사", "광주에서"),
    ("광주시는 발표했다", "광주시는"),
    ("광주광역시에서는 처음", "광주광역시에서는"),
    ("광주를 찾았다", "광주를"),
    ("광주, 전남", "광주"),
    ("‘광주’라는 이름", "광주"),
    ("광주였다.", "광주였다"),
    ("빛고을 광주이다", "광주이다"),
])
def test_particles_and_suffixes_attach(text, expected):
    assert forms(text, "광주") == [expected]


@pytest.mark.parametrize("text", ["광주리에 과일을 담았다", "전광주 대회", "광주리", "광주댁"])
def test_longer_hangul_words_do_not_match(text):
    assert forms(text, "광주") == [None]


@pytest.mark.parametrize("text,expected", [
    ("AI가 바꾼 일상", ["AI가"]),
    ("인공지능(AI) 중심도시", ["AI"]),
    ("국가AI데이터센터", ["AI"]),
    ("ai 기술", ["ai"]),
    ("ＡＩ 반도체", ["ＡＩ"]),
    ("KAIST와 AIST, MAIN, AI2", [None, None, None, None]),
])
def test_latin_terms_are_whole_words_case_insensitive(text, expected):
    assert forms(text, "AI") == expected


def test_term_is_never_shortened():
    # 회의 keeps its 의: it matches 회의에서 but the word 회의 is not 회의의 stem 회 + particle for term 회의.
    assert forms("회의에서 논의했다", "회의") == ["회의에서"]
    assert forms("회의실", "회의") == [None]


def test_normalize_keeps_offsets():
    text = "ＡＩ\u00a0광주 AI"
    assert len(korean.normalize(text)) == len(text)
    assert korean.normalize(text) == "ai 광주 ai"


def test_sentences():
    s = korean.Sentences("첫 문장이다. 둘째 문장! 3.5% 올랐다\n새 줄")
    assert [s.index(p) for p in (0, 8, 15, 24)] == [0, 1, 2, 3]
    assert s.sentence_at(9) == "둘째 문장!"
