"""Korean news boilerplate removed from extracted article text.

Every rule is data: a name, what it does (`strip` a span inside a paragraph,
`drop` the paragraph, `cut` the paragraph and everything after it) and one line
saying why it exists. `clean_text` applies them in order, then removes repeated
paragraphs. Rules look at one paragraph at a time (paragraphs are the lines of
the text), so a word such as "기자" inside a sentence is never touched; `drop`
rules carry a length limit for the same reason.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Action = Literal["strip", "drop", "cut"]

_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_NAME = r"[가-힣]{2,4}"
_ROLE = r"(?:기자|특파원|에디터|객원기자|인턴기자|선임기자|전문기자|통신원|PD)"
# A paragraph that ends like a sentence (…다. …요 …”), optionally followed by a caption's date.
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_NON_WORD = re.compile(r"[\W_]+")
_ROLES = ("기자", "특파원", "에디터", "통신원", "pd")
_SENTENCE_END = re.compile(r"(?:[다요죠까음함됨임니][.!?]?|[.!?]|[.!?][\"'”’)\]]+|[\"'”’])(?:\s+\d{4}\.\d{1,2}\.\d{1,2}\.?)?\s*$")
# How a reported sentence ends ('…밝혔다.', '…있습니다.', '…말했다”'): boilerplate lines do not end this way.
_PROSE_END = r"(?:다|요|죠)[.!?][\"'”’)\]]*\s*$"
# Stricter than a sentence: a predicate ending ('…했다', '…입니다.', '…말했다”') or a full stop after a word.
# A headline ending in a quoted phrase ('…노사 "협상 재개"') or in '…' is no prose.
_PROSE = re.compile(r"(?:[다요죠까][.!?]?|[가-힣A-Za-z0-9%)][.!?])[\"'”’)\]]*(?:\s+\d{4}\.\d{1,2}\.\d{1,2}\.?)?\s*$")
# Labels of share, print, font-size, subscribe and navigation buttons, and of video-player controls.
_BUTTON = (r"공유(?:하기)?|기사\s*공유|페이스북|트위터|카카오(?:톡|스토리)?|(?:네이버\s*)?밴드|라인|링크\s*복사|URL\s*복사|주소\s*복사|복사(?:하기)?|"
           r"스크랩|인쇄(?:하기)?|프린트|글자\s*크기(?:\s*(?:조절|변경))?|글씨\s*크기|크게|작게|확대(?:하기)?|축소(?:하기)?|북마크|"
           r"좋아요|싫어요|구독(?:하기)?|닫기|제보하기|기사\s*제보|이전\s*기사|다음\s*기사|이전|다음|목록(?:으로|보기)?|댓글|"
           r"앱\s*(?:다운로드|설치)|동영상\s*재생|전체\s*재생|재생\s*목록|연속\s*재생|재생|음소거")


@dataclass(frozen=True)
class Rule:
    name: str
    action: Action
    pattern: re.Pattern[str]
    max_len: int = 0  # drop/cut only paragraphs at most this long (0 = any length)
    why: str = ""
    # Lower-case substrings of which one must occur for the pattern to be tried at all: a cheap
    # `in` test spares the regex on most paragraphs (clean-up must not cost more than extraction).
    needs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        needs = re.compile("|".join(map(re.escape, self.needs))) if self.needs else None
        object.__setattr__(self, "_needs", needs)

    def may_apply(self, lower_paragraph: str) -> bool:
        return self._needs is None or self._needs.search(lower_paragraph) is not None


def _r(p: str) -> re.Pattern[str]:
    return re.compile(p, re.I)


RULES: tuple[Rule, ...] = (
    # -- spans inside a paragraph ------------------------------------------------
    Rule("photo_credit_paren", "strip", _r(r"\s*[(<]\s*(?:사진|영상|그래픽|자료|화면|출처)\s*[=:][^()<>]{0,60}[)>]\.?"),
         why="(사진=홍길동 기자) credits a photo; it is not part of the story and repeats on every caption", needs=("=", ":")),
    Rule("photo_credit_bracket", "strip", _r(r"\s*\[\s*(?:사진|영상|그래픽|자료|이미지)\s*(?:출처)?\s*[:=][^\[\]]{0,80}\]"),
         why="[사진 출처 : …] / [사진=…] credits at the end of KBS/MBC bodies", needs=("=", ":")),
    Rule("lead_byline_bracket", "strip", _r(r"^\s*[\[(【]\s*[^\[\]()【】]{0,25}?" + _NAME + r"\s*" + _ROLE + r"\s*[\])】]\s*(?:=\s*)?"),
         why="[○○스포츠 홍길동 기자] / [OSEN=대전, 홍길동 기자] opens the copy; a byline, not text", needs=_ROLES),
    Rule("lead_byline_wire", "strip", _r(r"^\s*[(\[][^()\[\]]{1,20}=\s*[^()\[\]]{1,15}[)\]]\s*(?:" + _NAME + r"\s*" + _ROLE + r"\s*=\s*)?"),
         why="(서울=○○통신) 홍길동 기자 = / [서울=○○]홍길동 기자 = is the dateline and byline of wire copy", needs=("=",)),
    Rule("trailing_email", "strip", _r(r"\s*[/(]?\s*" + _EMAIL + r"\s*\)?\s*$"),
         why="a reporter's e-mail glued to the last sentence (… 있다. 2024.05.28 /gildong@example.com)", needs=("@",)),
    Rule("trailing_byline", "strip", _r(r"(?<=[.!?다\"”’])\s+(?:[\w·]{1,12}\s+)?" + _NAME + r"\s*" + _ROLE + r"\s*$"),
         why="'…밝혔다. 홍길동 기자': a byline glued to the last sentence of the body", needs=_ROLES),
    Rule("end_marker", "strip", _r(r"\s*[(\[]\s*끝\s*[)\]]\s*$"),
         why="(끝) marks the end of wire copy", needs=("끝",)),
    # -- whole paragraphs ------------------------------------------------------
    Rule("byline_email", "drop", _r(r"^(?!.*" + _PROSE_END + r").*" + _EMAIL), max_len=90,
         why="a short paragraph with an e-mail that does not end like a sentence is a byline or a tip-line "
             "(홍길동 기자 gildong@…, ▷ 이메일 …); '신청은 이메일(…)로 받는다.' stays", needs=("@",)),
    Rule("byline_bare", "drop", _r(r"^\s*(?:\w{1,15}\s+)?(?:" + _NAME + r"\s*" + _ROLE + r"?\s*[/·,]\s*)*" + _NAME + r"\s*" + _ROLE + r"\s*$"),
         max_len=40, why="a paragraph that is only a name and a role (홍길동 기자) is a byline", needs=_ROLES),
    Rule("contact_line", "drop", _r(r"^\s*(?:[▷▶■●◆※☞]\s*)?(?:전화|연락처|이메일|e-?mail|카카오톡|카톡|팩스|(?:뉴스\s*)?홈페이지)(?:\s*번호)?\s*"
                                    r"(?:[:：]\s*\S|\(?0\d{1,2}\)?[-.\s]?\d{3,4}[-.\s]?\d{4}|1\d{3}-\d{4}|@|https?://|www\.|" + _EMAIL + ")"), max_len=100,
         why="▷ 전화 02-… / ▷ 이메일 : … lines of a tip box: the label must be followed by a colon or a contact value, so "
             "'전화 통화에서…' or '이메일 해킹…' stays", needs=("전화", "연락처", "이메일", "mail", "카카오톡", "카톡", "팩스", "홈페이지")),
    Rule("byline_dated", "drop", _r(_NAME + r"\s*" + _ROLE + r"\s*[|ㅣ/]\s*(?:기사)?(?:입력|등록|승인|수정)"), max_len=80,
         why="홍길동 기자 | 기사입력 2024/05/28: byline with the date line of small CMSs", needs=_ROLES),
    Rule("copyright", "drop", _r(r"무단\s*(?:전재|복제|게재|배포).{0,12}(?:재\s*배포|금지)|재\s*배포\s*금지\s*[>\]】)]?\s*$|[ⓒ©]|^\s*[<\[]?\s*\(c\)\s*\w|copyrights?\s*(?:[ⓒ©]|\(c\)|\d{4}|by\b|[:：])|"
                                 r"all\s+rights\s+reserved|저작권자\s*(?:[ⓒ©]|\(c\)|[:：])"), max_len=150,
         why="copyright notices (무단전재 및 재배포 금지, ⓒ 빛고을일보, Copyright 2024 …) end nearly every Korean article; "
             "the notice's phrasing is matched, not the words 저작권/copyright in a sentence",
         needs=("무단", "배포", "ⓒ", "©", "(c)", "copyright", "rights", "저작권자")),
    Rule("caption_arrow", "drop", _r(r"^\s*▲\s+\S.{20,}"), max_len=300,
         why="'▲ 사진 설명' (arrow, space, a sentence) is a photo caption; '▲항목' without a space is a list bullet and stays", needs=("▲",)),
    Rule("photo_credit_line", "drop", _r(r"^\s*[(\[/]?\s*(?:사진|영상|그래픽|이미지)\s*(?:제공|출처)?\s*[=:]\s*[^\n]{1,40}$"), max_len=50,
         why="사진=홍길동 기자 on its own line credits the photo above it", needs=("사진", "영상", "그래픽", "이미지")),
    Rule("credit_only", "drop", _r(r"^\s*/\s*[\w·]{2,15}\s*$|^\s*/?\s*(?:[\w가-힣·]{1,20}\s*)?(?:제공|캡처|갈무리|DB|자료사진|뉴스1|뉴시스|연합뉴스|게티이미지(?:뱅크)?|AP|AFP|로이터|EPA)(?:\s*[=/][^\n]{0,20})?\s*\.?$"),
         max_len=40, why="/○○통신, ○○소방본부 제공: a photo credit on its own line"),
    Rule("tags_line", "drop", _r(r"^\s*(?:tags?|태그|키워드)\s*[:#]?\s*(?:#|$)|^\s*(?:#[^\s#]+\s*){1,}$"), max_len=300,
         why="Tags #… and lines of hashtags are navigation to tag pages", needs=("tag", "태그", "키워드", "#")),
    Rule("related_line", "drop", _r(r"^\s*[\[【<]\s*관련\s*기사\s*[\]】>]"), max_len=200,
         why="[관련기사] lines link other stories", needs=("관련",)),
    Rule("share_prompt", "drop", _r(
        r"^\s*(?:" + _BUTTON + r")(?:\s*\d+)?(?:\s*[|/·,]?\s*(?:" + _BUTTON + r")(?:\s*\d+)?)*\s*$|"
        r"^\s*(?:이\s*)?브라우저(?:가|는|에서는)\s*(?:video|비디오|동영상|html5)\s*(?:태그|재생)?(?:를|을)?\s*지원하지\s*않습니다"), max_len=60,
         why="share/subscribe buttons and video-player messages leak in as short paragraphs; only a line made of button "
             "labels alone is dropped, so '카카오 주가 급락…' or '목록에 오른 기업은…' stays"),
    Rule("subscribe_prompt", "drop", _r(
        r"(?:구독|채널\s*추가|친구\s*추가|앱\s*(?:다운로드|다운|설치))\s*(?:하기|하세요|해\s*주세요|신청|받기|바로\s*가기)\s*[!.~]*\s*[\])】>]?\s*$|"
        r"^\s*[▶▷☞■※\[]?\s*(?:[\w·]{1,15}\s*)?(?:기사\s*문의\s*및\s*제보|제보\s*(?:및\s*문의)?)\s*[:：]|"
        r"^\s*[▶▷☞■※]?\s*제보\s*(?:는|하기)?\s*[:：]?\s*(?:카톡|카카오톡|이메일|전화)\s*[:：/]?\s*[\w@'‘\"“(]"),
         max_len=120, why="'○○를 구독하세요', '앱 다운로드 받기', '기사문의 및 제보 : 카톡 …' invite the reader; the invitation "
             "must end the line (or be a labelled tip line), so '유료 구독 서비스를 출시했다' stays", needs=("구독", "제보", "앱", "추가")),
    Rule("reporter_links", "drop", _r(r"기자의?\s*(?:다른\s*)?(?:기사|뉴스)\s*(?:모음|더\s*보기|보기)\s*[>›»+]?\s*$|기자\s*(?:구독|페이지)(?:하기)?\s*[>›»+]?\s*$"), max_len=60,
         why="'홍길동 기자의 기사 모음' links to the reporter's page", needs=("기자",)),
    Rule("date_stamp", "drop", _r(r"^\s*(?:[-·•]\s*)?(?:기사\s*)?(?:입력|등록|수정|승인|업데이트|송고|발행|written|updated|posted|published)\s*(?:일|시간|on)?\s*[:：]?\s*\d{4}[-./]"
                                  r"|^\s*\d{4}[-./]\d{1,2}[-./]\d{1,2}\.?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*$"), max_len=80,
         why="입력 2023-04-07 08:26 / 수정 … / a bare date line are page chrome"),
    # -- everything after these markers is page furniture -----------------------
    Rule("like_button", "cut", _r(r"^\s*이\s*기사\s*(?:좋아요|를?\s*추천(?:하기|해요|합니다)?|어땠나요|어떠셨나요)\s*[?？!]?"
                                   r"(?:\s*(?:\d+|좋아요|싫어요|슬퍼요|화나요|추천해요|후속기사\s*원해요|[|/·,]))*\s*$"), max_len=60,
         why="'이 기사 좋아요' / '이 기사 어땠나요?' follow the body; after it come widgets", needs=("기사",)),
    Rule("tip_line", "cut", _r(r"^\s*[■▶▷◆●※]?\s*(?:제보하기|기사\s*제보|뉴스\s*제보|기자\s*정보)\s*$"), max_len=20,
         why="a '제보하기' / '기자 정보' box follows the story: phone numbers, messenger ids, profile links", needs=("제보", "기자")),
    Rule("keyword_related", "cut", _r(r"^\s*(?:키워드\s*관련\s*기사|관련\s*기사(?:\s*더\s*보기|\s*목록)?|함께\s*(?:보면\s*좋은|볼만한)\s*(?:기사|뉴스)|"
                                       r"많이\s*본\s*(?:기사|뉴스)|추천\s*(?:기사|뉴스)|주요\s*뉴스|인기\s*기사|포토\s*뉴스|최신\s*뉴스)\s*$"),
         max_len=30, why="a 'related / most read' heading starts a list of other stories"),
)


@lru_cache(maxsize=8192)  # the same paragraph is keyed by clean-up, dedupe and the quality score
def normalize(paragraph: str) -> str:
    """Key for comparing paragraphs: NFKC, no spaces, no punctuation."""
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", paragraph)).lower()


def looks_like_sentence(paragraph: str) -> bool:
    return bool(_SENTENCE_END.search(paragraph.strip()))


def looks_like_prose(paragraph: str) -> bool:
    return bool(_PROSE.search(paragraph.strip()))


def _apply(rule: Rule, para: str) -> str | None:
    """The paragraph after the rule: text, '' when dropped, None when the rule cuts here."""
    if rule.max_len and len(para) > rule.max_len and rule.action != "strip":
        return para
    if rule.action == "strip":
        return rule.pattern.sub("", para).strip()
    if rule.pattern.search(para):
        return "" if rule.action == "drop" else None
    return para


def clean_paragraphs(paragraphs: list[str], *, title: str = "", rules: tuple[Rule, ...] = RULES,
                     link_texts: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Apply the rules, drop repeats, menu items and the title echoed in the body; keep the lead.

    `link_texts` are the normalized texts of the page's links: a short paragraph that
    is not a sentence and is exactly a link's text is a menu item that leaked in.
    """
    out: list[str] = []
    title_key = normalize(title) if title else ""
    body_seen = False
    for raw in paragraphs:
        para = _SPACES.sub(" ", raw).strip()
        if not para:
            continue
        cut = False
        low = para.lower()
        for rule in rules:
            if not rule.may_apply(low):
                continue
            result = _apply(rule, para)
            if result is None:
                # A marker before any story text is a stray widget label, not the end of the story.
                cut = body_seen
                para = ""
                break
            para = result
            if not para:
                break
        if cut:
            break
        if not para:
            continue
        key = normalize(para)
        if title_key and key == title_key:
            continue  # the headline printed again above the body
        if link_texts and len(para) <= 150 and key in link_texts and not looks_like_sentence(para):
            continue  # a menu item or a related headline ("뉴스 7") that is exactly a link's text
        out.append(para)
        if len(para) >= 40 or looks_like_sentence(para):
            body_seen = True
    return dedupe(out)


