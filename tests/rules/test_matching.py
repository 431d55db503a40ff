"""Rules over articles written for these tests."""
from __future__ import annotations

from tests.rules.conftest import NOW, article, rule_ids
from rules import MemoryRegistry

GWANGJU_AI = """
id: gwangju-ai
title: 광주 AI
all:
  - term: 광주
    aliases: [광주광역시, 빛고을]
  - term: 인공지능
    aliases: [AI, A.I., 에이아이]
near: {within: 60}
exclude_context: [경기 광주, 경기도 광주, 광주시 오포읍, 곤지암]
"""


def test_particles_aliases_and_evidence(load):
    rs = load(GWANGJU_AI)
    assert rs.errors == ()
    art = article("빛고을에서 열린 토론회는 에이아이가 바꿀 도시의 모습을 다뤘다.")
    [m] = rs.match(art, feed=None, registry=MemoryRegistry(), now=NOW)
    assert m.rule == "gwangju-ai" and m.title == "광주 AI"
    got = {(e.term, e.matched, e.field) for e in m.evidence}
    assert got == {("광주", "빛고을에서", "body"), ("인공지능", "에이아이가", "body")}
    e = next(e for e in m.evidence if e.term == "광주")
    assert art.text[e.start:e.end] == "빛고을에서" and "빛고을에서" in e.snippet


def test_basket_and_other_words_do_not_match(load):
    rs = load(GWANGJU_AI)
    assert rule_ids(rs, article("시장에서 광주리에 담긴 과일과 AI 스피커를 팔았다.")) == []
    assert rule_ids(rs, article("광주 지역 학생들이 KAIST와 MAIN 행사에 참가했다.")) == []
    assert rule_ids(rs, article("광주 학생들이 AI 수업을 들었다.")) == ["gwangju-ai"]


def test_exclude_context_means_the_metropolitan_city(load):
    rs = load(GWANGJU_AI)
    assert rule_ids(rs, article("경기도 광주시가 AI 데이터센터 건립 계획을 밝혔다.")) == []
    assert rule_ids(rs, article("경기 광주 곤지암 일대에 AI 물류센터가 들어선다.")) == []
    assert rule_ids(rs, article("광주 곤지암읍 주민들이 AI 교육을 받았다.")) == []
    # The same article may also name the metropolitan city: that mention still counts.
    text = "경기도 광주시와 달리 광주광역시는 AI 산업 육성에 나섰다."
    assert rule_ids(rs, article(text)) == ["gwangju-ai"]


def test_proximity_within_characters(load):
    rs = load(GWANGJU_AI)
    far = "광주 시민들이 모였다. " + "오늘은 날씨가 맑았고 행사장은 붐볐다. " * 5 + "AI 이야기도 나왔다."
    assert rule_ids(rs, article(far)) == []
    assert rule_ids(rs, article("광주 시민들이 모였다. AI 이야기가 나왔다.")) == ["gwangju-ai"]


def test_proximity_same_sentence(load):
    rs = load("""
id: s
all: [광주, 인공지능]
near: sentence
""")
    assert rule_ids(rs, article("광주 시민이 모였다. 인공지능 강연이 이어졌다.")) == []
    assert rule_ids(rs, article("광주 시민이 인공지능 강연을 들었다. 끝.")) == ["s"]


def test_any_none_min_mentions_fields(load):
    rs = load("""
rules:
  - id: any-none
    any: [반도체, 배터리]
    none: [주식, 코스피]
  - id: twice
    all: [광주]
    min_mentions: 2
  - id: title-only
    all: [광주]
    fields: [title]
""")
    assert rs.errors == ()
    assert rule_ids(rs, article("배터리 공장이 지어진다.")) == ["any-none"]
    assert rule_ids(rs, article("배터리 관련 주식이 올랐다.")) == []
    assert rule_ids(rs, article("광주에서 한 번.")) == []
    assert rule_ids(rs, article("광주에서 한 번, 광주시가 또 한 번.")) == ["twice"]
    assert rule_ids(rs, article("본문에는 없다", title="광주 소식")) == ["title-only"]


def test_rule_level_aliases_apply_everywhere(load):
    rs = load("""
id: ai
aliases:
  인공지능: [AI, 에이아이]
any: [인공지능]
""")
    assert rule_ids(rs, article("AI가 답했다.")) == ["ai"]


def test_sources_languages_and_disabled(load):
    rs = load("""
rules:
  - id: only-a
    any: [광주]
    sources: {include: [피드A]}
  - id: not-b
    any: [광주]
    sources: {exclude: [outlet b]}
  - id: english
    any: [gwangju]
    languages: [en]
  - id: off
    enabled: false
    any: [광주]
""")
    assert rule_ids(rs, article("광주 소식"), feed="피드A") == ["only-a", "not-b"]
    assert rule_ids(rs, article("광주 소식", site_name="Outlet B"), feed="피드C") == []
    assert rule_ids(rs, article("News from Gwangju", language="en")) == ["english"]
    assert rule_ids(rs, article("Gwangju", language="ko")) == []


def test_regex_terms_and_a_catastrophic_pattern_finishes(load):
    rs = load(r"""
rules:
  - id: nested
    any:
      - regex: "(a+)+$"
  - id: money
    all: [광주]
    regex: "[0-9]+억\\s?원"
""")
    assert rs.errors == ()
    # With a backtracking engine this input takes longer than the age of the universe; RE2 is linear.
    evil = "a" * 50_000 + "!"
    assert rule_ids(rs, article(evil)) == []
    assert rule_ids(rs, article("a" * 50_000)) == ["nested"]
    [m] = rs.match(article("광주시가 120억 원을 투자한다."), feed=None, registry=MemoryRegistry(), now=NOW)
    assert {e.matched for e in m.evidence} == {"광주시가", "120억 원"}


def test_a_rule_that_fails_at_match_time_does_not_stop_others(load, monkeypatch):
    rs = load("""
rules:
  - id: one
    any: [광주]
  - id: two
    any: [광주]
""")
    original = rs.matcher._evaluate

    def broken(cr, *a):
        if cr.rule.id == "one":
            raise RuntimeError("boom")
        return original(cr, *a)

    monkeypatch.setattr(rs.matcher, "_evaluate", broken)
    assert rule_ids(rs, article("광주 소식")) == ["two"]


def test_a_lead_repeated_in_the_body_counts_once(load):
    rs = load("""
rules:
  - id: twice
    all: [광주]
    min_mentions: 2
  - id: lead-only
    all: [광주]
    fields: [lead]
""")
    lead = "광주에서 새 사업이 시작됐다."
    assert rule_ids(rs, article(lead + "\n다른 문단이다.", lead=lead)) == ["lead-only"]
    assert rule_ids(rs, article("본문에는 광주가 한 번.", lead=lead)) == ["twice", "lead-only"]


def test_one_sense_per_article_after_an_exclusion(load):
    rs = load(GWANGJU_AI)
    gyeonggi = ("경기도 광주시는 교차로 30곳에 인공지능 신호 제어를 도입한다고 밝혔다.\n"
                "광주시 관계자는 AI 신호 체계를 시 전역으로 넓히겠다고 말했다.")
    # the second sentence's bare 광주시 is the same 경기도 광주시 the article started with
    assert rule_ids(rs, article(gyeonggi)) == []
    both = gyeonggi + "\n한편 광주광역시도 AI 교통 실증을 준비하고 있다."
    # naming 광주광역시 outright brings the metropolitan city back into the article
    assert rule_ids(rs, article(both)) == ["gwangju-ai"]
