"""extract_article on pages written for the project: candidates, clean-up, metadata, refusals."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from extractors.article import explain, extract_article
from extractors.errors import ExtractionError
from extractors.metadata import clean_title, parse_date
from newswatch.config import ExtractSettings
from newswatch.models import Entry
from tests.extract import pages as P

URL = "https://www.bitgoeul.example/news/articleView.html?idxno=1234"
KST = timezone(timedelta(hours=9))


def body_lines(article) -> list[str]:
    return article.text.split("\n")


def test_boilerplate_removed_and_lead_kept():
    art = extract_article(P.boilerplate_page(), url=URL)
    lines = body_lines(art)
    assert lines[0] == "지역 기업·대학 공동 과제에 최대 2억 원"  # the subtitle stays
    for sentence in P.BODY:
        assert lines.count(sentence) == 1
    caption = "김민준 광주시 인공지능산업실장이 28일 시청에서 지원 사업을 설명하고 있다."
    assert lines.count(caption) == 1  # printed twice on the page, once in the text, credit gone
    for junk in ("사진=", "haneul@", "구하늘 기자", "[관련기사]", "키워드 관련기사", "Tags", "#인공지능",
                 "이 기사 좋아요", "포토뉴스", "무단전재", "많이 본 뉴스", "정치", "Copyright"):
        assert junk not in art.text, junk
    assert art.extractor == "trafilatura"


def test_metadata():
    art = extract_article(P.boilerplate_page(), url="https://m.bitgoeul.example/a?id=1")
    assert art.title == P.TITLE  # " - 빛고을일보" removed
    assert art.url == URL  # canonical link wins over the fetched URL
    assert art.site_name == "빛고을일보"
    assert art.published == datetime(2024, 5, 28, 17, 48, tzinfo=KST)
    assert art.published.utcoffset() == timedelta(hours=9)
    assert art.authors == ("구하늘",)
    assert art.language == "ko"
    assert art.lead == P.BODY[0] or art.lead.startswith("지역 기업")


@pytest.mark.parametrize("raw,site,expected", [
    ("광주시 AI 예산 배정 - 연합뉴스", "연합뉴스", "광주시 AI 예산 배정"),
    ("광주시 AI 예산 배정 | 한국일보", "", "광주시 AI 예산 배정"),
    ("광주시 AI 예산 배정 : 네이버 뉴스", "", "광주시 AI 예산 배정"),
    ("대전일보 모바일 :: 코로나 성금 기탁 이어져", "대전일보", "코로나 성금 기탁 이어져"),
    ("3:1 역전승…광주FC 선두로", "", "3:1 역전승…광주FC 선두로"),  # no spaces: not a separator
    ("장근석, 연기 레슨 받는 이유 [인터뷰M]", "MBC NEWS", "장근석, 연기 레슨 받는 이유 [인터뷰M]"),
    ("여야 - 정부 협의체 첫 회의", "", "여야 - 정부 협의체 첫 회의"),  # "정부 협의체 첫 회의" is no outlet
    # stripped: the site's name (equal, containing it or part of it), or <one word> + an outlet word
    ("광주시 AI 예산 배정 - 빛고을일보 디지털판", "빛고을일보", "광주시 AI 예산 배정"),
    ("광주시 AI 예산 배정 | SBS 뉴스", "SBS NEWS", "광주시 AI 예산 배정"),
    ("광주시 AI 예산 배정 | 빛고을 뉴스", "", "광주시 AI 예산 배정"),
    ("광주시 AI 예산 배정 - 빛고을경제", "", "광주시 AI 예산 배정"),
    ("광주시 AI 예산 배정 · 빛고을방송", "", "광주시 AI 예산 배정"),
    ("광주시 AI 예산 배정 - 빛고을 TV", "", "광주시 AI 예산 배정"),
    ("빛고을일보 :: 광주시 AI 예산 배정", "빛고을일보", "광주시 AI 예산 배정"),
    # kept: a headline whose last words merely end in 뉴스/경제/방송
    ("코로나 이후 : 무너진 지역 경제", "빛고을일보", "코로나 이후 : 무너진 지역 경제"),
    ("이재명 - 윤석열 회담 뉴스", "빛고을일보", "이재명 - 윤석열 회담 뉴스"),
    ("광주시 - 지역 경제", "", "광주시 - 지역 경제"),
    ("가짜뉴스 : 누가 퍼뜨리나 가짜 뉴스", "", "가짜뉴스 : 누가 퍼뜨리나 가짜 뉴스"),
    ("청소년 유튜버 - 1인 방송 시대의 그늘 방송", "", "청소년 유튜버 - 1인 방송 시대의 그늘 방송"),
])
def test_title_suffix(raw, site, expected):
    assert clean_title(raw, (site,)) == expected


@pytest.mark.parametrize("author_meta,site,expected", [
    # read under property= as well as name= (TV조선 writes <meta property="dable:author">)
    ('<meta property="dable:author" content="구하늘 기자">', "빛고을일보", ("구하늘",)),
    ('<meta name="dable:author" content="구하늘 기자">', "빛고을일보", ("구하늘",)),
    ('<meta property="author" content="구하늘 기자(haneul@bitgoeul.example)">', "빛고을일보", ("구하늘",)),
    # the outlet's name before the reporter's is removed
    ('<meta name="author" content="빛고을일보 구하늘 기자">', "빛고을일보", ("구하늘",)),
    ('<meta property="dable:author" content="빛고을스포츠=구하늘 기자">', "빛고을일보", ("구하늘",)),
    ('<meta name="author" content="BGN 구하늘 기자">', "BGN 뉴스", ("구하늘",)),
    ('<meta name="author" content="Kim Min-jun">', "Kimnews", ("Kim Min-jun",)),  # a name, not a part of the site's
    # the outlet, or an outlet-shaped name, is no author
    ('<meta name="author" content="빛고을일보">', "빛고을일보", ()),
    ('<meta property="article:author" content="빛고을 뉴스">', "빛고을 NEWS", ()),
    ('<meta name="author" content="iBitgoeul 연예">', "빛고을 NEWS", ()),
    ('<meta name="author" content="빛고을방송">', "", ()),
    ('<meta name="author" content="Bitgoeul News">', "", ()),
    ('<meta name="author" content="관리자">', "빛고을일보", ()),
    ('<meta name="author" content="">', "", ()),
])
def test_authors(author_meta, site, expected):
    art = extract_article(P.article_page(author=author_meta, site=site), url=URL)
    assert art.authors == expected


def test_site_name_sources():
    # og:site_name, then JSON-LD publisher, then application-name; else the host
    assert extract_article(P.article_page(), url=URL).site_name == "빛고을일보"
    app = '<meta name="application-name" content="빛고을방송">'
    assert extract_article(P.article_page(site="", extra=app), url=URL).site_name == "빛고을방송"
    assert extract_article(P.jsonld_only_page(), url=URL).site_name == "빛고을일보"
    assert extract_article(P.article_page(site=""), url=URL).site_name == "www.bitgoeul.example"


def test_dates_naive_means_default_zone_and_z_is_utc():
    seoul = ZoneInfo("Asia/Seoul")
    assert parse_date("2023-04-07 08:26:22", seoul) == datetime(2023, 4, 7, 8, 26, 22, tzinfo=seoul)
    assert parse_date("2023.04.21 16:25", seoul) == datetime(2023, 4, 21, 16, 25, tzinfo=seoul)
    assert parse_date("2023-04-07T10:11:02.613Z", seoul) == datetime(2023, 4, 7, 10, 11, 2, 613000, tzinfo=timezone.utc)
    assert parse_date("입력 2024년 5월 28일", seoul) == datetime(2024, 5, 28, tzinfo=seoul)
    assert parse_date("어제", seoul) is None


def test_default_tz_is_used_for_naive_page_dates():
    html = P.article_page(extra='<meta property="article:modified_time" content="2024-05-28 18:10:00">')
    art = extract_article(html, url=URL, default_tz=ZoneInfo("Asia/Tokyo"))
    assert art.updated == datetime(2024, 5, 28, 18, 10, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_jsonld_only_body():
    art = extract_article(P.jsonld_only_page(), url=URL)
    assert art.extractor == "json-ld"
    assert body_lines(art) == P.BODY
    assert art.updated == datetime(2024, 5, 28, 18, 10, tzinfo=KST)  # the JS comment did not break parsing


def test_jsonld_without_graph():
    art = extract_article(P.jsonld_only_page(graph=False), url=URL)
    assert art.extractor == "json-ld" and body_lines(art) == P.BODY


def test_page_state_only_body():
    art = extract_article(P.page_state_page(), url=URL)
    assert art.extractor == "page-state"
    assert body_lines(art) == P.BODY


def test_short_article_beats_the_menu():
    art = extract_article(P.short_article_page(), url=URL)
    assert body_lines(art) == P.SHORT
    assert art.extractor == "microdata"


def test_short_article_without_markup():
    art = extract_article(P.short_article_no_markup_page(), url=URL)
    assert body_lines(art) == P.SHORT
    for item in P.MENU + P.LINKS:
        assert item not in art.text


def test_body_printed_twice_comes_out_once():
    art = extract_article(P.printed_twice_page(), url=URL)
    assert body_lines(art) == P.BODY


@pytest.mark.parametrize("builder,reason", [
    (P.list_page, ""), (P.soft_404_page, "not found"), (P.login_wall_page, "login"),
])
def test_no_article(builder, reason):
    with pytest.raises(ExtractionError) as err:
        extract_article(builder(), url=URL)
    assert err.value.kind == "no_article"
    assert err.value.url == URL and URL in str(err.value)
    assert reason in str(err.value)


@pytest.mark.parametrize("anchors", [True, False], ids=["headlines-in-links", "onclick-headlines"])
def test_menu_only_page_is_no_article(anchors):
    # The story is missing from the template; what is left are button labels and a box of other
    # headlines that end in quotation marks (which the `sentences` feature counts as sentences).
    with pytest.raises(ExtractionError) as err:
        extract_article(P.menu_only_page(anchors=anchors), url=URL)
    assert err.value.kind == "no_article"
    assert "list of" in str(err.value)


def test_headline_list_features():
    from collections import Counter

    from extractors.article import Candidate, quality

    menu = Candidate("trafilatura", ["주메뉴", "검색닫기", "확대하기"] + P.QUOTE_HEADLINES)
    quality(menu, anchors=set(), description=Counter())
    assert menu.features["sentences"] > 0.2  # the quotes fool the sentence test ...
    assert menu.features["prose"] < 0.3 and menu.features["short"] == 1.0  # ... not the prose test
    story = Candidate("trafilatura", P.SHORT)
    quality(story, anchors=set(), description=Counter())
    assert story.features["prose"] == 1.0


def test_short_story_next_to_quote_headlines_is_kept():
    # The same headline box beside a real two-sentence story without markup: not refused, the story is there.
    page = P.menu_only_page(anchors=False).replace('<div class="article-view"></div>',
                                                   '<div class="article-view">' + "".join(f"<p>{s}</p>" for s in P.SHORT) + "</div>")
    art = extract_article(page, url=URL)
    assert all(sentence in body_lines(art) for sentence in P.SHORT)


def test_declared_euckr_but_utf8_bytes():
    art = extract_article(P.euckr_declared_utf8_bytes(), url=URL)
    assert body_lines(art) == P.BODY
    assert art.title == P.TITLE


def test_real_euckr_bytes():
    art = extract_article(P.euckr_bytes(), url=URL)
    assert body_lines(art) == P.BODY


def test_binary_and_huge_bodies_refused():
    with pytest.raises(ExtractionError) as err:
        extract_article(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, url=URL)
    assert err.value.kind == "wrong_type"
    with pytest.raises(ExtractionError) as err:
        extract_article(P.article_page().encode(), url=URL, content_type="application/pdf")
    assert err.value.kind == "wrong_type"
    with pytest.raises(ExtractionError) as err:
        extract_article(P.article_page().encode(), url=URL, settings=ExtractSettings(max_bytes=1000))
    assert err.value.kind == "too_large"


def test_trafilatura_exception_is_classified(monkeypatch):
    import extractors.article as mod

    def boom(*args, **kwargs):
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(mod.trafilatura, "extract", boom)
    with pytest.raises(ExtractionError) as err:
        extract_article(P.article_page(), url=URL)
    assert err.value.kind == "extractor_failed"
    assert err.value.url == URL and "parser exploded" in str(err.value)
    assert not err.value.transient


def test_feed_summary_and_entry_fields():
    entry = Entry(feed="bitgoeul", guid="g-1", link=URL, canonical_url=URL, title="피드 제목",
                  summary="\n".join(P.BODY[:3]), published=datetime(2024, 5, 28, 8, 0, tzinfo=timezone.utc),
                  author="구하늘")
    html = ('<html lang="ko"><head><meta charset="utf-8"><title>빛고을일보</title></head>'
            '<body><div id="app"></div></body></html>')
    art = extract_article(html, url=URL, entry=entry)
    assert art.extractor == "feed-summary"
    assert body_lines(art) == P.BODY[:3]
    assert (art.feed, art.guid) == ("bitgoeul", "g-1")
    assert art.published == entry.published and art.authors == ("구하늘",)


def test_candidates_are_scored_and_best_first():
    cands = explain(P.short_article_no_markup_page(), url=URL)
    assert cands == sorted(cands, key=lambda c: c.score, reverse=True)
    assert {"chars", "sentences", "links", "nav", "script", "description", "score"} <= set(cands[0].features)
    assert all(c.score >= 0 for c in cands)


def test_menu_scores_below_story():
    # The quality score, not the order: the long menu text must lose to the two sentences.
    from collections import Counter

    from extractors.article import Candidate, quality

    menu = Candidate("trafilatura", P.MENU + P.LINKS)
    story = Candidate("trafilatura", P.SHORT)
    anchors = {m.replace(" ", "") for m in P.MENU + P.LINKS}
    assert quality(menu, anchors=anchors, description=Counter()) < quality(story, anchors=anchors, description=Counter())


def _bare_page(head_extra: str, body_top: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in P.BODY)
    return (f'<html lang="ko"><head><meta charset="utf-8"><title>{P.TITLE}</title>{head_extra}</head>'
            f'<body>{P.nav()}<div class="top">{body_top}</div><div class="m_cont">{body}</div></body></html>')


def test_date_from_byline_text_when_no_markup():
    art = extract_article(_bare_page("", "<span>구하늘 기자 | </span> 2020-03-04 16:52:59"), url=URL)
    assert art.published == datetime(2020, 3, 4, 16, 52, 59, tzinfo=KST)
    art = extract_article(_bare_page("", "<div>기사입력 : 2021.07.01 09:30 | 최종수정 2021.07.02</div>"), url=URL)
    assert art.published == datetime(2021, 7, 1, 9, 30, tzinfo=KST)


def test_date_from_portal_data_attribute():
    art = extract_article(_bare_page("", '<span class="date" data-date-time="2023-11-02 20:06:13">2023.11.02. 오후 8:06</span>'), url=URL)
    assert art.published == datetime(2023, 11, 2, 20, 6, 13, tzinfo=KST)


def test_z_stamp_with_local_wall_clock_is_corrected():
    extra = ('<meta property="article:published_time" content="2023-04-20T04:24:13Z">'
             '<meta property="dd:published_time" content="2023-04-20T04:24:13+09:00">')
    art = extract_article(_bare_page(extra, ""), url=URL)
    assert art.published == datetime(2023, 4, 20, 4, 24, 13, tzinfo=KST)
    only_z = '<meta property="article:published_time" content="2023-04-20T04:24:13Z">'
    art = extract_article(_bare_page(only_z, ""), url=URL)
    assert art.published == datetime(2023, 4, 20, 4, 24, 13, tzinfo=timezone.utc)


def test_body_inside_heading_and_br_paragraphs():
    body = "<br><br>".join(P.BODY)
    html = (f'<html lang="ko"><head><meta charset="utf-8"><title>{P.TITLE}</title></head><body>{P.nav()}'
            f'<h4><div class="m_cont">{body}</div></h4>{P.footer()}</body></html>')
    art = extract_article(html, url=URL)
    assert body_lines(art) == P.BODY


def test_empty_page_is_no_article():
    with pytest.raises(ExtractionError) as err:
        extract_article(b"   ", url=URL)
    assert err.value.kind == "no_article"


def test_meta_itemprop_article_body():
    extra = f'<meta itemprop="articleBody" content="{"&lt;br&gt;".join(P.BODY)}">'
    html = (f'<html lang="ko"><head><meta charset="utf-8"><title>{P.TITLE}</title>{extra}</head>'
            f'<body>{P.nav()}<div id="app"></div>{P.footer()}</body></html>')
    art = extract_article(html, url=URL)
    assert art.extractor == "microdata" and body_lines(art) == P.BODY
