"""Encoding detection for Korean feeds and pages: declarations verified, never trusted blindly."""
from __future__ import annotations

import codecs

import pytest

from extractors.encoding import as_utf8_document, decode_feed, decode_feed_full, decode_html

KOREAN = "광주시 인공지능 산업 육성 계획 발표"
CP949_ONLY = "똠방각하 햏 뷁 쌰"  # syllables outside KS X 1001: CP949 has them, EUC-KR does not


def test_cp949_only_syllables_are_not_valid_euc_kr():
    # the fixture really exercises the CP949 extension: strict EUC-KR cannot read these bytes
    with pytest.raises(UnicodeDecodeError):
        CP949_ONLY.encode("cp949").decode("euc_kr")


def xml(body: bytes, declared: str | None) -> bytes:
    decl = f'<?xml version="1.0" encoding="{declared}"?>'.encode() if declared else b""
    return decl + b"<rss><channel><title>" + body + b"</title></channel></rss>"


def test_declared_euc_kr_plain():
    text, enc = decode_feed(xml(KOREAN.encode("euc_kr"), "euc-kr"))
    assert KOREAN in text and enc == "euc-kr"


def test_declared_euc_kr_with_cp949_only_syllables_decodes_as_cp949():
    text, enc = decode_feed(xml(CP949_ONLY.encode("cp949"), "EUC-KR"))
    assert CP949_ONLY in text and enc == "cp949"
    assert "\ufffd" not in text


def test_declared_utf8_but_really_cp949():
    text, enc = decode_feed(xml(KOREAN.encode("cp949"), "utf-8"))
    assert KOREAN in text and enc == "euc-kr"
    d = decode_feed_full(xml(KOREAN.encode("cp949"), "utf-8"))
    assert d.declared == ("utf-8",)
    assert d.warnings == ("declared utf-8 but the bytes are Korean (CP949); decoded as CP949",)


def test_declared_euc_kr_but_really_utf8():
    text, enc = decode_feed(xml(KOREAN.encode("utf-8"), "euc-kr"))
    assert KOREAN in text and enc == "utf-8"


def test_http_charset_lies_xml_declaration_right():
    body = xml(KOREAN.encode("cp949"), "euc-kr")
    text, enc = decode_feed(body, "application/rss+xml; charset=utf-8")
    assert KOREAN in text and enc == "euc-kr"


def test_latin1_declaration_over_korean_bytes():
    text, enc = decode_html(b'<meta charset="iso-8859-1"><p>' + KOREAN.encode("cp949"), "text/html; charset=iso-8859-1")
    assert KOREAN in text and enc in ("euc-kr", "cp949")


def test_no_declaration_cp949():
    text, enc = decode_feed(xml(CP949_ONLY.encode("cp949"), None))
    assert CP949_ONLY in text and enc == "cp949"


def test_no_declaration_utf8():
    text, enc = decode_feed(xml(KOREAN.encode("utf-8"), None))
    assert KOREAN in text and enc == "utf-8"


