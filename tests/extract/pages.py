"""Korean news pages written for these tests (invented text; no outlet's copy).

Each builder returns a full HTML page shaped like a pattern seen on Korean news
sites: doubled captions, bylines, related lists, JSON-only bodies, menus longer
than the story, a body printed twice, list pages and soft 404s.
"""
from __future__ import annotations

import json

BODY = [
    "광주시가 인공지능 산업 육성을 위해 올해 새로운 지원 사업을 시작한다고 밝혔다.",
    "시는 지역 기업과 대학이 함께 참여하는 공동 연구 과제를 열 개 선정해 과제마다 최대 2억 원을 지원할 계획이다.",
    "선정된 과제는 내년 상반기까지 시제품을 만들고 실증 단지에서 성능을 시험하게 된다.",
    "김민준 시 인공지능산업실장은 “지역에서 만든 기술이 지역에서 쓰이는 선순환 구조를 만들겠다”고 말했다.",
    "시는 다음 달 설명회를 열고 참여 기업의 신청을 받을 예정이다.",
]
TITLE = "광주시, 인공지능 공동연구 과제 열 개 지원"
MENU = ["정치", "경제", "사회", "국제", "문화", "연예", "스포츠", "오피니언", "포토", "영상", "지역", "기획",
        "전체기사", "많이 본 뉴스", "이슈 모아보기", "뉴스레터 신청", "기자 소개", "제휴 문의"]
LINKS = [f"광주 시내버스 노선 개편 {i}차 설명회 열려 관심 집중" for i in range(1, 16)]


def head(title: str = TITLE, *, site: str = "빛고을일보", suffix: str = " - 빛고을일보", extra: str = "",
         charset: str = "utf-8", description: str | None = None, og_type: str = "article",
         author: str = '<meta name="author" content="구하늘 기자">') -> str:
    desc = BODY[0] if description is None else description
    site_meta = f'<meta property="og:site_name" content="{site}">' if site else ""
    return f"""<head><meta charset="{charset}">
<title>{title}{suffix}</title>
<meta property="og:title" content="{title}{suffix}">
{site_meta}
<meta property="og:type" content="{og_type}">
<meta property="og:description" content="{desc}">
<meta property="article:published_time" content="2024-05-28T17:48:00+09:00">
{author}
<link rel="canonical" href="https://www.bitgoeul.example/news/articleView.html?idxno=1234">
{extra}</head>"""


def nav() -> str:
    items = "".join(f'<li><a href="/section/{i}">{m}</a></li>' for i, m in enumerate(MENU))
    return f'<header><nav class="gnb"><ul>{items}</ul></nav></header>'


def footer() -> str:
    links = "".join(f'<li><a href="/news/{i}">{t}</a></li>' for i, t in enumerate(LINKS))
    return (f'<aside class="popular"><h3>많이 본 뉴스</h3><ul>{links}</ul></aside>'
            '<footer><p>빛고을일보 | 광주광역시 동구 예시로 1 | 대표전화 062-000-0000</p>'
            '<p>Copyright ⓒ 빛고을일보. All rights reserved.</p></footer>')


def article_page(paragraphs: list[str] = BODY, *, title: str = TITLE, before: str = "", after: str = "",
                 **head_kw) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html><html lang="ko">{head(title, **head_kw)}<body>{nav()}'
            f'<div id="container"><article><h1>{title}</h1>{before}<div id="article-view-content-div">{body}</div>'
            f'{after}</article></div>{footer()}</body></html>')


