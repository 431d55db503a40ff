"""Rule files in a running pipeline: a broken file is skipped and named, an edited file applies next cycle."""
from __future__ import annotations

from datetime import timedelta

import yaml
from sqlalchemy import select

from newswatch.cycle import run_cycle
from state import Store, schema
from tests.core.test_cycle import NOW, _config, _feed, _page

CHIPS = ["광주광역시는 반도체 설계 지원센터를 다음 달 첨단지구에 연다고 밝혔다.",
         "센터는 지역 팹리스 기업 스무 곳에 설계 도구와 시제품 제작 비용을 지원한다.",
         "시는 앞으로 3년 동안 모두 90억 원을 투입해 설계 인력 200명을 길러낼 계획이다."]
SCHOOL = ["광주광역시 교육청은 올해 2학기부터 중학교 마흔 곳에서 인공지능 수업을 시작한다고 밝혔다.",
          "수업은 한 학기 열일곱 시간으로, 학생들이 직접 간단한 분류 모델을 만들어 보는 실습이 중심이다.",
          "교육청은 여름방학 동안 교사 120명을 대상으로 연수를 열어 수업 준비를 돕는다."]
BATTERY = ["광주광역시 광산구의 한 배터리 부품 공장이 생산 라인을 두 배로 늘린다.",
           "회사는 내년 봄까지 설비를 들여 연간 생산량을 40만 개로 끌어올릴 계획이다.",
           "공장 증설로 새 일자리 80개가 생길 것으로 시는 내다봤다."]


def _write_rule(folder, name, data):
    (folder / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _matched(store) -> set[tuple[str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(schema.matches.c.rule, schema.articles.c.canonical_url)
                            .join(schema.articles, schema.articles.c.id == schema.matches.c.article_id)).all()
    return {(rule, url.rsplit("/", 1)[-1]) for rule, url in rows}


def test_a_broken_rule_file_is_skipped_and_named_and_an_edit_applies_next_cycle(tmp_path, http_server):
    srv = http_server
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    _write_rule(rules_dir, "chips.yaml", {"id": "chips", "all": ["광주", "반도체"]})
    _write_rule(rules_dir, "near.yaml", {"id": "bad-near", "all": ["광주"], "near": {"within": -3}})
    (rules_dir / "broken.yaml").write_text("id: half\nall: [광주, 반도체\n", encoding="utf-8")  # YAML syntax
    srv.routes["/rss"] = _feed([("광주 반도체 설계 지원", srv.url("/chips"), "chips", "")])
    srv.routes["/chips"] = _page("광주 반도체 설계 지원", CHIPS)
    settings = _config(tmp_path, [{"name": "f", "url": srv.url("/rss")}], rules=[str(rules_dir)])
    store = Store.open(settings.state_url)

    first = run_cycle(settings, store, now=NOW, echo=lambda _: None)
    # the valid rule still ran; each bad file is named with where and why
    assert first.matches_per_rule == {"chips": 1}
    skipped = dict(first.rules_skipped)
    assert len(skipped) == 2
    [(near_where, near_why)] = [(w, r) for w, r in skipped.items() if "near.yaml" in w]
    assert near_where.startswith(str(rules_dir / "near.yaml") + ":") and "'bad-near'" in near_why and "near.within" in near_why
    [broken_where] = [w for w in skipped if "broken.yaml" in w]
    assert broken_where.startswith(str(rules_dir / "broken.yaml") + ":") and skipped[broken_where]

    # between cycles: the rule is edited (반도체 -> 인공지능) and the bad one fixed, with no restart
    _write_rule(rules_dir, "chips.yaml", {"id": "chips", "all": ["광주", "인공지능"]})
    _write_rule(rules_dir, "near.yaml", {"id": "bad-near", "all": ["배터리"]})
    srv.routes["/rss"] = _feed([("광주 중학교 인공지능 수업", srv.url("/school"), "school", ""),
                                ("광산구 배터리 공장 증설", srv.url("/battery"), "battery", "")])
    srv.routes["/school"] = _page("광주 중학교 인공지능 수업", SCHOOL)
    srv.routes["/battery"] = _page("광산구 배터리 공장 증설", BATTERY)
    second = run_cycle(settings, store, now=NOW + timedelta(minutes=20), echo=lambda _: None)
    assert second.articles_extracted == 2
    assert [w for w, _ in second.rules_skipped] == [broken_where]
    assert second.matches_per_rule == {"chips": 1, "bad-near": 1}
    assert _matched(store) == {("chips", "chips"), ("chips", "school"), ("bad-near", "battery")}
    store.close()
