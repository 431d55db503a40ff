"""Institution names in invented Korean news text, and new-institution rules over a registry."""
from __future__ import annotations

from datetime import timedelta

from rules import MemoryRegistry, StoreRegistry, find_institutions
from tests.rules.conftest import NOW, article

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
