"""One digest model, built from outbox items and rendered per channel.

A digest groups items by rule (urgent rules first), then lists one entry per
story cluster, newest first; a story several rules matched appears once, in the
first of those rules' sections. The institutions seen for the first time, and
known ones announcing a founding (개소, 출범, ...), get their own section. Renderers only format; every decision about
content (order, snippet, marked terms, "+N outlets", why) is made here.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
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
        **({"also_rules": list(item.also_rules)} if item.also_rules else {}),
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
        also_rules=tuple(data.get("also_rules", ())),
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
    """An institution the digest reports: seen for the first time, or a known one announcing a founding."""

    name: str
    surface: str
    event: str | None
    sentence: str
    story_title: str
    url: str
    is_new: bool = True

    @property
    def label(self) -> str:
        """`신규 기관 · 설립 소식: 개소`, `신규 기관`, or `설립 소식: 출범` for a known institution."""
        bits = ["신규 기관"] if self.is_new else []
        if self.event:
            bits.append(f"설립 소식: {self.event}")
        return " · ".join(bits)


@dataclass(frozen=True)
class Digest:
    generated: str  # local time of rendering, for the header
    sections: tuple[RuleSection, ...]
    institutions: tuple[NewInstitution, ...]  # new ones, and known ones with a founding event
    part: int = 1
    parts: int = 1

    @property
    def count(self) -> int:
        return sum(len(s.stories) for s in self.sections)

    @property
    def new_institutions(self) -> int:
        return sum(1 for i in self.institutions if i.is_new)

    @property
    def foundings(self) -> int:
        """Known institutions with a founding event (개소, 출범, ...)."""
        return sum(1 for i in self.institutions if not i.is_new)

    @property
    def institutions_heading(self) -> str:
        """`신규 기관`, or `신규 기관·설립 소식` when known institutions' founding events are listed too."""
        return "신규 기관·설립 소식" if self.foundings else "신규 기관"

    @property
    def summary(self) -> str:
        """`광주 AI 5건 · 신규 기관 1곳`; the subject of e-mails and header of Slack messages."""
        bits = [f"{s.title} {len(s.stories)}건" for s in self.sections[:3]]
        if len(self.sections) > 3:
            bits.append(f"외 {len(self.sections) - 3}개 규칙 {sum(len(s.stories) for s in self.sections[3:])}건")
        if self.new_institutions:
            bits.append(f"신규 기관 {self.new_institutions}곳")
        if self.foundings:
            bits.append(f"설립 소식 {self.foundings}건")
        text = " · ".join(bits) or "새 소식 없음"
        return f"{text} ({self.part}/{self.parts})" if self.parts > 1 else text


def local_time(dt: datetime | None, tz: ZoneInfo) -> str:
    if dt is None:
        return ""
    loc = dt.astimezone(tz)
    return f"{loc.month}월 {loc.day}일 ({WEEKDAY_KO[loc.weekday()]}) {loc:%H:%M}"


# labels the rule matcher gives institution evidence (rules/matcher.py)
NEW_INSTITUTION = "new institution"
FOUNDING = "founding: "
FIELD_WEIGHT = {"title": 3, "lead": 2, "body": 1}
WHY_SNIPPET_MAX = 60


def _is_institution_label(term: str) -> bool:
    return term == NEW_INSTITUTION or term.startswith(FOUNDING)


