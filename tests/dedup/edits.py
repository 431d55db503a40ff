"""The edit generator that turns one written story into syndicated copies.

Each copy gets a different headline (an alternative headline written with the
story, or the original with a [속보]/[단독]-style tag) and two to four of the
edits Korean outlets make when they republish a wire or press-release story:

- byline      "(광주=OO뉴스) 이름 기자 =" before the first paragraph, or a "이름 기자 email" line
- trim        the last paragraph (sometimes the last two) dropped
- reorder     two adjacent paragraphs after the lead swapped
- drop        one sentence after the lead removed
- caption     a photo caption inserted after the lead (printed twice, as some sites do)
- boilerplate the outlet's copyright / subscription lines appended
- respace     quotes, brackets and spacing changed (“ ”, line breaks) without changing words
- paraphrase  a desk's light rewrite of some sentences: 인공지능→AI, 밝혔다→전했다, 지난해→작년, ...
- brief       only the lead and the next two paragraphs kept (a portal brief)

Everything is seeded, so a seed gives the same labelled set on every machine.
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from newswatch.models import Article

DATA = Path(__file__).parent / "data"

OUTLETS = [
    ("한빛뉴스", "hanbit-news.example.com"),
    ("새아침일보", "saeachim.example.kr"),
    ("뉴스온누리", "onnuri-news.example.net"),
    ("데일리광장", "daily-plaza.example.co.kr"),
    ("시사포커스K", "focus-k.example.com"),
    ("남부타임즈", "nambu-times.example.kr"),
    ("경제투데이K", "econ-today.example.com"),
    ("모바일뉴스24", "m-news24.example.net"),
]
WIRES = ["한빛뉴스", "뉴스온누리", "새아침통신"]
REPORTERS = ["김민준", "이서연", "박지훈", "최유진", "정하늘", "강도윤", "윤서아", "임재현"]
TAGS = ["[속보]", "[단독]", "[종합]", "[포토]", "[2보]"]
CITIES = {"gwangju": "광주", "busan": "부산", "jeonnam": "화순", "jeju": "제주", "seoul": "서울"}
BOILERPLATE = [
    "<저작권자 © {outlet}, 무단 전재 및 재배포 금지>",
    "ⓒ {outlet} 무단전재-재배포, AI 학습 및 활용 금지",
    "▶ {outlet} 네이버 채널 구독하기 ▶ 제보는 카카오톡 '{outlet}' 친구 추가",
    "{outlet}의 기사를 더 보시려면 홈페이지를 방문해 주세요. 기사 제보 및 보도자료 press@{host}",
    "Copyright {outlet}. All rights reserved.",
]
CAPTIONS = [
    "{day} 관계자들이 행사장에서 기념 촬영을 하고 있다. (사진={source} 제공)",
    "▲ {title} 현장 모습. /사진={source}",
    "사진은 {day} {city} 시내 모습. {outlet} 자료사진",
]

# Substitutions a copy desk makes; applied per sentence, so copies differ from each other too.
PARAPHRASE = [
    ("인공지능", "AI"), ("밝혔다", "전했다"), ("말했다", "설명했다"), ("계획이다", "방침이다"),
    ("예정이다", "계획이다"), ("지난해", "작년"), ("광주광역시", "광주시"), ("과학기술정보통신부", "과기정통부"),
    ("킬로미터", "㎞"), ("밀리미터", "㎜"), ("헥타르", "㏊"), ("이날", "이날"), ("모두", "총"), ("약 ", "대략 "),
    ("늘어난", "증가한"), ("늘었다", "증가했다"), ("줄일", "감축할"), ("시작했다", "개시했다"),
]

_SENT = re.compile(r"(?<=[.?!다])\s+(?=\S)")


@dataclass(frozen=True)
class Item:
    """One article of the labelled set."""

    story: str  # gold story id
    topic: str
    kind: str  # original | copy | update
    article: Article
    edits: tuple[str, ...] = ()


@dataclass
class Story:
    id: str
    topic: str
    day: str
    outlet: str
    url: str
    title: str
    alt_titles: list[str]
    paragraphs: list[str]
    updates: list[dict] = field(default_factory=list)


def load_stories(path: Path = DATA / "stories.json") -> list[Story]:
    data = json.loads(path.read_text(encoding="utf-8"))
    stories = {s["id"]: Story(**s) for s in data["stories"]}
    for u in data["updates"]:
        stories[u["of"]].updates.append(u)
    return list(stories.values())


def _published(story: Story, hours: float = 0.0) -> datetime:
    day = datetime.fromisoformat(story.day).replace(hour=9, tzinfo=timezone(timedelta(hours=9)))
    return day + timedelta(hours=hours)


def original(story: Story) -> Article:
    return Article(
        url=story.url,
        title=story.title,
        text="\n".join(story.paragraphs),
        published=_published(story),
        site_name=story.outlet,
    )


def update(story: Story, u: dict, n: int) -> Article:
    return Article(
        url=f"{story.url}?upd={n}",
        title=u["title"],
        text="\n".join(u["paragraphs"]),
        published=_published(story, u.get("delay_hours", 1)),
        updated=_published(story, u.get("delay_hours", 1)),
        site_name=story.outlet,
    )


def sentences(paragraph: str) -> list[str]:
    return [s for s in _SENT.split(paragraph) if s]


def paraphrase(paragraph: str, rng: random.Random) -> str:
    out = []
    for sent in sentences(paragraph):
        if rng.random() < 0.5:
            for old, new in PARAPHRASE:
                sent = sent.replace(old, new)
        out.append(sent)
    return " ".join(out)


def _city(story: Story) -> str:
    return next((v for k, v in CITIES.items() if story.topic.startswith(k) or story.id.startswith(k[:2])), "서울")


EDITS = ("byline", "trim", "reorder", "drop", "caption", "boilerplate", "respace", "paraphrase", "brief")


def syndicate(story: Story, rng: random.Random, n: int, ops: tuple[str, ...] | None = None) -> tuple[Article, tuple[str, ...]]:
    """One syndicated copy of `story` with a new headline and 2–4 random edits (or exactly `ops`)."""
    outlet, host = rng.choice(OUTLETS)
    paras = list(story.paragraphs)
    edits: list[str] = []
    if rng.random() < 0.6 and story.alt_titles:
        title = rng.choice(story.alt_titles)
        edits.append("retitle")
    else:
        title = story.title
    if rng.random() < 0.5:
        title = f"{rng.choice(TAGS)} {title}"
        edits.append("tag")
    if not edits:
        title = rng.choice(story.alt_titles or [story.title])
        edits.append("retitle")
    if ops is None:
        ops = tuple(rng.sample(EDITS, k=rng.randint(2, 4)))
    # apply body edits in a fixed order so "trim" never removes an appended boilerplate line
    for op in ["brief", "drop", "reorder", "trim", "paraphrase", "respace", "caption", "byline", "boilerplate"]:
        if op not in ops:
            continue
        if op == "brief":
            paras = paras[:3]
        elif op == "paraphrase":
            paras = [paraphrase(p, rng) for p in paras]
        elif op == "drop":
            body = [(i, s) for i, p in enumerate(paras[1:], 1) for s in sentences(p)]
            if body:
                i, s = rng.choice(body)
                paras[i] = " ".join(x for x in sentences(paras[i]) if x != s)
                paras = [p for p in paras if p]
        elif op == "reorder" and len(paras) > 3:
            i = rng.randrange(1, len(paras) - 1)
            paras[i], paras[i + 1] = paras[i + 1], paras[i]
        elif op == "trim" and len(paras) > 3:
            cut = 2 if len(paras) > 5 and rng.random() < 0.3 else 1
            paras = paras[:-cut]
        elif op == "respace":
            paras = [p.replace("'", "‘", 1).replace(", ", ",  ").replace("다. ", "다.\n", 1) for p in paras]
        elif op == "caption":
            cap = rng.choice(CAPTIONS).format(
                day=story.day[8:].lstrip("0") + "일", title=story.title, source=rng.choice(WIRES), city=_city(story), outlet=outlet
            )
            paras[1:1] = [cap, cap] if rng.random() < 0.5 else [cap]
        elif op == "byline":
            reporter = rng.choice(REPORTERS)
            if rng.random() < 0.5:
                paras[0] = f"({_city(story)}={rng.choice(WIRES)}) {reporter} 기자 = {paras[0]}"
            else:
                paras.insert(0, f"[{outlet} {reporter} 기자] reporter{rng.randint(1, 99)}@{host}")
        elif op == "boilerplate":
            for line in rng.sample(BOILERPLATE, k=rng.randint(1, 2)):
                paras.append(line.format(outlet=outlet, host=host))
        edits.append(op)
    article = Article(
        url=f"https://{host}/news/{story.id}-{n}",
        title=title,
        text="\n".join(paras),
        published=_published(story, rng.uniform(0.1, 6.0)),
        site_name=outlet,
        authors=(rng.choice(REPORTERS),),
    )
    return article, tuple(edits)


def labelled_set(copies: int = 6, seed: int = 20260312) -> list[Item]:
    """Originals, `copies` syndicated copies per story, and the hand-written updates."""
    rng = random.Random(seed)
    items: list[Item] = []
    for story in load_stories():
        items.append(Item(story.id, story.topic, "original", original(story)))
        for n in range(copies):
            article, edits = syndicate(story, rng, n)
            items.append(Item(story.id, story.topic, "copy", article, edits))
        for n, u in enumerate(story.updates):
            items.append(Item(story.id, story.topic, "update", update(story, u, n), (u["kind"],)))
    return items


# Pages of the corpus that are one story, read by a person: SBS published the
# state-visit announcement twice (sw_sbs_13 is the shorter version; 94% of it is
# inside sw_sbs_11, sentence for sentence).
SAME_STORY = {"sw_sbs_13": "sw_sbs_11"}


def corpus_stories(corpus: Path) -> list[Story]:
    """Real-length stories: the expected texts of the corpus pages and the two seed articles.

    Read in place from `../shared/corpus` (never copied): the first line is the title,
    every other non-empty line a paragraph. Each page is its own story; the topic is
    its outlet, so "same topic" means two different stories of one outlet.
    """
    import html

    stories = []
    sources = sorted((corpus / "pages").glob("*.expected.txt")) + sorted((corpus / "seeds").glob("*.txt"))
    for path in sources:
        lines = [line.strip() for line in html.unescape(path.read_text(encoding="utf-8", errors="replace")).splitlines()]
        lines = [line for line in lines if line]
        if len(lines) < 2:
            continue
        name = path.name.removesuffix(".expected.txt").removesuffix(".txt")
        topic = "seed" if path.parent.name == "seeds" else name.split("_")[1]
        stories.append(Story(id=name, topic=topic, day="2026-11-20", outlet=topic, url=f"https://origin.example/{name}",
                             title=lines[0], alt_titles=[], paragraphs=lines[1:]))
    return stories


def corpus_set(corpus: Path, copies: int = 6, seed: int = 20261120) -> list[Item]:
    """The corpus stories with `copies` syndicated copies each, made by the same edits as the labelled set."""
    rng = random.Random(seed)
    items: list[Item] = []
    for story in corpus_stories(corpus):
        gold = SAME_STORY.get(story.id, story.id)
        items.append(Item(gold, story.topic, "original", original(story)))
        for n in range(copies):
            article, edits = syndicate(story, rng, n)
            items.append(Item(gold, story.topic, "copy", article, edits))
    return items
