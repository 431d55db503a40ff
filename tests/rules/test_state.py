"""MatchRepo and InstitutionRepo on SQLite (the same Core queries run on PostgreSQL)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from newswatch.models import Evidence, InstitutionMention, Match
from tests.rules.conftest import NOW

MATCH = Match(
    rule="gwangju-ai", title="광주 AI", priority="urgent", destinations=("team",),
    evidence=(Evidence("광주", "광주에서", "body", 3, 7, "…광주에서 열린…"),),
    institutions=(InstitutionMention("빛고을연구원", "빛고을연구원", "빛고을연구원이 문을 열었다.", "개소", True),),
)


def test_a_match_is_recorded_once_and_read_back(store):
    assert store.matches.record(1, MATCH, NOW, story_id=9) is True
    assert store.matches.record(1, MATCH, NOW + timedelta(minutes=1)) is False
    assert store.matches.for_article(1) == [MATCH]
    assert store.matches.since(NOW - timedelta(days=1)) == [(1, MATCH)]
    assert store.matches.counts_by_rule(NOW - timedelta(days=1)) == {"gwangju-ai": 1}


def test_replace_is_for_realert_on_update(store):
    store.matches.record(1, MATCH, NOW)
    updated = Match(rule="gwangju-ai", title="광주 AI", evidence=(Evidence("광주", "광주시", "title", 0, 3, "광주시"),))
    assert store.matches.record(1, updated, NOW + timedelta(hours=1), replace=True) is True
    assert store.matches.for_article(1) == [updated]


def test_institution_registry_rows(store):
    repo = store.institutions
    repo.seed(["광주테크노파크"], {"광주테크노파크": ["광주TP"]}, NOW)
    repo.seed(["광주테크노파크"], {}, NOW)  # idempotent
    created = repo.learn([
        InstitutionMention("달무리연구소", "달무리연구소", "s"),
        InstitutionMention("달무리연구소", "달무리연구소", "s"),
        InstitutionMention("한빛과학기술원", "HBIST", "s"),
        InstitutionMention("광주테크노파크", "광주테크노파크", "s"),
    ], "https://news.example/a", NOW)
    assert sorted(created) == ["달무리연구소", "한빛과학기술원"]
    assert repo.get("달무리연구소").mentions == 2
    assert repo.get("광주테크노파크").status == "seed" and repo.get("광주테크노파크").mentions == 1
    assert repo.alias_map() == {"광주TP": "광주테크노파크", "HBIST": "한빛과학기술원"}
    assert repo.mark("달무리연구소", "wrong", NOW) is True
    assert repo.mark("새이름재단", "known", NOW) is False
    assert [r.name for r in repo.list("wrong")] == ["달무리연구소"]
    assert {r.name for r in repo.list()} == {"광주테크노파크", "달무리연구소", "한빛과학기술원", "새이름재단"}
    with pytest.raises(ValueError):
        repo.mark("x", "maybe", NOW)