def _short(e: Evidence, limit: int = WHY_SNIPPET_MAX) -> str:
    text = " ".join((e.snippet or e.matched or "").split())
    if len(text) <= limit:
        return text
    pos = max(text.find(e.matched), 0) if e.matched else 0
    begin = max(0, min(pos - limit // 3, len(text) - limit))
    return ("…" if begin else "") + text[begin : begin + limit].strip() + ("…" if begin + limit < len(text) else "")


def institution_bits(institutions: Sequence[InstitutionMention], evidence: Sequence[Evidence] = ()) -> list[str]:
    """`신규 기관: 광주AI융합실증센터`, `설립 소식: 개소` (new), `설립 소식: 출범 (광주테크노파크)` (known)."""
    bits: list[str] = []
    for inst in institutions:
        if inst.is_new:
            bits.append(f"신규 기관: {inst.name}")
            if inst.event:
                bits.append(f"설립 소식: {inst.event}")
        elif inst.event:
            bits.append(f"설립 소식: {inst.event} ({inst.name})")
    if not institutions:  # an older payload: only the evidence labels are there
        for e in evidence:
            if e.term == NEW_INSTITUTION:
                bits.append(f"신규 기관: {e.matched}")
            elif e.term.startswith(FOUNDING):
                bits.append(f"설립 소식: {e.term[len(FOUNDING):]} ({e.matched})")
    return list(dict.fromkeys(bits))


def why_text(evidence: Sequence[Evidence], institutions: Sequence[InstitutionMention] = (),
             also_rules: Sequence[str] = ()) -> str:
    """`"광주" 제목·본문, "인공지능" 본문 (“광주시가 첨단3지구에서…”); 신규 기관: …; 다른 규칙: …`.

    Terms with the fields they matched in, a short snippet for the strongest term
    (the most and weightiest fields: title 3, lead 2, body 1) from the lead or body
    (when it matched only in the title, the next term's; none when every match is
    in the title, which the entry shows anyway), the institutions in Korean, and
    the other rules that matched the same story.
    """
    places: dict[str, list[str]] = {}
    weight: dict[str, int] = {}
    for e in evidence:
        if _is_institution_label(e.term):
            continue
        where = FIELD_KO.get(e.field, e.field)
        seen = places.setdefault(e.term, [])
        if where not in seen:
            seen.append(where)
            weight[e.term] = weight.get(e.term, 0) + FIELD_WEIGHT.get(e.field, 1)
    parts = []
    if places:
        text = ", ".join(f'"{term}" {"·".join(where)}' for term, where in places.items())
        # the strongest term's context from the lead or body (the title is on screen already):
        # terms by weight, the first one on ties
        ranked = sorted(places, key=lambda t: -weight[t])
        shown = next((e for t in ranked for e in evidence if e.term == t and e.field != "title"), None)
        snippet = _short(shown) if shown else ""
        if snippet:
            text += f" (“{snippet}”)"
        parts.append(text)
    inst = institution_bits(institutions, evidence)
    if inst:
        parts.append(", ".join(inst))
    if also_rules:
        parts.append("다른 규칙: " + ", ".join(also_rules))
    return "; ".join(parts)


def _entry(item: DigestItem, tz: ZoneInfo) -> StoryEntry:
    terms = [e.matched for e in item.why if not _is_institution_label(e.term)]
    terms += [e.term for e in item.why if not _is_institution_label(e.term)]
    others = tuple(o for o in item.also_in if o.name != item.outlet)
    return StoryEntry(
        item=item,
        local_time=local_time(item.published, tz),
        segments=tuple(mark_segments(item.snippet, terms)),
        others=others,
        why=why_text(item.why, item.institutions, item.also_rules),
    )


def rule_order(item: DigestItem) -> tuple:
    """Where a rule's section comes in a digest: urgent first, then by title and id."""
    return (PRIORITY_ORDER.get(item.priority, 1), item.rule_title, item.rule)


def merge_stories(items: Sequence[DigestItem]) -> list[DigestItem]:
    """One item per story: a story matched by several rules is shown once.

    It goes in the first of its rules' sections (urgent first, then by title); the
    other rules are named in 왜 알림이 왔나, their evidence marks the snippet too,
    and the institutions of all of them are kept. For one story and rule given
    twice (an update's revision), the later item wins.
    """
    by_story: dict[int, list[tuple[int, DigestItem]]] = {}
    for n, item in enumerate(items):
        by_story.setdefault(item.story_id, []).append((n, item))
    out = []
    for group in by_story.values():
        ordered = [i for _, i in sorted(group, key=lambda p: (rule_order(p[1]), -p[0]))]
        primary = ordered[0]
        if len(ordered) == 1:
            out.append(primary)
            continue
        also = [*primary.also_rules]
        evidence = list(primary.why)
        mentions: dict[str, InstitutionMention] = {}
        for other in ordered:
            if other.rule != primary.rule:
                also += [other.rule_title, *other.also_rules]
                evidence += [e for e in other.why if e not in evidence]
            for m in other.institutions:
                have = mentions.get(m.name)
                if have is None:
                    mentions[m.name] = m
                else:
                    mentions[m.name] = replace(have, is_new=have.is_new or m.is_new, event=have.event or m.event)
        also = [t for t in dict.fromkeys(also) if t != primary.rule_title]
        out.append(replace(primary, why=tuple(evidence), institutions=tuple(mentions.values()), also_rules=tuple(also)))
    return out


def _sort_key_time(item: DigestItem) -> float:
    return -(item.published.timestamp() if item.published else 0.0)


def build_digest(items: Sequence[DigestItem], tz: ZoneInfo, now: datetime, *, part: int = 1, parts: int = 1) -> Digest:
    """Group items by rule (urgent first, then by title), stories newest first, each story once."""
    by_rule: dict[str, list[DigestItem]] = {}
    for item in merge_stories(items):
        by_rule.setdefault(item.rule, []).append(item)
    sections = []
    for rule, group in by_rule.items():
        unique = sorted(group, key=_sort_key_time)
        first = unique[0]
        sections.append(RuleSection(rule, first.rule_title, first.priority, tuple(_entry(i, tz) for i in unique)))
    sections.sort(key=lambda s: rule_order(s.stories[0].item))
    institutions: dict[str, NewInstitution] = {}
    for section in sections:
        for entry in section.stories:
            for inst in entry.item.institutions:
                if not (inst.is_new or inst.event):
                    continue
                have = institutions.get(inst.name)
                if have is None or (inst.is_new and not have.is_new) or (inst.event and not have.event):
                    institutions[inst.name] = NewInstitution(
                        inst.name, inst.surface, inst.event or (have.event if have else None), inst.sentence,
                        entry.item.title, entry.item.url, inst.is_new or bool(have and have.is_new),
                    )
    return Digest(local_time(now, tz), tuple(sections), tuple(institutions.values()), part, parts)


def ordered_items(items: Sequence[DigestItem]) -> list[DigestItem]:
    """Items in the order the digest shows them, so splitting keeps that order."""
    d = build_digest(items, ZoneInfo("UTC"), datetime.now().astimezone())
    return [e.item for s in d.sections for e in s.stories]
