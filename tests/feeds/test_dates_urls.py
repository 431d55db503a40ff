"""Korean date formats and canonical URLs / entry identity."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from extractors.dates import parse_date
from extractors.feeds import entry_identity
from extractors.urls import canonical_url
from newswatch.models import Entry

SEOUL = ZoneInfo("Asia/Seoul")
KST = timezone(timedelta(hours=9))


@pytest.mark.parametrize("raw,expected", [
    ("2026.11.20 09:00", datetime(2026, 11, 20, 9, 0, tzinfo=KST)),
    ("2024/05/28 [17:48]", datetime(2024, 5, 28, 17, 48, tzinfo=KST)),
    ("2026-11-20 09:00:00", datetime(2026, 11, 20, 9, 0, tzinfo=KST)),
    ("기사입력 2026.11.20 09:00", datetime(2026, 11, 20, 9, 0, tzinfo=KST)),
    ("입력 2026.11.20. 오후 3:05", datetime(2026, 11, 20, 15, 5, tzinfo=KST)),
    ("2026년 11월 20일 09시 30분", datetime(2026, 11, 20, 9, 30, tzinfo=KST)),
    ("Fri, 20 Nov 2026 09:00:00 KST", datetime(2026, 11, 20, 9, 0, tzinfo=KST)),
    ("Fri, 20 Nov 2026 00:00:00 GMT", datetime(2026, 11, 20, 9, 0, tzinfo=KST)),
    ("Thu,28 Jul 2022 4:35:5 GMT+9", datetime(2022, 7, 28, 4, 35, 5, tzinfo=KST)),
    ("2026-11-20T09:00:00+09:00", datetime(2026, 11, 20, 9, 0, tzinfo=KST)),
    ("2026-11-20T00:00:00Z", datetime(2026, 11, 20, 9, 0, tzinfo=KST)),
    ("2026.11.20 (금) 09:00", datetime(2026, 11, 20, 9, 0, tzinfo=KST)),
    ("2026.11.20", datetime(2026, 11, 20, 0, 0, tzinfo=KST)),
])
def test_korean_formats(raw, expected):
    got = parse_date(raw, SEOUL)
    assert got is not None and got.tzinfo is not None
    assert got == expected, (raw, got)


def test_not_the_first_of_the_month():
    # feedparser reads this as 2026-11-01; the day must be the 20th
    assert parse_date("2026.11.20 09:00", SEOUL).day == 20


def test_naive_time_uses_feed_zone():
    got = parse_date("2026-11-20 09:00:00", ZoneInfo("America/New_York"))
    assert got.utcoffset() == timedelta(hours=-5)


@pytest.mark.parametrize("raw", ["", "   ", "garbage", "2026-13-45 99:99", "언젠가"])
def test_unreadable(raw):
    assert parse_date(raw, SEOUL) is None


def test_korean_portal_date_cases(corpus):
    import json

    cases = json.loads((corpus / "feeds" / "feedparser_korean_date_cases.json").read_text())["cases"]
    assert cases
    for case in cases:
        got = parse_date(case["input"], SEOUL)
        assert got is not None, case["input"]
        y, mo, d, h, mi, s = case["expected_utc"][:6]
        assert got.astimezone(timezone.utc) == datetime(y, mo, d, h, mi, s, tzinfo=timezone.utc), case


@pytest.mark.parametrize("raw,canon", [
    ("HTTPS://News.Example.KR:443/a/b?utm_source=x&id=3&fbclid=abc#top", "https://news.example.kr/a/b?id=3"),
    ("http://news.example.kr:80/view?idxno=5&gclid=z&utm_campaign=c", "http://news.example.kr/view?idxno=5"),
    ("http://news.example.kr:8080/x", "http://news.example.kr:8080/x"),
    ("https://news.example.kr", "https://news.example.kr/"),
    ("https://news.example.kr/기사/광주", "https://news.example.kr/%EA%B8%B0%EC%82%AC/%EA%B4%91%EC%A3%BC"),
])
def test_canonical_url(raw, canon):
    assert canonical_url(raw) == canon


def test_canonical_url_keeps_meaningful_query_order():
    assert canonical_url("http://e.kr/v?b=2&a=1&utm_medium=x") == "http://e.kr/v?b=2&a=1"


def _entry(guid, link):
    now = datetime(2026, 11, 20, tzinfo=timezone.utc)
    return Entry(feed="f", guid=guid, link=link, canonical_url=canonical_url(link), title="t", summary="",
                 published=now)


def test_identity_prefers_guid_then_canonical_url():
    assert entry_identity(_entry("abc-1", "http://e.kr/a?utm_source=x")) == "abc-1"
    assert entry_identity(_entry(None, "http://E.kr/a?utm_source=x#frag")) == "http://e.kr/a"
    assert entry_identity(_entry(None, "http://e.kr/a?utm_source=y")) == entry_identity(_entry(None, "http://e.kr/a"))
