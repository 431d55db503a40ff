"""parse_feed on good and bad input: classified errors, recovered entries, no entity expansion."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from extractors.errors import FeedError
from extractors.feeds import parse_feed
from tests.feeds.fixtures import items, rss

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=timezone.utc)


def parse(content: bytes, **kw):
    return parse_feed(content, feed_name="f", content_type=kw.pop("content_type", None), default_tz=SEOUL, now=NOW, **kw)


def test_euc_kr_feed_written_here():
    doc = rss(items(3), encoding="cp949", declare="euc-kr", title="광주 시험 뉴스 똠")
    feed = parse(doc, content_type="text/xml; charset=euc-kr")
    assert feed.encoding == "cp949"  # the title has a CP949-only syllable
    assert feed.title == "광주 시험 뉴스 똠"
    assert [e.title for e in feed.entries][0].startswith("광주시, 인공지능")
    assert all("\ufffd" not in e.title + e.summary for e in feed.entries)


def test_dates_kst_and_fallback():
    its = items(2)
    its[0]["pubDate"] = "2026.11.20 09:00"
    its[1]["pubDate"] = None
    feed = parse(rss(its))
    assert feed.entries[0].published == datetime(2026, 11, 20, 0, 0, tzinfo=timezone.utc)
    assert not feed.entries[0].published_is_fallback
    assert feed.entries[1].published == NOW and feed.entries[1].published_is_fallback
    assert any("without a usable date" in w for w in feed.warnings)


def test_lowercase_pubdate_and_dc_date():
    doc = ('<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>'
           '<item><title>가</title><link>http://e.kr/1</link><pubdate>2026-11-20 09:00:00</pubdate></item>'
           '<item><title>나</title><link>http://e.kr/2</link><dc:date>2026-11-20T10:00:00+09:00</dc:date></item>'
           '</channel></rss>').encode()
    feed = parse(doc)
    assert [e.published.astimezone(timezone.utc).hour for e in feed.entries] == [0, 1]
    assert not any(e.published_is_fallback for e in feed.entries)


def test_atom_feed():
    doc = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>아톰</title>'
           '<entry><title>첫 기사</title><link href="http://e.kr/a?utm_source=x"/><id>tag:e.kr,2026:1</id>'
           '<updated>2026-11-20T09:00:00+09:00</updated></entry></feed>').encode()
    feed = parse(doc)
    (e,) = feed.entries
    assert e.guid == "tag:e.kr,2026:1" and e.canonical_url == "http://e.kr/a"
    assert e.published == datetime(2026, 11, 20, 0, tzinfo=timezone.utc)


def test_malformed_xml_still_recovers_entries():
    good = rss(items(3)).decode()
    broken = good.replace("</title></item>", "</title>", 1).replace("(1)", "(1) & <b>", 1)  # unclosed tags, bare &
    feed = parse(broken.encode())
    assert len(feed.entries) >= 2
    assert any("malformed XML" in w for w in feed.warnings)


def test_html_page_is_not_a_feed():
    with pytest.raises(FeedError) as err:
        parse("<!DOCTYPE html><html><head><title>광주</title></head><body>기사</body></html>".encode())
    assert err.value.kind == "not_a_feed" and not err.value.transient


@pytest.mark.parametrize("body", [b"", b"   \n\t"])
def test_empty_body(body):
    with pytest.raises(FeedError) as err:
        parse(body)
    assert err.value.kind == "empty"


def test_garbage_bytes_are_classified():
    with pytest.raises(FeedError) as err:
        parse(bytes(range(256)) * 20)
    assert err.value.kind in ("not_a_feed", "parse_error")


def test_entity_expansion_bomb_is_not_expanded():
    lol = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    doc = ('<?xml version="1.0"?><!DOCTYPE rss [' + "".join(lol) + ']><rss version="2.0"><channel><title>폭탄</title>'
           '<item><title>&lol9;</title><link>http://e.kr/1</link></item></channel></rss>').encode()
    try:
        feed = parse(doc)
    except FeedError as err:  # refusing is also acceptable; expanding is not
        assert err.kind in ("parse_error", "not_a_feed")
        return
    assert all(len(e.title) < 1000 for e in feed.entries)
    assert any("entit" in w for w in feed.warnings)


def test_duplicate_items_in_one_document_are_kept_once():
    feed = parse(rss(items(2) + items(2)))
    assert len(feed.entries) == 2
    assert any("duplicate" in w for w in feed.warnings)


def test_entry_without_link_or_guid_is_kept_and_identified():
    doc = '<rss><channel><title>t</title><item><title>링크 없는 기사</title><description>본문</description></item></channel></rss>'
    feed = parse(doc.encode())
    assert len(feed.entries) == 1 and feed.entries[0].link == ""


def test_relative_links_resolved_against_feed_url():
    doc = '<rss version="2.0"><channel><title>t</title><item><title>가</title><link>/news/1</link></item></channel></rss>'
    feed = parse(doc.encode(), base_url="https://news.example.kr/rss.xml")
    assert feed.entries[0].link == "https://news.example.kr/news/1"


def test_external_entity_is_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    doc = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
           '<rss version="2.0"><channel><title>t</title><item><title>&xxe;</title><link>http://e.kr/1</link></item>'
           '</channel></rss>').encode()
    feed = parse(doc)
    assert all("TOP-SECRET" not in e.title + e.summary for e in feed.entries)
