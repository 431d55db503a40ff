"""Institution names in invented Korean news text, and new-institution rules over a registry."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from rules import MemoryRegistry, StoreRegistry, find_institutions
from tests.rules.conftest import NOW, article

RULES = Path(__file__).resolve().parents[2] / "rules"

TEXT = (
    "빛고을미래연구원은 3일 ‘AI 도시 광주’ 포럼을 열었다. "
    "이날 포럼에는 ▲김민준 광주미래산업진흥원 정책실장 ▲이서연 남도AI데이터센터 센터장 "
    "▲한서준 남도정보문화진흥원 인공지능사업단(이하 AI사업단) 단장 ▲박지훈 한빛과학기술원(HBIST) 교수 ▲최유진 무등테크노파크(이하 무등TP) 팀장이 참석했다. "
    "정하늘 빛고을미래연구원장은 “기관과 기업, 시민이 함께해야 한다”고 말했다. "
    "행사에는 ㈜비전누리, 달빛로봇㈜, (주)솔바람랩 관계자도 참석했다. "
    "한편 광주시는 이날 남도인공지능실증센터를 개소했다고 밝혔다. "
    "주식회사 새빛소프트도 참여했다."
)


def names(text: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for m in find_institutions(text):
        out.setdefault(m.name, set()).add(m.surface)
    return out


def test_finds_names_by_suffix_marker_and_alias():
    got = names(TEXT)
    assert set(got) == {
        "빛고을미래연구원", "광주미래산업진흥원", "남도AI데이터센터", "한빛과학기술원", "무등테크노파크",
        "비전누리", "달빛로봇", "솔바람랩", "남도인공지능실증센터", "새빛소프트", "남도정보문화진흥원", "인공지능사업단",
    }
    assert got["인공지능사업단"] == {"인공지능사업단", "AI사업단"}
    assert got["한빛과학기술원"] == {"한빛과학기술원", "HBIST"}
    assert got["무등테크노파크"] == {"무등테크노파크", "무등TP"}


def test_people_places_and_generic_words_are_not_institutions():
    got = names(TEXT)
    for word in ("김민준", "이서연", "정하늘", "광주시", "기관", "기업", "시민", "연구원장"):
        assert not any(word == n or n.startswith(word + " ") for n in got), word
    assert names("신입 연구원은 책임연구원과 함께 대학에 갔다. 데이터센터만으로는 부족하다.") == {}


def test_founding_event_is_taken_from_the_same_sentence():
    by_name = {m.name: m for m in find_institutions(TEXT)}
    assert by_name["남도인공지능실증센터"].event == "개소"
    assert by_name["빛고을미래연구원"].event is None
    assert "개소했다" in by_name["남도인공지능실증센터"].sentence


NEW_RULE = """
id: new-org
type: new_institution
all:
  - term: 광주
    aliases: [빛고을]
  - term: 인공지능
    aliases: [AI]