def dedupe(paragraphs: list[str], min_key: int = 8) -> list[str]:
    """Drop paragraphs already seen (captions printed twice, bodies printed twice).

    A lone short repeat ("[앵커]", "네.") may be real, so a repeat is dropped when its
    key has at least `min_key` characters or when it sits in a run of repeats (a block
    printed a second time, short labels included). A paragraph contained in the text
    seen so far (a body printed once as one block and once per paragraph) counts as
    a repeat when it is long.
    """
    keys = [normalize(p) for p in paragraphs]
    seen: set[str] = set()
    joined = ""
    repeat = []
    for key in keys:
        repeat.append(bool(key) and (key in seen or (len(key) >= 60 and key in joined)))
        seen.add(key)
        joined += key
    out = []
    for i, (para, key) in enumerate(zip(paragraphs, keys)):
        if repeat[i]:
            in_run = (i > 0 and repeat[i - 1]) or (i + 1 < len(repeat) and repeat[i + 1])
            if len(key) >= min_key or in_run:
                continue
        out.append(para)
    return out


def clean_text(text: str, *, title: str = "", rules: tuple[Rule, ...] = RULES) -> str:
    """Cleaned text with paragraphs joined by a newline."""
    return "\n".join(clean_paragraphs(text.splitlines(), title=title, rules=rules))