@pytest.mark.parametrize("bom,codec", [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                                       (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_bom_wins_over_a_lying_declaration(bom, codec):
    doc = '<?xml version="1.0" encoding="euc-kr"?><rss><title>' + KOREAN + "</title></rss>"
    text, enc = decode_feed(bom + doc.encode(codec))
    assert KOREAN in text and not text.startswith("\ufeff")
    assert enc.startswith("utf")


def test_html_meta_charset_euc_kr():
    page = b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=euc-kr"></head><body>' \
        + KOREAN.encode("cp949") + b"</body></html>"
    text, enc = decode_html(page)
    assert KOREAN in text and enc == "euc-kr"


def test_override_is_used():
    body = xml(KOREAN.encode("cp949"), "utf-8")
    text, enc = decode_feed(body, override="cp949")
    assert KOREAN in text and enc == "euc-kr"


def test_truly_broken_bytes_are_replaced_not_raised():
    body = xml(KOREAN.encode("cp949") + b"\xff\xff\x80", "euc-kr")
    d = decode_feed_full(body)
    assert KOREAN in d.text and "\ufffd" in d.text
    assert any("replaced" in w for w in d.warnings)


def test_as_utf8_document_rewrites_declaration():
    text, _ = decode_feed(xml(KOREAN.encode("cp949"), "euc-kr"))
    out = as_utf8_document(text)
    assert out.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert KOREAN.encode("utf-8") in out


def test_wrong_override_falls_back_to_detection():
    body = xml(KOREAN.encode("utf-8"), "utf-8")
    d = decode_feed_full(body, override="euc-kr")
    assert KOREAN in d.text and d.encoding == "utf-8" and any("override" in w for w in d.warnings)


# EUC-KR Hangul with lead bytes 0xC2-0xC8 and trail bytes 0xA1-0xBF is valid UTF-8 too.
BOTH_WAYS = "칠천 치킨"


def test_both_ways_fixture_really_is_valid_utf8():
    assert BOTH_WAYS.encode("euc_kr").decode("utf-8") == "ĥõ ġŲ"


@pytest.mark.parametrize("declared,ctype", [("euc-kr", None), ("EUC-KR", "application/rss+xml; charset=euc-kr"),
                                            (None, "text/xml; charset=ks_c_5601-1987")])
def test_declared_euc_kr_valid_as_utf8_too_is_read_as_korean(declared, ctype):
    d = decode_feed_full(xml(BOTH_WAYS.encode("euc_kr"), declared), ctype)
    assert BOTH_WAYS in d.text and d.encoding == "euc-kr"
    assert "ġ" not in d.text and d.warnings == ()


def test_html_meta_euc_kr_valid_as_utf8_too_is_read_as_korean():
    page = b'<html><head><meta charset="euc-kr"><title>' + BOTH_WAYS.encode("euc_kr") + b"</title></head></html>"
    text, enc = decode_html(page)
    assert BOTH_WAYS in text and enc == "euc-kr"


@pytest.mark.parametrize("declared", [None, "utf-8"])
def test_euc_kr_valid_as_utf8_without_a_korean_declaration(declared):
    # the UTF-8 reading is nothing but Latin Extended letters: EUC-KR, with a warning
    d = decode_feed_full(xml(BOTH_WAYS.encode("euc_kr"), declared))
    assert BOTH_WAYS in d.text and d.encoding == "euc-kr"
    assert len(d.warnings) == 1 and "read as Korean" in d.warnings[0]


def test_plausible_utf8_is_kept_when_it_is_also_valid_cp949():
    # "café" is valid CP949 ("caf챕"); without a Korean declaration the UTF-8 reading is the plausible one
    text, enc = decode_feed(xml("café".encode("utf-8"), None))
    assert "café" in text and enc == "utf-8"
    text, enc = decode_feed(xml("café".encode("utf-8"), "utf-8"))
    assert "café" in text and enc == "utf-8"


def test_utf8_with_hangul_wins_over_a_euc_kr_declaration():
    d = decode_feed_full(xml((KOREAN + " 치킨").encode("utf-8"), "euc-kr"))
    assert KOREAN + " 치킨" in d.text and d.encoding == "utf-8"
    assert d.warnings == ("declared cp949 but the bytes are valid UTF-8; decoded as UTF-8",)


def test_parse_feed_reads_both_ways_euc_kr_titles():
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from extractors.feeds import parse_feed

    body = ('<?xml version="1.0" encoding="euc-kr"?><rss version="2.0"><channel><title>치킨</title>'
            f"<item><title>{BOTH_WAYS}</title><link>https://news.example.kr/a/1</link><guid>a1</guid></item>"
            "</channel></rss>").encode("euc_kr")
    body.decode("utf-8")  # the whole document is valid UTF-8 too
    feed = parse_feed(body, feed_name="x", content_type="application/rss+xml", default_tz=ZoneInfo("Asia/Seoul"),
                      now=datetime(2026, 11, 20, tzinfo=timezone.utc))
    assert feed.encoding == "euc-kr" and feed.title == "치킨" and feed.entries[0].title == BOTH_WAYS
