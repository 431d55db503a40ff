"""Rendering: grouping, marked terms, "+N outlets", why, institutions, Slack limits, e-mail subject."""
from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from digests.model import build_digest, item_from_json, item_to_json, make_snippet, mark_segments
from digests.queue import make_item
from digests.render_email import render_email
from digests.render_slack import check_payload, render_slack, slack_messages
from digests.render_text import render_markdown, render_text
from newswatch.models import Outlet
from tests.digests.helpers import T0, article, match, story

SEOUL = ZoneInfo("Asia/Seoul")


def items(n: int, rule="gwangju-ai", title="광주 AI", new_inst_at=(), start=0, **kw):
    out = []
    for i in range(start, start + n):
        a = article(i, T0 + timedelta(minutes=i))
        out.append(make_item(story(i), a, match(rule, title, new_inst=i in new_inst_at, **kw), "team"))
    return out


def test_grouped_by_rule_urgent_first_newest_first():
    d = build_digest(items(3) + items(2, rule="urgent-rule", title="긴급 규칙", priority="urgent", start=10), SEOUL, T0)
    assert [s.title for s in d.sections] == ["긴급 규칙", "광주 AI"]
    times = [e.item.published for e in d.sections[1].stories]
    assert times == sorted(times, reverse=True)
    assert d.count == 5


def test_story_content_in_text_and_markdown():
    d = build_digest(items(3, new_inst_at=(2,)), SEOUL, T0)
    text = render_text(d)
    assert text.startswith("[newswatch] 광주 AI 3건 · 신규 기관 1곳")
    assert "빛고을일보 · 11월 21일 (토) 08:00" in text  # outlet and Seoul local time (23:00 UTC)
    assert "*인공지능*" in text  # matched term marked
    assert "+2개 매체: 남도경제, 호남뉴스" in text
    assert '왜 알림이 왔나: "광주" 본문·제목, "인공지능" 본문' in text
    assert "■ 신규 기관 (1곳)" in text and "광주AI융합센터 (신규 기관 · 설립 소식: 개소)" in text
    md = render_markdown(d)
    assert "[광주시, 인공지능 데이터센터 2단계 착공 \\(0\\)](https://news0.example.kr/a/100)" in md or "](https://news0.example.kr/a/100)" in md
    assert "**인공지능**" in md


def test_payload_round_trip():
    item = items(1, new_inst_at=(0,))[0]
    assert item_from_json(item_to_json(item)) == item


def test_snippet_is_one_or_two_sentences_around_the_match():
    body = "첫 문장은 관계없다. 두 번째 문장에 광주 소식이 있다. 세 번째 문장도 있다. 네 번째."
    ev = match().evidence
    snip = make_snippet("", body, ev)
    assert snip.startswith("두 번째 문장에 광주") and "네 번째" not in snip
    long = "가" * 500 + " 광주시가 " + "나" * 500
    assert len(make_snippet("", long, ev)) <= 245 and "광주시가" in make_snippet("", long, ev)


def test_marking_prefers_longest_form():
    segs = mark_segments("광주시가 광주에서", ["광주", "광주시가"])
    assert segs == [("광주시가", True), (" ", False), ("광주", True), ("에서", False)]


def test_slack_long_digest_splits_in_order_within_limits():
    many = items(60, new_inst_at=(5, 40))
    d = build_digest(many, SEOUL, T0)
    payloads = render_slack(d)
    assert len(payloads) > 1
    for p in payloads:
        assert check_payload(p) == []
    joined = "\n".join(p["blocks"][1]["text"]["text"] for p in payloads)
    urls = re.findall(r"<(https://news0\.example\.kr/a/\d+)\|", joined)
    expected = [e.item.url for s in d.sections for e in s.stories]
    assert [u for u in urls if u in expected][: len(expected)] == expected  # every story, in digest order
    headers = [p["blocks"][0]["text"]["text"] for p in payloads]
    assert headers[0].endswith(f"[1/{len(payloads)}]") and headers[-1].endswith(f"[{len(payloads)}/{len(payloads)}]")


def test_slack_story_larger_than_a_section_is_split_not_cut():
    base = items(1)[0]
    outlets = tuple(Outlet(f"아주긴이름의지역신문사{k:03d}", f"https://o{k}.example.kr/") for k in range(300))
    big = base.__class__(**{**{f: getattr(base, f) for f in base.__slots__}, "also_in": outlets})
    d = build_digest([big], SEOUL, T0)
    msgs = slack_messages(d)
    assert len(msgs) > 1
    for p, _ in msgs:
        assert check_payload(p) == []
    joined = "".join(p["blocks"][1]["text"]["text"] for p, _ in msgs)
    for o in outlets:
        assert o.name in joined
    # the item is recorded with the last message that holds a piece of it
    assert msgs[-1][1] == [(big.story_id, big.rule)] and all(k == [] for _, k in msgs[:-1])