def boilerplate_page() -> str:
    """The seed article's pattern: subtitle, doubled captions, byline, related lists, tags, like button."""
    caption = "김민준 광주시 인공지능산업실장이 28일 시청에서 지원 사업을 설명하고 있다. (사진=구하늘 기자)"
    before = '<h4 class="subtitle">지역 기업·대학 공동 과제에 최대 2억 원</h4>'
    figure = f'<figure><img src="/photo/1.jpg"><figcaption>{caption}</figcaption></figure><p>{caption}</p>'
    paragraphs = BODY[:2]
    body = "".join(f"<p>{p}</p>" for p in paragraphs) + figure + "".join(f"<p>{p}</p>" for p in BODY[2:])
    after = (
        "<p>빛고을일보 구하늘 기자 haneul@bitgoeul.example</p>"
        "<p>[관련기사] 광주 인공지능 기업 매출 늘어…수출도 증가</p>"
        "<p>[관련기사] 광주 실증단지 입주 기업 모집</p>"
        "<div class=\"related\"><p>키워드 관련기사</p><ul>"
        "<li>인공지능 사관학교 졸업생 취업률 높아</li><li>광주 데이터센터 증설 논의</li></ul></div>"
        "<p>Tags #인공지능 #광주시 #공동연구</p>"
        "<p>이 기사 좋아요</p><p>포토뉴스</p>"
        "<p>저작권자 © 빛고을일보 무단전재 및 재배포 금지</p>"
    )
    return (f'<!DOCTYPE html><html lang="ko">{head()}<body>{nav()}<div id="container"><article><h1>{TITLE}</h1>'
            f'{before}<div id="article-view-content-div">{body}{after}</div></article></div>{footer()}</body></html>')


def jsonld_only_page(graph: bool = True) -> str:
    """Body only in JSON-LD (inside @graph, with a JavaScript comment the publisher left in)."""
    article = {
        "@type": "NewsArticle", "headline": TITLE, "articleBody": "\n".join(BODY),
        "datePublished": "2024-05-28T17:48:00+09:00", "dateModified": "2024-05-28T18:10:00+09:00",
        "author": [{"@type": "Person", "name": "구하늘 기자"}],
        "publisher": {"@type": "Organization", "name": "빛고을일보"},
    }
    data = {"@context": "https://schema.org", "@graph": [{"@type": "WebSite", "name": "빛고을일보"}, article]} if graph else article
    text = json.dumps(data, ensure_ascii=False, indent=1)
    text = text.replace('"datePublished"', '// 발행 시각\n "datePublished"', 1)
    extra = f'<script type="application/ld+json">{text}</script>'
    return (f'<!DOCTYPE html><html lang="ko">{head(extra=extra, description="")}<body>{nav()}'
            f'<div id="app"><div class="loading">불러오는 중</div></div>{footer()}</body></html>')


def page_state_page() -> str:
    """Body only in a page-state script, as a list of content elements (a client-rendered page)."""
    state = {"props": {"pageProps": {"article": {
        "title": TITLE, "id": "a1234",
        "content_elements": [{"type": "image", "url": "/p.jpg"}] + [{"type": "text", "content": p} for p in BODY],
    }}}, "buildId": "x1"}
    script = f"<script>window.__APP_STATE__ = {json.dumps(state, ensure_ascii=False)};</script>"
    return (f'<!DOCTYPE html><html lang="ko">{head(description="")}<body>{nav()}'
            f'<div id="root"></div>{script}{footer()}</body></html>')


SHORT = ["광주 도심에 올해 첫 폭염주의보가 내려졌습니다.", "시는 무더위 쉼터 운영 시간을 밤 9시까지 늘렸습니다."]


def short_article_page() -> str:
    """A two-sentence video story; the menu and the 'most read' list are far longer than the story."""
    body = "<br><br>".join(SHORT)
    return (f'<!DOCTYPE html><html lang="ko">{head("광주 첫 폭염주의보", description=SHORT[0])}<body>{nav()}'
            f'<div class="video_area"><div class="player"></div></div>'
            f'<div class="text_area" itemprop="articleBody">{body}</div>{footer()}</body></html>')


def short_article_no_markup_page() -> str:
    """The same short story without itemprop: only heuristics can find it."""
    body = "".join(f"<p>{s}</p>" for s in SHORT)
    return (f'<!DOCTYPE html><html lang="ko">{head("광주 첫 폭염주의보", description=SHORT[0])}<body>{nav()}'
            f'<div class="news_view">{body}</div>{footer()}</body></html>')


def printed_twice_page() -> str:
    """The body once in the page and again in a print/AMP block further down."""
    body = "".join(f"<p>{p}</p>" for p in BODY)
    return (f'<!DOCTYPE html><html lang="ko">{head()}<body>{nav()}<div id="content">'
            f'<div class="detail-body">{body}</div>'
            f'<div class="print-area"><h2>{TITLE}</h2><p>입력 2024-05-28 17:48</p>{body}</div>'
            f'</div>{footer()}</body></html>')


