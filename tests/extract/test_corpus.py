"""The evaluation targets on the real pages of ../shared/corpus (read in place; skipped when absent).

No corpus text lives here: the phrases that must appear are taken from each
expected file at run time, the ones that must not appear are generic Korean
news boilerplate.
"""
from __future__ import annotations

import re

import pytest

from newswatch.evaluate import evaluate, pairs

pytestmark = pytest.mark.corpus

# Pages whose expected text is itself wrong: the crawler that wrote it kept boilerplate the issue
# asks us to remove (a video-player error message "브라우저가 video 태그를 지원하지 않습니다…닫기", the
# headline a second time with "공유하기", the byline with e-mail, the hashtags and the tip line
# "기사문의 및 제보"). Their F1 is below 0.85 on recall alone; what we do extract must all be there.
WRONG_EXPECTED = {
    "sw_yonhapnewstv_2.html": "expected text keeps player message, byline, hashtags and tip line",
    "sw_yonhapnewstv_3.html": "expected text keeps player message, byline, hashtags and tip line",
}
# Generic boilerplate that must never reach the text.
MUST_NOT = ["무단전재", "재배포 금지", "Copyright", "이 기사 좋아요", "기사 모음", "제보하기",
            "브라우저가 video", "기자 정보", "본문 영역", "구독하기", "공유하기"]


@pytest.fixture(scope="module")
def report(corpus):
    return evaluate(corpus / "pages")


def test_targets(report):
    assert len(report.pages) == 49
    assert report.mean_f1 >= 0.97, report.mean_f1
    for page in report.pages:
        if page.name in WRONG_EXPECTED:
            assert page.precision >= 0.98, page
            continue
        assert page.f1 >= 0.85, page
    assert report.mean_f1 > report.baseline_mean_f1 + 0.1


def _sentences(text: str) -> list[str]:
    body = text.split("\n", 1)[1] if "\n" in text else ""
    parts = re.split(r"(?<=다\.)", re.sub(r"\s+", " ", body))
    # Photo notes ("▲위 사진은 …") are captions, which the extractor may leave out on purpose.
    return [s.strip() for s in parts if len(s.strip()) >= 25 and s.strip().endswith("다.")
            and "▲" not in s and "사진" not in s and not any(b in s for b in MUST_NOT)]


def test_phrases(corpus):
    from extractors.article import extract_article
    from newswatch.evaluate import _page_url

    checked = 0
    for page, expected_path in pairs(corpus / "pages"):
        art = extract_article(page.read_bytes(), url=_page_url(page))
        squashed = re.sub(r"\s+", "", art.text)
        for phrase in MUST_NOT:
            assert phrase.replace(" ", "") not in squashed, (page.name, phrase)
        sentences = _sentences(expected_path.read_text(encoding="utf-8"))
        if page.name in WRONG_EXPECTED or not sentences:
            continue
        # The first and the last full sentence of the expected body are in the text.
        for sentence in (sentences[0], sentences[-1]):
            probe = re.sub(r"\s+", "", sentence)[-20:]
            assert probe in squashed or _quote_free(probe) in _quote_free(squashed), (page.name, sentence)
        checked += 1
    assert checked >= 30


def _quote_free(s: str) -> str:
    # Some expected texts lost their quotation marks and HTML entities in the crawler.
    return re.sub(r"[\"'“”‘’]|&#?\w+;", "", s)


def test_seed_articles_lose_their_boilerplate(corpus):
    """The two seed articles (plain text, read in place) wrapped as pages: the boilerplate named in the issue goes."""
    from extractors.article import extract_article

    seeds = sorted((corpus / "seeds").glob("*.txt"))
    assert seeds
    for seed in seeds:
        lines = [ln.strip() for ln in seed.read_text(encoding="utf-8").splitlines() if ln.strip()]
        html = ('<html lang="ko"><head><meta charset="utf-8"><title>' + lines[0] + '</title></head><body>'
                + "".join(f"<p>{ln}</p>" for ln in lines[1:]) + "</body></html>")
        art = extract_article(html, url="https://seed.example/1")
        paragraphs = art.text.split("\n")
        assert len(paragraphs) == len(set(paragraphs)), seed.name  # doubled captions are gone
        for junk in ("(사진=", "[관련기사]", "키워드 관련기사", "Tags", "이 기사 좋아요", "@", "기사입력", "썸네일"):
            assert junk not in art.text, (seed.name, junk)
        first_sentence = next(ln for ln in lines[1:] if ln.endswith("다.") and "사진" not in ln and not ln.startswith("▲") and len(ln) > 40)
        assert first_sentence[:30] in art.text


# Words the clean-up rules look for; a story sentence containing one must not be taken for boilerplate.
TRIGGER_WORDS = ("트위터", "페이스북", "카카오", "밴드", "구독", "목록", "전화", "이메일", "팩스", "저작권", "앱", "제보", "공유", "인쇄")


def test_story_sentences_with_trigger_words_survive(corpus):
    from extractors.article import extract_article
    from newswatch.evaluate import _page_url

    checked = 0
    for page, expected_path in pairs(corpus / "pages"):
        sentences = [s for s in _sentences(expected_path.read_text(encoding="utf-8"))
                     if any(w in s for w in TRIGGER_WORDS) and "기사문의" not in s and "@" not in s]
        if not sentences:
            continue
        squashed = _quote_free(re.sub(r"\s+", "", extract_article(page.read_bytes(), url=_page_url(page)).text))
        for sentence in sentences:
            assert _quote_free(re.sub(r"\s+", "", sentence)) in squashed, (page.name, sentence)
            checked += 1
    assert checked >= 5


def test_real_template_without_its_story_is_no_article(corpus):
    """A real page with its story removed (itemprop=articleBody, JSON-LD and descriptions deleted at run
    time) must not come out as its menu and headline box."""
    from lxml import html as lxml_html

    from extractors.article import extract_article
    from extractors.errors import ExtractionError

    tree = lxml_html.document_fromstring((corpus / "pages" / "sw_yonhapnewstv_1.html").read_bytes())
    for el in tree.xpath("//*[@itemprop]"):
        if "articlebody" in (el.get("itemprop") or "").lower():
            el.drop_tree()
    for el in tree.xpath('//script[@type="application/ld+json"]'):
        el.drop_tree()
    for el in tree.xpath("//meta"):
        if (el.get("name") or el.get("property") or "").lower() in ("description", "og:description", "twitter:description"):
            el.drop_tree()
    with pytest.raises(ExtractionError) as err:
        extract_article(lxml_html.tostring(tree, encoding="unicode"), url="https://www.yonhapnewstv.co.kr/news/x")
    assert err.value.kind == "no_article"
