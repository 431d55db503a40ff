"""The two real articles the project started from (read in place from ../shared/corpus; skipped when absent)."""
from __future__ import annotations

from pathlib import Path

import pytest

from newswatch.models import Article
from rules import MemoryRegistry, find_institutions, load_rules
from rules.institutions import name_key
from tests.rules.conftest import NOW

pytestmark = pytest.mark.corpus
RULES = Path(__file__).resolve().parents[2] / "rules"


def seed_articles(corpus: Path) -> list[Article]:
    files = sorted((corpus / "seeds").glob("*.txt"))
    if len(files) < 2:
        pytest.skip("seed articles not found")
    out = []
    for f in files:
        title, _, body = f.read_text(encoding="utf-8").partition("\n")
        out.append(Article(url=f.name, title=title.strip(), text=body))
    return out


def reported(matches) -> set[str]:
    return {i.name for m in matches if m.rule == "new-institution" for i in m.institutions}


def test_both_seeds_match_gwangju_ai(corpus):
    rs = load_rules([RULES])
    for art in seed_articles(corpus):
        matches = rs.match(art, feed=None, registry=MemoryRegistry(), now=NOW)
        assert "gwangju-ai" in [m.rule for m in matches], art.url


def test_new_institution_reports_what_each_seed_adds(corpus):
    rs = load_rules([RULES])
    first, second = seed_articles(corpus)
    alone_second = reported(rs.match(second, feed=None, registry=MemoryRegistry(), now=NOW))
    reg = MemoryRegistry()
    got_first = reported(rs.match(first, feed=None, registry=reg, now=NOW))
    got_second = reported(rs.match(second, feed=None, registry=reg, now=NOW))
    # The meeting report names GIST, the Gwangju technopark, ETRI and the creative-economy centre ...
    assert {"광주전남연구원", "광주과학기술원", "광주테크노파크", "한국전자통신연구원", "광주창조경제혁신센터",
            "광주정보문화산업진흥원", "인공지능산업융합사업단"} <= got_first
    # ... the dialogue names companies, the AI school and the national AI data centre.
    assert {"인트플로우", "광주인공지능사관학교", "국가AI데이터센터"} <= got_second
    # Each institution once: no second spelling (AI연구소 beside 인공지능연구소, 국가인공지능(AI)데이터센터
    # beside 국가AI데이터센터) and no tail of a longer name (인공지능사관학교); no zone, title or generic word.
    for got in (got_first, got_second):
        keys = [name_key(n) for n in got]
        assert len(set(keys)) == len(keys), got
        assert not any(a != b and a.endswith(b) for a in keys for b in keys), got
    assert got_first == {"광주전남연구원", "광주과학기술원", "인공지능연구소", "광주창조경제혁신센터", "광주정보문화산업진흥원",
                         "인공지능산업융합사업단", "광주테크노파크", "인공지능실증지원센터", "한국전자통신연구원",
                         "인공지능지원연구센터"}
    # 인공지능(AI)융합인재양성사업단 is written only in its head's title (…사업단장): its stem is specific.
    assert got_second == {"광주인공지능사관학교", "인트플로우", "AI캠퍼스", "국가AI데이터센터", "엔큐브",
                          "인공지능(AI)융합인재양성사업단"}
    # No person (곽상민 and friends attend as staff of these institutions) is taken for one.
    people = {"곽상민", "공득조", "곽재도", "염승엽", "이병탁", "한경록", "강기정", "전광명", "함민혁"}
    assert not any(p in name for name in got_first | got_second for p in people)
    # After the first, the second reports only the names the first did not already introduce.
    first_names = {m.name for m in find_institutions(first.title + "\n" + first.text)}
    assert got_second == alone_second - first_names
    # Seen again, the first article adds nothing (it reports no founding event either).
    assert reported(rs.match(first, feed=None, registry=reg, now=NOW)) == set()
    assert reg.resolve_alias("광주TP") == "광주테크노파크" and reg.resolve_alias("GIST") == "광주과학기술원"
