"""Every clean-up rule, on paragraphs written for the project."""
from __future__ import annotations

import pytest

from extractors.cleanup import RULES, clean_paragraphs, clean_text, dedupe

S1 = "광주시는 올해 인공지능 실증 사업에 예산 120억 원을 배정했다고 28일 밝혔다."
S2 = "시는 지역 대학과 함께 데이터 인력 500명을 길러낼 계획이다."

# (rule name, paragraphs in, paragraphs out). Every rule in RULES must appear here.
CASES = [
    ("photo_credit_paren", [S1 + " (사진=구하늘 기자)."], [S1]),
    ("photo_credit_paren", ["시장이 발언하고 있다.(영상=광주시 제공)", S2], ["시장이 발언하고 있다.", S2]),
    ("photo_credit_bracket", [S1 + "[사진 출처 : 광주시 공식 누리집 캡처]"], [S1]),
    ("lead_byline_bracket", ["[빛고을일보 구하늘 기자] " + S1], [S1]),
    ("lead_byline_bracket", ["[OSEN=광주, 구하늘 기자] " + S1], [S1]),
    ("lead_byline_wire", ["(광주=빛고을통신) 구하늘 기자 = " + S1], [S1]),
    ("lead_byline_wire", ["[광주=빛고을통신]구하늘 기자 = " + S1], [S1]),
    ("trailing_email", [S1 + " 2024.05.28 /haneul@bitgoeul.example"], [S1 + " 2024.05.28"]),
    ("trailing_byline", [S1 + " 빛고을일보 구하늘 기자"], [S1]),
    ("trailing_byline", [S2 + " 구하늘 기자(haneul@bitgoeul.example)"], [S2]),
    ("photo_credit_line", [S1, "/사진=빛고을통신"], [S1]),
    ("end_marker", [S2 + " (끝)"], [S2]),
    ("trailing_email", [S1, "빛고을일보 구하늘 기자 haneul@bitgoeul.example"], [S1]),
    ("byline_email", [S1, "구하늘 기자 haneul@bitgoeul.example 2024.05.28 17:48"], [S1]),
    ("contact_line", [S1, "▷ 전화 062-000-0000 ▷ 이메일 jebo@bitgoeul.example"], [S1]),
    ("byline_bare", [S1, "구하늘 기자"], [S1]),
    ("byline_bare", [S1, "빛고을일보 구하늘 · 김바다 기자"], [S1]),
    ("byline_dated", ["구하늘 기자 | 기사입력 2024/05/28 [17:48]", S1], [S1]),
    ("copyright", [S1, "저작권자 © 빛고을일보 무단전재 및 재배포 금지"], [S1]),
    ("copyright", [S1, "Copyrights ⓒ 빛고을방송. 무단전재 및 재배포 금지 제보하기"], [S1]),
    ("caption_arrow", ["▲ 강민수 광주시장이 28일 시청 회의실에서 발언하고 있다.", S1], [S1]),
    ("caption_arrow", ["▲한빛전자=공급계약 체결", "▲새봄바이오=유상증자 결정"], ["▲한빛전자=공급계약 체결", "▲새봄바이오=유상증자 결정"]),
    ("photo_credit_line", [S1, "사진=구하늘 기자"], [S1]),
    ("credit_only", ["/빛고을통신", S1], [S1]),
    ("credit_only", ["광주소방본부 제공", S1], [S1]),
    ("tags_line", [S1, "Tags #인공지능 #광주시"], [S1]),
    ("tags_line", [S1, "#인공지능 #광주시 #실증사업"], [S1]),
    ("related_line", [S1, "[관련기사] 광주 인공지능 기업 매출 늘어"], [S1]),
    ("share_prompt", [S1, "공유하기", "페이스북 트위터 카카오톡"], [S1]),
    ("share_prompt", ["브라우저가 video 태그를 지원하지 않습니다.", S1], [S1]),
    ("subscribe_prompt", [S1, "빛고을방송 기사문의 및 제보 : 카톡/라인 jebo00"], [S1]),
    ("subscribe_prompt", [S1, "네이버에서 빛고을일보를 구독하세요"], [S1]),
    ("reporter_links", [S1, "구하늘 기자의 기사 모음"], [S1]),
    ("date_stamp", ["입력 2024-05-28 17:48:00", "수정2024-05-28 18:10:00", S1], [S1]),
    ("date_stamp", [S1, "2024-05-28"], [S1]),
    ("like_button", [S1, "이 기사 좋아요", "포토뉴스", "다른 기사 제목이 여기에 온다"], [S1]),
    ("tip_line", [S1, "■ 제보하기", "▷ 카카오톡 : '빛고을제보' 검색", "▷ 전화 : 062-000-0000"], [S1]),
    ("keyword_related", [S1, S2, "키워드 관련기사", "인공지능 사관학교 졸업생 취업률 높아"], [S1, S2]),
    ("keyword_related", [S1, "많이 본 뉴스", "시내버스 노선 개편"], [S1]),
]