near: {within: 400}
"""


def reported(rs, art, registry, now=NOW):
    [m] = [m for m in rs.match(art, feed=None, registry=registry, now=now) if m.rule == "new-org"] or [None]
    return {(i.name, i.is_new, i.event) for i in m.institutions} if m else set()


def test_new_institution_rule_reports_only_what_is_new(load):
    rs = load(NEW_RULE)
    reg = MemoryRegistry(seeds=["광주미래산업진흥원"])
    first = article(TEXT, url="https://news.example/a")
    got = reported(rs, first, reg)
    assert ("광주미래산업진흥원", False, None) not in got  # seeded: known
    assert ("빛고을미래연구원", True, None) in got
    assert ("남도인공지능실증센터", True, "개소") in got
    second = article("광주 AI 업계에서는 빛고을미래연구원과 AI사업단, 새로 생긴 달무리연구소가 주목받는다.",
                     url="https://news.example/b")
    # Only 달무리연구소 is new: the others were learned from the first article (AI사업단 as an alias).
    assert reported(rs, second, reg) == {("달무리연구소", True, None)}
    # An institution already known but reported founded again is still reported (founding event).
    third = article("광주 인공지능 산업의 거점인 남도인공지능실증센터가 2관을 준공했다.", url="https://news.example/c")
    assert reported(rs, third, reg) == {("남도인공지능실증센터", False, "준공")}


def test_out_of_scope_articles_still_teach_the_registry(load):
    rs = load(NEW_RULE)
    reg = MemoryRegistry()
    assert rs.match(article("부산 해양연구원이 문을 열었다."), feed=None, registry=reg, now=NOW) == []
    assert reg.is_known("해양연구원")
    art = article("광주 AI 행사에 해양연구원이 참여했다.")
    assert reported(rs, art, reg) == set()


def test_marked_wrong_names_are_never_reported(load):
    rs = load(NEW_RULE)
    reg = MemoryRegistry()
    reg.mark("달무리연구소", "wrong")
    art = article("광주 AI 업계에서는 달무리연구소가 주목받는다.")
    assert reported(rs, art, reg) == set()


def test_store_registry_persists_between_runs(load, store):
    rs = load(NEW_RULE)
    reg = StoreRegistry(store, seeds=["광주미래산업진흥원"])
    got = reported(rs, article(TEXT, url="https://news.example/a"), reg)
    assert ("무등테크노파크", True, None) in got
    again = StoreRegistry(store, seeds=["광주미래산업진흥원"])  # a later cycle
    second = article("광주 AI 업계에서는 AI사업단과 달무리연구소가 주목받는다.", url="https://news.example/b")
    assert reported(rs, second, again, NOW + timedelta(hours=1)) == {("달무리연구소", True, None)}
    rec = store.institutions.get("무등테크노파크")
    assert rec.status == "learned" and "무등TP" in rec.aliases and rec.first_article_url == "https://news.example/a"
    assert store.institutions.get("광주미래산업진흥원").status == "seed"
    store.institutions.mark("달무리연구소", "wrong", NOW)
    third = article("광주 AI 업계에서 달무리연구소가 또 주목받는다.", url="https://news.example/c")
    assert reported(rs, third, StoreRegistry(store)) == set()


class MinimalRegistry:
    """Only the three methods of the InstitutionRegistry protocol (no lookup, no is_wrong)."""

    def __init__(self):
        self.names: set[str] = set()

    def is_known(self, name):
        return name in self.names

    def learn(self, mentions, article_url, now):
        self.names.update(m.name for m in mentions)

    def resolve_alias(self, surface):
        return None


def test_a_registry_with_only_the_protocol_methods_works(load):
    from rules import InstitutionRegistry

    rs = load(NEW_RULE)
    reg = MinimalRegistry()
    assert isinstance(reg, InstitutionRegistry)
    art = article("광주 AI 업계에서는 달무리연구소가 주목받는다.")
    assert reported(rs, art, reg) == {("달무리연구소", True, None)}
    assert reported(rs, art, reg) == set()


def test_acronym_first_and_alias_followed_by_a_particle():
    got = names("빛고을대와 HBIST(한빛과학기술원)가 협약을 맺었다. 무등테크노파크(이하 무등TP)는 참여하지 않았다.")
    assert got == {"한빛과학기술원": {"한빛과학기술원", "HBIST"}, "무등테크노파크": {"무등테크노파크", "무등TP"}}
    got = names("달빛전자(주) 대표와 (주)솔바람랩 이사가 만났다.")
    assert got == {"달빛전자": {"달빛전자"}, "솔바람랩": {"솔바람랩"}}


# -- people, places, generic words -------------------------------------------------------

def test_people_whose_names_end_like_an_institution_are_not_institutions():
    text = ("행사에는 김센터 씨와 이재단 씨, 최공단 씨가 참석했고 박대학 교수가 사회를 봤다. "
            "남궁센터 씨도 왔다. 한솔 님과 정재단 님은 오지 않았다.")
    assert names(text) == {}
    # a real name before the same words is still found
    assert set(names("달빛AI센터 연구진과 빛고을재단 이사가 함께했다.")) == {"달빛AI센터", "빛고을재단"}


def test_zones_are_places_not_institutions():
    text = "광주연구개발특구와 빛그린산업단지, 첨단3지구 AI클러스터에 기업이 모인다."
    assert names(text) == {}
    # the body that runs a zone carries a suffix of its own
    assert set(names("광주연구개발특구본부는 입주 기업을 모집한다.")) == {"광주연구개발특구본부"}


def test_generic_words_titles_and_bare_places_are_not_institutions():
    text = ("주민들은 동네 문화센터와 광주센터, 서구본부를 찾았다. 인공지능 집적단지 조성사업단장은 "
            "설명회를 열었고, 김하늘 센터장과 빛고을연구원장, 달무리재단이사장도 참석했다. "
            "동재단과 각센터, 창업지원단, 연구재단도 언급됐다.")
    assert names(text) == {}
    # a place before a strong suffix, or a place with more than one word before it, is a name
    assert set(names("광주과학기술원과 무등대학교, 광주문화재단이 협약했다.")) == {"광주과학기술원", "무등대학교", "광주문화재단"}


def test_a_specific_organisation_in_a_head_s_title_is_an_institution():
    text = ("토론회에는 김바다 빛고을대 인공지능(AI)융합인재양성사업단장과 박솔 한빛전자통신연구원장, "
            "최누리 남도AI센터장이 참석했다. 좌장은 광주스마트시티사업단장이 맡았다.")
    got = names(text)
    assert set(got) == {"인공지능(AI)융합인재양성사업단", "한빛전자통신연구원", "남도AI센터", "광주스마트시티사업단"}
    # the person holding the title is not an institution
    assert not any(p in n for n in got for p in ("김바다", "박솔", "최누리", "좌장"))
    # one name per institution: the title and the name written alone are one mention each, same name
    assert [m.name for m in find_institutions("남도AI센터는 문을 열었다. 남도AI센터장은 기뻐했다.")] == ["남도AI센터"] * 2


def test_a_generic_or_bare_organisation_in_a_head_s_title_is_not():
    text = ("빛고을대 추진단장과 사업단장, 도시숲 조성사업단장, 인재양성사업단장, 지역혁신센터장이 모였다. "
            "빛고을센터장과 광주본부장, AI센터장, 달무리연구소장, 빛고을아파트공사장 소장도 함께했다.")
    assert names(text) == {}


# -- founding events -----------------------------------------------------------------------

def events(text: str) -> dict[str, str | None]:
    return {m.name: m.event for m in find_institutions(text)}


def test_a_founding_word_inside_another_word_is_no_event():
    assert events("광주과학기술원 부설 유치원에서 학부모 설명회가 열렸다.") == {"광주과학기술원": None}
    assert events("빛고을연구원 설립자의 흉상이 세워졌다.") == {"빛고을연구원": None}
    assert events("남도병원 개원의들이 모여 의료 AI를 논의했다.") == {"남도병원": None}
    assert events("무등AI센터는 데이터센터 유치전에 뛰어든 도시들을 분석했다.") == {"무등AI센터": None}


def test_a_founding_word_must_be_attached_to_the_name():
    # the founding word belongs to another noun of the sentence
    assert events("광주과학기술원은 기업 유치에 힘쓰겠다고 밝혔다.") == {"광주과학기술원": None}
    assert events("빛고을연구원 관계자는 “올해 안에 새 법인을 설립할 것”이라고 말했다.") == {"빛고을연구원": None}
    # too far from the name
    assert events("빛고을연구원은 3일 오전 시청 대회의실에서 지역 기업 대표 서른 명과 간담회를 열고 분원 설립 문제를 논의했다.") \
        == {"빛고을연구원": None}
    # the founder is not founded: only the object of 설립 gets the event
    assert events("빛고을연구원은 올해 달무리재단을 설립했다.") == {"빛고을연구원": None, "달무리재단": "설립"}


def test_founding_events_attached_to_the_name():
    assert events("남도AI센터 개소…지역 기업 지원") == {"남도AI센터": "개소"}
    assert events("남도AI센터가 지난달 첨단지구에서 개소했다.") == {"남도AI센터": "개소"}
    assert events("광주시는 이날 남도AI센터를 개소했다.") == {"남도AI센터": "개소"}
    assert events("빛고을AI재단이 올해 설립됐다.") == {"빛고을AI재단": "설립"}
    assert events("시는 국가AI데이터센터 유치에 성공했다.") == {"국가AI데이터센터": "유치"}
    assert events("최근 개원한 남도AI병원은 환자가 많다.") == {"남도AI병원": "개원"}
    assert events("남도AI센터의 개소식이 내일 열린다.") == {"남도AI센터": "개소"}
    assert events("빛고을AI재단 출범식 준비가 한창이다.") == {"빛고을AI재단": "출범"}  # the ceremony counts
    assert events("한빛과학기술원(HBIST)이 2관을 준공했다.")["한빛과학기술원"] == "준공"
    assert events("HBIST(한빛과학기술원)가 올해 설립됐다.")["한빛과학기술원"] == "설립"


def test_urgent_rule_does_not_fire_for_a_known_institute_near_a_kindergarten(load):
    rs = load((RULES / "new-institution.yaml").read_text(encoding="utf-8"))
    reg = MemoryRegistry(seeds=["광주과학기술원"])
    art = article("광주과학기술원 부설 유치원에서 인공지능 교육 발표회가 열렸다. 광주 지역 어린이 50명이 참여했다.")
    assert rs.match(art, feed=None, registry=reg, now=NOW) == []


def test_a_rule_with_its_own_founding_words_looks_at_the_name(load):
    rs = load(NEW_RULE + "alert_on: [founding]\nfounding_words: [문을 열, 개관]\n")
    reg = MemoryRegistry(seeds=["남도AI센터", "빛고을연구원"])
    art = article("광주 AI 업계에서는 남도AI센터가 새 건물에서 문을 열었다. 빛고을연구원 개관 준비도 한창이다.")
    assert reported(rs, art, reg) == {("남도AI센터", False, "문을 열"), ("빛고을연구원", False, "개관")}


# -- one institution, several spellings ----------------------------------------------------------

def test_spellings_of_ai_are_one_name():
    from rules.institutions import name_key

    assert name_key("국가인공지능(AI)데이터센터") == name_key("국가AI데이터센터") == name_key("국가인공지능데이터센터")
    assert name_key("인공지능연구소") == name_key("AI연구소") == name_key("ai연구소")
    got = names("빛고을대 인공지능연구소와 빛고을대 AI연구소는 같은 곳이다. 남도 국가AI데이터센터, 곧 "
                "국가인공지능(AI)데이터센터는 2관을 짓는다.")
    assert got == {"인공지능연구소": {"인공지능연구소", "AI연구소"},
                   "국가AI데이터센터": {"국가AI데이터센터", "국가인공지능(AI)데이터센터"}}


def test_a_tail_of_a_longer_name_in_the_same_article_is_that_name():
    got = names("광주인공지능사관학교 수료식이 열렸다. 인공지능사관학교 졸업생 30명이 취업했다.")
    assert got == {"광주인공지능사관학교": {"광주인공지능사관학교", "인공지능사관학교"}}
    # two longer names end with it: which one is meant is unknown, so it stays as written
    got = names("광주인공지능사관학교와 부산인공지능사관학교가 교류한다. 인공지능사관학교 운영 방식이 다르다.")
    assert set(got) == {"광주인공지능사관학교", "부산인공지능사관학교", "인공지능사관학교"}


def test_one_name_per_institution_in_an_article_and_in_the_registry(load, store):
    rs = load(NEW_RULE)
    text = ("광주 AI 업계에서는 광주인공지능사관학교와 국가인공지능(AI)데이터센터가 주목받는다. "
            "인공지능사관학교 수료생들은 국가AI데이터센터에서 실습한다.")
    reg = MemoryRegistry()
    assert reported(rs, article(text), reg) == {("광주인공지능사관학교", True, None), ("국가인공지능(AI)데이터센터", True, None)}
    # registry lookups use the key: another spelling of a known name is not new
    for registry in (MemoryRegistry(seeds=["국가AI데이터센터"]), StoreRegistry(store, seeds=["국가AI데이터센터"])):
        art = article("광주 인공지능 업계는 국가인공지능데이터센터 활용법을 논의했다.", url="https://news.example/k")
        assert reported(rs, art, registry) == set()
    again = StoreRegistry(store)  # a later cycle: the learned spelling resolves too
    art = article("광주 AI 업계는 국가인공지능(AI)데이터센터 2관을 기다린다.", url="https://news.example/l")
    assert reported(rs, art, again) == set()