def test_slack_escapes_and_links():
    base = items(1)[0]
    odd = base.__class__(**{**{f: getattr(base, f) for f in base.__slots__}, "title": "A&B <속보> 광주", "url": "https://x.kr/a?b=1&c=2|x"})
    text = render_slack(build_digest([odd], SEOUL, T0))[0]["blocks"][1]["text"]["text"]
    assert "<https://x.kr/a?b=1&c=2%7Cx|A&amp;B &lt;속보&gt; 광주>" in text


def test_email_subject_html_and_text():
    subject, html, text = render_email(build_digest(items(5, new_inst_at=(1,)), SEOUL, T0))
    assert subject == "[newswatch] 광주 AI 5건 · 신규 기관 1곳"
    assert '<meta name="viewport"' in html and "<table" not in html and "max-width:640px" in html
    assert 'href="https://news0.example.kr/a/103"' in html
    assert "왜 알림이 왔나" in html and "신규 기관" in html
    assert text.startswith(subject)


def test_empty_digest_says_so():
    d = build_digest([], SEOUL, T0)
    assert "새로 알릴 기사가 없습니다" in render_text(d)
    assert check_payload(render_slack(d)[0]) == []
    assert render_email(d)[0] == "[newswatch] 새 소식 없음"


def _inst_match(name: str, event: str | None, is_new: bool, rule="new-institution", title="새 기관"):
    from newswatch.models import Evidence, InstitutionMention, Match

    label = "new institution" if is_new else f"founding: {event}"
    sentence = f"{name}가 21일 {event or '소개'}했다."
    return Match(rule=rule, title=title, evidence=(Evidence(label, name, "body", 0, len(name), sentence),),
                 institutions=(InstitutionMention(name, name, sentence, event, is_new),))


def test_why_in_korean_with_a_snippet_and_the_other_rules():
    a = article(2)
    merged = [make_item(story(2), a, match(), "team"), make_item(story(2), a, _inst_match("광주AI융합센터", "개소", True), "team")]
    d = build_digest(merged, SEOUL, T0)
    [entry] = [e for s in d.sections for e in s.stories]
    assert entry.why == ('"광주" 본문·제목, "인공지능" 본문 (“광주시가 첨단3지구에서”); '
                         "신규 기관: 광주AI융합센터, 설립 소식: 개소; 다른 규칙: 새 기관")
    assert "new institution" not in render_text(d) and "founding" not in render_text(d)


def test_known_institutions_founding_is_listed_and_labelled():
    items_ = [make_item(story(0), article(0), _inst_match("광주테크노파크", "출범", False), "team"),
              make_item(story(1), article(1), _inst_match("광주AI센터", None, True), "team")]
    d = build_digest(items_, SEOUL, T0)
    assert [(i.name, i.label) for i in d.institutions] == [("광주테크노파크", "설립 소식: 출범"), ("광주AI센터", "신규 기관")]
    assert d.summary == "새 기관 2건 · 신규 기관 1곳 · 설립 소식 1건"
    text = render_text(d)
    assert "■ 신규 기관·설립 소식 (2곳)" in text and "- 광주테크노파크 (설립 소식: 출범)" in text
    assert "왜 알림이 왔나: 설립 소식: 출범 (광주테크노파크)" in text
    # a known institution without a founding word is not news
    quiet = make_item(story(3), article(3), _inst_match("광주시청", None, False), "team")
    assert build_digest([quiet], SEOUL, T0).institutions == ()
    for payload in render_slack(d):
        assert check_payload(payload) == [] and "설립 소식: 출범" in payload["blocks"][1]["text"]["text"]
    assert "설립 소식: 출범" in render_email(d)[1]


def test_title_only_match_shows_no_repeated_title():
    from newswatch.models import Evidence, Match

    ev = (Evidence("광주", "광주", "title", 0, 2, "광주시, 인공지능 데이터센터"),)
    d = build_digest([make_item(story(0), article(0), Match("r", "규칙", evidence=ev), "team")], SEOUL, T0)
    assert d.sections[0].stories[0].why == '"광주" 제목'