# Boilerplate in the shapes the tightened rules still recognise.
REMOVED = [
    ("share_prompt", "페이스북 공유하기 트위터 공유하기"),
    ("share_prompt", "좋아요 12 | 댓글 3"),
    ("share_prompt", "글자 크기 조절 인쇄하기 스크랩"),
    ("share_prompt", "이 브라우저는 비디오 태그를 지원하지 않습니다."),
    ("contact_line", "▷ 카카오톡 @빛고을제보"),
    ("contact_line", "전화 062-000-0000"),
    ("contact_line", "▷ 홈페이지 : https://www.bitgoeul.example/jebo"),
    ("subscribe_prompt", "빛고을일보 앱 다운로드 받기"),
    ("subscribe_prompt", "[네이버 메인에서 빛고을일보 채널 구독하기]"),
    ("subscribe_prompt", "제보는 카카오톡 bitgoeul"),
    ("copyright", "<ⓒ빛고을통신 재배포 금지>"),
    ("copyright", "Copyright 2024 Bitgoeul Ilbo. All rights reserved."),
    ("copyright", "저작권자(c) 빛고을일보, 무단 전재-재배포 및 AI 학습 이용 금지"),
    ("byline_email", "구하늘 기자(haneul@bitgoeul.example)"),
    ("reporter_links", "구하늘 기자 페이지 >"),
]
CASES += [(rule, [S1, line, S2], [S1, S2]) for rule, line in REMOVED]


@pytest.mark.parametrize("rule,given,expected", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule(rule, given, expected):
    assert rule in {r.name for r in RULES}
    assert clean_paragraphs(given) == expected


def test_every_rule_is_tested_and_explained():
    tested = {c[0] for c in CASES}
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))
    assert set(names) <= tested, f"rules without a test: {set(names) - tested}"
    assert all(r.why.strip() for r in RULES)


# Realistic story sentences and headlines containing the words the rules look for, with the rule that
# used to drop them (a keyword or prefix match on any short paragraph). Each must survive, in the body
# and as the first paragraph (a subtitle).
KEPT = [
    ("share_prompt", "트위터 등에서는 #구명운동 해시태그를 단 글이 빠르게 퍼지고 있습니다."),
    ("share_prompt", "카카오 주가 급락…"),
    ("share_prompt", "페이스북 모회사 메타, 직원 1만명 감원"),
    ("share_prompt", "목록에 오른 기업은 모두 12곳이다."),
    ("share_prompt", "구독자 100만 명 돌파"),
    ("share_prompt", "밴드 멤버 전원이 재계약에 합의했다."),
    ("share_prompt", "인쇄 업계는 종이값 인상에 울상이다."),
    ("share_prompt", "좋아요 수를 숨기는 기능이 다음 달 도입된다."),
    ("share_prompt", "스크랩 가격이 한 달 새 10% 올랐다."),
    ("share_prompt", "닫기 직전 매장에 손님이 몰렸다."),
    ("share_prompt", "다음 기사 마감까지 남은 시간은 두 시간뿐이었다."),
    ("contact_line", "전화 통화에서 그는 이렇게 말했습니다."),
    ("contact_line", "이메일 해킹 피해가 잇따르고 있습니다."),
    ("contact_line", "카카오톡 먹통 사태로 택시 호출도 멈췄다."),
    ("contact_line", "팩스로 보낸 사직서도 효력이 있다는 판결이 나왔다."),
    ("subscribe_prompt", "방역당국은 자가진단 앱 설치를 의무화했습니다."),
    ("subscribe_prompt", "네이버는 이달부터 유료 구독 서비스를 출시했다."),
    ("subscribe_prompt", "구독 신청이 몰리면서 서버가 한때 멈췄다."),
    ("subscribe_prompt", "경찰은 시민 제보 전화를 받고 현장에 출동했다."),
    ("subscribe_prompt", "네이버 채널 구독자가 500만 명을 넘어섰다."),
    ("copyright", "저작권자 단체는 이번 판결에 강하게 반발했다."),
    ("copyright", "출판사는 웹툰을 무단 전재한 사이트 운영자를 고소했다."),
    ("copyright", "미국 저작권청(Copyright Office)은 AI가 만든 그림의 등록을 거부했다."),
    ("copyright", "재배포 금지 조항을 어긴 업체에 과징금이 부과됐다."),
    ("byline_email", "참가 신청은 이메일(apply@bitgoeul.example)로 받는다."),
    ("reporter_links", "포털은 기자 구독 기능을 이달 중 없앤다고 밝혔다."),
    ("like_button", "이 기사를 추천한 독자가 하루 만에 1만 명을 넘었다."),
    # words that were always safe inside sentences
    ("byline_bare", "행사에는 지역 기자 30여 명과 시민 200명이 참석해 의견을 나눴다."),
    ("credit_only", "시는 참가자에게 교통비를 제공할 예정이라고 설명했다."),
    ("subscribe_prompt", "이 서비스의 유료 구독자는 지난해보다 두 배 늘어난 것으로 나타났다."),
    ("copyright", "경찰은 건물에 무단으로 들어간 혐의로 20대 남성을 입건했다."),
]


