"""JSON-LD and page-state JSON bodies (extractors.embedded), on inputs written for the project."""
from __future__ import annotations

import json

from lxml import html as lxml_html

from extractors.embedded import jsonld_article, jsonld_objects, loads_lenient, page_state_bodies
from tests.extract import pages as P


def tree(body: str):
    return lxml_html.document_fromstring(f"<html><head></head><body>{body}</body></html>")


def test_lenient_json():
    assert loads_lenient('{"a": 1, // comment\n "b": [1, 2,], /* block */ "c": "x//y"}') == {"a": 1, "b": [1, 2], "c": "x//y"}
    assert loads_lenient('{"a": "line\nbreak"}') == {"a": "line\nbreak"}
    assert loads_lenient("not json at all") is None
    assert loads_lenient("") is None


def test_jsonld_in_a_list_with_html_body_and_entities():
    data = [{"@type": "BreadcrumbList"},
            {"@type": ["NewsArticle"], "headline": "제목 &amp; 부제", "articleBody": "<p>첫 문단입니다.</p><p>둘째 문단입니다.</p>",
             "author": "구하늘 기자", "publisher": {"name": "빛고을일보"}, "url": "https://www.bitgoeul.example/1",
             "inLanguage": "ko-KR"}]
    t = tree(f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>')
    art = jsonld_article(jsonld_objects(t))
    assert art.body == "첫 문단입니다.\n둘째 문단입니다."
    assert art.headline == "제목 & 부제" and art.authors == ("구하늘 기자",) and art.publisher == "빛고을일보"
    assert art.url == "https://www.bitgoeul.example/1" and art.language == "ko-KR"


def test_jsonld_without_article_type_is_ignored():
    t = tree('<script type="application/ld+json">{"@type": "WebSite", "name": "빛고을일보"}</script>'
             '<script type="application/ld+json">{broken</script>')
    assert jsonld_article(jsonld_objects(t)) is None


def test_page_state_string_body_in_json_script():
    state = {"props": {"article": {"id": 7, "body": "".join(f"<p>{p}</p>" for p in P.BODY)}}}
    t = tree(f'<script id="__NEXT_DATA__" type="application/json">{json.dumps(state, ensure_ascii=False)}</script>')
    assert page_state_bodies(t)[0].split("\n") == P.BODY


def test_page_state_list_of_paragraphs_beats_its_fragments():
    state = {"content_elements": [{"type": "text", "content": p} for p in P.BODY] + [{"type": "image", "url": "/a.jpg"}]}
    t = tree(f"<script>var x = 1; Fusion.globalContent={json.dumps(state, ensure_ascii=False)};Fusion.x=2;</script>")
    bodies = page_state_bodies(t)
    assert bodies[0].split("\n") == P.BODY
    assert all(b.split("\n") != [P.BODY[0]] for b in bodies)  # single paragraphs are not offered on their own


def test_page_state_ignores_scripts_without_korean_text():
    t = tree('<script>window.__CFG__ = {"api": "https://api.example/v1", "flags": [1, 2, 3], "theme": "dark and long enough '
             + "x" * 300 + '"};</script>')
    assert page_state_bodies(t) == []
