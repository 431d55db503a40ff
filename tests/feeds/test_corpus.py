"""The real Korean feeds in ../shared/corpus/feeds (skipped when absent): read in place, never copied."""
from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from typer.testing import CliRunner

from extractors.feeds import parse_feed
from extractors.http import Fetcher
from newswatch.config import FeedConfig, FetchSettings, Settings
from newswatch.polling import poll_feeds
from tests.conftest import Route
from tests.feeds.helpers import open_store

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 21, tzinfo=timezone.utc)
HANGUL = re.compile(r"[\uac00-\ud7a3]")
HANJA = re.compile(r"[\u4e00-\u9fff]")
# CP949 or UTF-8 bytes read as Latin-1/CP1252 leave runs of accented Latin letters ("±¤ÁÖ", "ê°€"),
# and C1 control characters; read the other way round (UTF-8 as CP949) they leave mostly hanja.
LATIN1_RUN = re.compile(r"[\u00c0-\u00ff][\u0080-\u00ff]|[\u00a1-\u00bf][\u00c0-\u00ff]")
C1 = re.compile(r"[\u0080-\u009f]")
# EUC-KR bytes that happen to be valid UTF-8 (lead 0xC2-0xC8, trail 0xA1-0xBF) read as UTF-8 give
# Latin Extended-A/B letters (EUC-KR "치킨" -> "ġŲ"); no feed in the corpus has a real one.
LATIN_EXTENDED = re.compile(r"[\u0100-\u024f]")


def mojibake(text: str) -> str | None:
    """Why `text` looks wrongly decoded, or None."""
    if "\ufffd" in text:
        return "U+FFFD"
    if LATIN1_RUN.search(text):
        return f"Latin-1 run {LATIN1_RUN.search(text).group()!r}"
    if C1.search(text):
        return "C1 control character"
    if LATIN_EXTENDED.search(text):
        return f"Latin Extended letter {LATIN_EXTENDED.search(text).group()!r}"
    return None


def test_mojibake_check_catches_the_classic_failures():
    good = "광주시 인공지능 산업 · 발표"
    assert mojibake(good) is None
    assert mojibake(good.encode("cp949").decode("latin-1"))
    assert mojibake(good.encode("utf-8").decode("cp1252", errors="replace"))
    wrong = good.encode("utf-8").decode("cp949", errors="replace")
    assert mojibake(wrong) or len(HANJA.findall(wrong)) > len(HANGUL.findall(wrong))
    # EUC-KR Hangul that is valid UTF-8 too, read as UTF-8: no U+FFFD, no Latin-1 run, no C1
    both_ways = "칠천 치킨".encode("euc_kr").decode("utf-8")
    assert both_ways == "ĥõ ġŲ" and mojibake(both_ways)
    assert mojibake("[ 아이리버, Dícple α 출시 공지 ]") is None  # a real accented letter in the corpus


def feed_files(corpus):
    files = sorted((corpus / "feeds").glob("*.xml")) + sorted((corpus / "feeds").glob("*.rss"))
    assert len(files) >= 30
    return files


def test_every_corpus_feed_decodes_cleanly(corpus):
    for path in feed_files(corpus):
        feed = parse_feed(path.read_bytes(), feed_name=path.stem, content_type=None, default_tz=SEOUL, now=NOW)
        assert feed.entries, path.name
        texts = [feed.title] + [e.title for e in feed.entries] + [e.summary for e in feed.entries]
        for t in texts:
            assert mojibake(t) is None, (path.name, mojibake(t), t[:80])
        body = " ".join(texts)
        if "koreatimes" not in path.name:  # the one English-language feed
            assert any(HANGUL.search(t) for t in [feed.title] + [e.title for e in feed.entries]), path.name
            assert len(HANGUL.findall(body)) > len(HANJA.findall(body)), path.name
        for e in feed.entries:
            assert e.published.tzinfo is not None


def test_declared_euc_kr_feeds_report_their_real_encoding(corpus):
    for path in sorted((corpus / "feeds").glob("chardet_*.xml")):
        feed = parse_feed(path.read_bytes(), feed_name="x", content_type=None, default_tz=SEOUL, now=NOW)
        expected = "cp949" if "_CP949_" in path.name else "euc-kr"
        assert feed.encoding == expected, path.name


def test_undeclared_euc_kr_feed(corpus):
    path = corpus / "feeds" / "feedparser_illformed_euckr_nodecl.xml"
    feed = parse_feed(path.read_bytes(), feed_name="x", content_type=None, default_tz=SEOUL, now=NOW)
    assert feed.encoding == "euc-kr" and len(feed.entries) == 1 and HANGUL.search(feed.entries[0].title)


def test_koreatimes_yields_195_entries_with_kst_dates(corpus):
    path = corpus / "feeds" / "mediacloud_koreatimes_real.rss"
    feed = parse_feed(path.read_bytes(), feed_name="kt", content_type=None, default_tz=SEOUL, now=NOW)
    assert len(feed.entries) == 195
    assert not any(e.published_is_fallback for e in feed.entries)
    assert all(e.published.utcoffset() == timedelta(hours=9) for e in feed.entries)  # "GMT+9"


def test_publisher_feed_without_zone_is_seoul_time(corpus):
    path = corpus / "feeds" / "hanion_popular_rss.xml"
    feed = parse_feed(path.read_bytes(), feed_name="h", content_type=None, default_tz=SEOUL, now=NOW)
    raw = re.findall(r"<pubDate>\s*([^<]+?)\s*</pubDate>", path.read_text("utf-8"))
    assert len(feed.entries) == len(raw) == 5
    for e, r in zip(feed.entries, raw):
        assert e.published.replace(tzinfo=None) == datetime.strptime(r, "%Y-%m-%d %H:%M:%S")
        assert e.published.utcoffset() == timedelta(hours=9)


def test_three_consecutive_polls_process_overlap_once(corpus, http_server, sqlite_url):
    polls = [corpus / "feeds" / f"blerkr_zdnetkorea_poll{i}.xml" for i in (1, 2, 3)]
    guids = [re.findall(r"<guid[^>]*>\s*([^<]+?)\s*</guid>", p.read_text("utf-8")) for p in polls]
    assert set(guids[0]) & set(guids[1])  # the snapshots do overlap
    settings = Settings(feeds=[FeedConfig(name="zdnet", url=http_server.url("/rss"))],
                        fetch=FetchSettings(allow_private_addresses=True))
    store = open_store(sqlite_url)
    seen: set[str] = set()
    for i, path in enumerate(polls):
        http_server.routes["/rss"] = Route(path.read_bytes(), content_type="application/rss+xml")

        async def run():
            async with Fetcher(settings.fetch) as f:
                return await poll_feeds(settings, store, f, settings.feeds, NOW + timedelta(hours=i))
        (p,) = asyncio.run(run())
        expected_new = set(guids[i]) - seen
        assert {e.guid for e in p.new_entries} == expected_new, path.name
        seen |= set(guids[i])
        if i:
            store.close()  # and across a restart
            store = open_store(sqlite_url)
    store.close()


def test_feeds_check_cli_on_every_corpus_feed(corpus):
    from newswatch.cli import app

    runner = CliRunner()
    for path in feed_files(corpus):
        result = runner.invoke(app, ["feeds", "check", str(path), "--json"])
        assert result.exit_code == 0, (path.name, result.output[-500:])
        data = json.loads(result.stdout)
        assert data["entries"] and data["encoding"]
        for e in data["entries"]:
            assert mojibake(e["title"]) is None, (path.name, e["title"])
            assert datetime.fromisoformat(e["published"]).utcoffset() is not None