def list_page() -> str:
    items = "".join(f'<li><a href="/news/articleView.html?idxno={i}">{t}</a><span>2024-05-2{i % 9}</span></li>'
                    for i, t in enumerate(LINKS))
    return (f'<!DOCTYPE html><html lang="ko">{head("사회 - 전체기사", suffix="", description="", og_type="website")}'
            f'<body>{nav()}<div id="section-list"><ul class="type2">{items}</ul></div>'
            f'<div class="paging"><a href="?page=1">1</a><a href="?page=2">2</a></div>{footer()}</body></html>')


def soft_404_page() -> str:
    return ('<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>빛고을일보</title></head>'
            f'<body>{nav()}<div class="error"><h2>요청하신 페이지를 찾을 수 없습니다.</h2>'
            '<p>주소가 바르게 입력되었는지 확인해 주세요.</p><p><a href="/">홈으로</a></p></div></body></html>')


def login_wall_page() -> str:
    return (f'<!DOCTYPE html><html lang="ko">{head(description="")}<body>{nav()}<article><h1>{TITLE}</h1>'
            '<div class="paywall"><p>이 기사는 유료 회원 전용입니다.</p><p>로그인이 필요합니다. 로그인 후 이용해 주세요.</p>'
            f'<p><a href="/login">로그인</a> <a href="/join">회원가입</a></p></div></article>{footer()}</body></html>')


def euckr_declared_utf8_bytes() -> bytes:
    """Declares euc-kr in a meta tag, but the bytes are UTF-8."""
    return article_page(charset="euc-kr").encode("utf-8")


def euckr_bytes() -> bytes:
    """Really EUC-KR, declared only in the meta tag."""
    return article_page(charset="euc-kr").encode("euc-kr")


# Headlines of other stories that end in a quotation, as a "more news" box prints them.
QUOTE_HEADLINES = [
    '광주시장, 청년 창업가 간담회…"규제 먼저 풀겠다"',
    '시내버스 파업 이틀째…노사 "협상 재개"',
    '빛고을전자 노조 "임금 교섭 결렬"',
    '교육청, 급식 단가 인상 검토 "물가 반영"',
    "'폭염 대비' 무더위 쉼터 1천 곳 지정",
    '도심 재개발 갈등…주민들 "이주 대책 먼저"',
]


def menu_only_page(anchors: bool = True) -> str:
    """An article template whose story is missing: chrome labels and a box of other headlines ending in quotes.

    With `anchors`, each headline sits in a link together with its section label (so no link's text is the
    headline alone); without, the items are clickable list entries with no <a> at all.
    """
    sections = ["정치", "경제", "사회", "국제", "문화", "지역"]
    if anchors:
        items = "".join(f'<li class="item"><a href="/news/{i}"><em>{sections[i]}</em><strong class="title">{h}</strong>'
                        f'<div class="thumb"><img src="/p/{i}.jpg" alt=""></div></a></li>'
                        for i, h in enumerate(QUOTE_HEADLINES))
    else:
        items = "".join(f'<li class="item" onclick="location.href=\'/news/{i}\'"><em>{sections[i]}</em>'
                        f'<strong class="title">{h}</strong></li>' for i, h in enumerate(QUOTE_HEADLINES))
    chrome = ('<div class="util"><h2>주메뉴</h2><button>자동완성 열기</button><button>자동완성 끄기</button>'
              '<p>인기검색어</p><button>검색닫기</button><button>Close</button><span>0</span>'
              '<button>확대하기</button><button>축소하기</button><button>이전</button><button>다음</button>'
              '<button>복사</button></div>')
    return (f'<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>빛고을방송</title>'
            f'<meta property="og:type" content="article"><meta property="og:site_name" content="빛고을방송"></head>'
            f'<body><header><h1>빛고을방송</h1>{chrome}</header><div id="content"><div class="article-view"></div>'
            f'<div class="article detail-cate"><ul>{items}</ul></div></div>'
            f'<footer><p>빛고을방송 | 광주광역시 예시로 1</p></footer></body></html>')