@pytest.mark.parametrize("rule,sentence", KEPT, ids=[f"{r}-{i}" for i, (r, _) in enumerate(KEPT)])
def test_story_sentences_with_trigger_words_are_kept(rule, sentence):
    assert rule in {r.name for r in RULES}
    assert clean_paragraphs([S1, sentence, S2]) == [S1, sentence, S2]
    assert clean_paragraphs([sentence, S1, S2]) == [sentence, S1, S2]


def test_like_button_with_reaction_counts_cuts():
    assert clean_paragraphs([S1, S2, "이 기사 좋아요 3 싫어요 0", "포토뉴스"]) == [S1, S2]


def test_cut_marker_before_the_story_does_not_cut_it():
    # A "많이 본 뉴스" label above the story is a stray widget heading, not the end of the story.
    assert clean_paragraphs(["많이 본 뉴스", S1, S2]) == [S1, S2]


def test_doubled_caption_blocks_removed():
    cap = "참석자들이 28일 광주시청에서 열린 간담회에서 기념 촬영을 하고 있다. (사진=구하늘 기자)."
    out = clean_paragraphs([S1, cap, cap, S2, cap.replace("기념 촬영을", "토론을"), cap.replace("기념 촬영을", "토론을")])
    assert out == [S1, cap.split(" (사진")[0], S2, cap.split(" (사진")[0].replace("기념 촬영을", "토론을")]


def test_body_printed_twice_is_kept_once():
    body = [S1, S2, "[앵커]", "시는 다음 달 설명회를 연다."]
    assert dedupe(body + ["뉴스 9"] + body) == body + ["뉴스 9"]


def test_lone_short_repeat_is_kept():
    # "네." answered twice in an interview is real text.
    assert dedupe(["질문에 그는 이렇게 답했다.", "네.", "다시 물었다.", "네."]) == [
        "질문에 그는 이렇게 답했다.", "네.", "다시 물었다.", "네."]


def test_block_repeating_earlier_paragraphs_as_one_paragraph():
    assert dedupe([S1, S2, S1 + " " + S2]) == [S1, S2]


def test_title_echo_and_menu_links_removed():
    title = "광주시, 인공지능 실증 예산 120억 원 배정"
    links = {"정치", "뉴스9"}
    out = clean_paragraphs([title, S1, "뉴스 9", S2], title=title, link_texts=links)
    assert out == [S1, S2]


def test_lead_subtitle_kept():
    subtitle = "데이터 인력 500명 양성…대학과 협력"
    assert clean_paragraphs([subtitle, S1, S2]) == [subtitle, S1, S2]


def test_clean_text_joins_with_newlines():
    assert clean_text(f"{S1}\n\n  \n{S2}\n구하늘 기자") == f"{S1}\n{S2}"


def test_docs_name_every_rule_and_setting():
    from pathlib import Path

    from newswatch.config import ExtractSettings

    doc = (Path(__file__).resolve().parents[2] / "docs" / "extraction.md").read_text(encoding="utf-8")
    assert [r.name for r in RULES if f"`{r.name}`" not in doc] == []
    assert [f for f in ExtractSettings.model_fields if f"`{f}`" not in doc] == []
