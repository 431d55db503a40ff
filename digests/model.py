"""One digest model, built from outbox items and rendered per channel.

A digest groups items by rule (urgent rules first), then lists one entry per
story cluster, newest first, and gathers the institutions seen for the first
time into their own section. Renderers only format; every decision about
content (order, snippet, marked terms, "+N outlets", why) is made here.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from newswatch.models import DigestItem, Evidence, InstitutionMention, Outlet

PRIORITY_ORDER = {"urgent": 0, "normal": 1, "low": 2}
FIELD_KO = {"title": "제목", "lead": "리드", "body": "본문"}
WEEKDAY_KO = "월화수목금토일"
SNIPPET_MAX = 240


# -- (de)serialisation of the outbox payload --------------------------------
def item_to_json(item: DigestItem) -> dict[str, Any]:
    return {
        "story_id": item.story_id,
        "rule": item.rule,
        "rule_title": item.rule_title,
        "destination": item.destination,
        "title": item.title,
        "url": item.url,
        "outlet": item.outlet,
        "published": item.published.isoformat() if item.published else None,
        "snippet": item.snippet,
        "priority": item.priority,
        "also_in": [{"name": o.name, "url": o.url} for o in item.also_in],
        "why": [
            {"term": e.term, "matched": e.matched, "field": e.field, "start": e.start, "end": e.end, "snippet": e.snippet}
            for e in item.why
        ],
        "institutions": [
            {"name": i.name, "surface": i.surface, "sentence": i.sentence, "event": i.event, "is_new": i.is_new}
            for i in item.institutions
        ],
    }


def item_from_json(data: dict[str, Any]) -> DigestItem:
    published = data.get("published")
    return DigestItem(
        story_id=int(data["story_id"]),
        rule=data["rule"],
        rule_title=data.get("rule_title") or data["rule"],
        destination=data.get("destination", ""),
        title=data.get("title", ""),
        url=data.get("url", ""),
        outlet=data.get("outlet", ""),
        published=datetime.fromisoformat(published) if published else None,
        snippet=data.get("snippet", ""),
        priority=data.get("priority", "normal"),
        also_in=tuple(Outlet(o["name"], o.get("url", "")) for o in data.get("also_in", ())),
        why=tuple(Evidence(**e) for e in data.get("why", ())),
        institutions=tuple(InstitutionMention(**i) for i in data.get("institutions", ())),
    )


# -- snippets and marked terms ------------------------------------------------
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|(?<=다\.)|\n+")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text or "") if s and s.strip()]


def make_snippet(lead: str, body: str, evidence: Sequence[Evidence], limit: int = SNIPPET_MAX) -> str:
    """One or two sentences around the first matched term (lead and body before title-only matches)."""
    forms = [e.matched for e in evidence if e.matched]
    # the lead is often the body's first paragraph too: each sentence once
    candidates = list(dict.fromkeys(sentences(lead) + sentences(body)))
    start = next((i for i, s in enumerate(candidates) if any(f in s for f in forms)), 0)
    picked = candidates[start : start + 2]
    if not picked:
        return ""
    text = picked[0]
    if len(picked) > 1 and len(text) + 1 + len(picked[1]) <= limit:
        text = f"{text} {picked[1]}"
    if len(text) > limit:
        # a very long sentence: keep the window around the first match
        pos = min((text.find(f) for f in forms if f in text), default=0)
        begin = max(0, min(pos - limit // 3, len(text) - limit))
        text = ("…" if begin else "") + text[begin : begin + limit].strip() + "…"
    return text


def mark_segments(text: str, terms: Sequence[str]) -> list[tuple[str, bool]]:
    """Split `text` into (piece, is_match) with every occurrence of a term marked."""
    forms = sorted({t for t in terms if t}, key=len, reverse=True)
    if not forms or not text:
        return [(text, False)] if text else []
    pattern = re.compile("|".join(re.escape(f) for f in forms))
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            out.append((text[pos : m.start()], False))
        out.append((m.group(0), True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out


# -- the digest -----------------------------------------------------------------
@dataclass(frozen=True)
class StoryEntry:
    item: DigestItem
    local_time: str  # "11월 21일 (토) 09:12", "" when the date is unknown
    segments: tuple[tuple[str, bool], ...]  # the snippet with matched terms marked
    others: tuple[Outlet, ...]  # other outlets that carried the story
    why: str  # '"광주" 제목·본문, "인공지능" 본문'


@dataclass(frozen=True)
class RuleSection:
    rule: str
    title: str
    priority: str
    stories: tuple[StoryEntry, ...]


@dataclass(frozen=True)
class NewInstitution:
    name: str
    surface: str
    event: str | None
    sentence: str
    story_title: str
    url: str


@dataclass(frozen=True)
class Digest:
    generated: str  # local time of rendering, for the header
    sections: tuple[RuleSection, ...]
    institutions: tuple[NewInstitution, ...]
    part: int = 1
    parts: int = 1

    @property
    def count(self) -> int:
        return sum(len(s.stories) for s in self.sections)

    @property
    def summary(self) -> str:
        """`광주 AI 5건 · 신규 기관 1곳`; the subject of e-mails and header of Slack messages."""
        bits = [f"{s.title} {len(s.stories)}건" for s in self.sections[:3]]
        if len(self.sections) > 3:
            bits.append(f"외 {len(self.sections) - 3}개 규칙 {sum(len(s.stories) for s in self.sections[3:])}건")
        if self.institutions:
            bits.append(f"신규 기관 {len(self.institutions)}곳")
        text = " · ".join(bits) or "새 소식 없음"
        return f"{text} ({self.part}/{self.parts})" if self.parts > 1 else text


def local_time(dt: datetime | None, tz: ZoneInfo) -> str:
    if dt is None:
        return ""
    loc = dt.astimezone(tz)
    return f"{loc.month}월 {loc.day}일 ({WEEKDAY_KO[loc.weekday()]}) {loc:%H:%M}"


def why_text(evidence: Sequence[Evidence]) -> str:
    places: dict[str, list[str]] = {}
    for e in evidence:
        where = FIELD_KO.get(e.field, e.field)
        seen = places.setdefault(e.term, [])
        if where not in seen:
            seen.append(where)
    return ", ".join(f'"{term}" {"·".join(where)}' for term, where in places.items())


def _entry(item: DigestItem, tz: ZoneInfo) -> StoryEntry:
    terms = [e.matched for e in item.why] + [e.term for e in item.why]
    others = tuple(o for o in item.also_in if o.name != item.outlet)
    return StoryEntry(
        item=item,
        local_time=local_time(item.published, tz),
        segments=tuple(mark_segments(item.snippet, terms)),
        others=others,
        why=why_text(item.why),
    )


def _sort_key_time(item: DigestItem) -> float:
    return -(item.published.timestamp() if item.published else 0.0)


def build_digest(items: Sequence[DigestItem], tz: ZoneInfo, now: datetime, *, part: int = 1, parts: int = 1) -> Digest:
    """Group items by rule (urgent first, then by title), stories newest first."""
    by_rule: dict[str, list[DigestItem]] = {}
    for item in items:
        by_rule.setdefault(item.rule, []).append(item)
    sections = []
    for rule, group in by_rule.items():
        # one entry per story per rule even if the outbox somehow held two
        seen: set[int] = set()
        unique = [i for i in sorted(group, key=_sort_key_time) if not (i.story_id in seen or seen.add(i.story_id))]
        first = unique[0]
        sections.append(RuleSection(rule, first.rule_title, first.priority, tuple(_entry(i, tz) for i in unique)))
    sections.sort(key=lambda s: (PRIORITY_ORDER.get(s.priority, 1), s.title, s.rule))
    institutions: dict[str, NewInstitution] = {}
    for section in sections:
        for entry in section.stories:
            for inst in entry.item.institutions:
                if inst.is_new and inst.name not in institutions:
                    institutions[inst.name] = NewInstitution(
                        inst.name, inst.surface, inst.event, inst.sentence, entry.item.title, entry.item.url
                    )
    return Digest(local_time(now, tz), tuple(sections), tuple(institutions.values()), part, parts)


def ordered_items(items: Sequence[DigestItem]) -> list[DigestItem]:
    """Items in the order the digest shows them, so splitting keeps that order."""
    d = build_digest(items, ZoneInfo("UTC"), datetime.now().astimezone())
    return [e.item for s in d.sections for e in s.stories]
