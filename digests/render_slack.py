"""Slack messages (Block Kit with mrkdwn) within Slack's documented limits.

Each message is a header block plus ONE mrkdwn section: that is the shape
apprise's Slack plugin posts in `blocks=yes` mode (it adds a footer context
block), so what we render is what Slack receives. A long digest becomes several
messages, in order; a story never straddles two messages unless it alone is
larger than a section, and then it is split at line breaks, never cut off.
"""
from __future__ import annotations

from digests.model import Digest, StoryEntry

# https://api.slack.com/reference/block-kit/blocks: section text max 3000,
# header text max 150, 50 blocks per message; message `text` max 40,000.
SECTION_MAX = 3000
HEADER_MAX = 150
BLOCKS_MAX = 50
TEXT_MAX = 40_000
ZWSP = "\u200b"  # lets *bold* work next to Hangul, which Slack does not treat as a word boundary


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    safe_url = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C").replace(" ", "%20")
    return f"<{safe_url}|{esc(label)}>"


def _story(entry: StoryEntry) -> str:
    item = entry.item
    lines = [f"*{link(item.url, item.title)}*"]
    meta = " · ".join(esc(x) for x in (item.outlet, entry.local_time) if x)
    if meta:
        lines.append(meta)
    if entry.segments:
        lines.append("> " + "".join(f"{ZWSP}*{esc(t)}*{ZWSP}" if hit else esc(t) for t, hit in entry.segments))
    if entry.others:
        lines.append(f"+{len(entry.others)}개 매체: " + ", ".join(esc(o.name) for o in entry.others))
    if entry.why:
        lines.append(f"_왜 알림이 왔나_: {esc(entry.why)}")
    return "\n".join(lines)


Key = tuple[int, str]  # (story_id, rule): which outbox item a piece of text belongs to


def _pieces(d: Digest) -> list[tuple[str, str, Key | None]]:
    """(heading, block, item key) in order; the heading is repeated when a section continues in the next message."""
    out: list[tuple[str, str, Key | None]] = []
    for section in d.sections:
        heading = f":newspaper: *{esc(section.title)}* ({len(section.stories)}건)"
        out += [(heading, _story(e), (e.item.story_id, e.item.rule)) for e in section.stories]
    if d.institutions:
        heading = f":office: *{d.institutions_heading}* ({len(d.institutions)}곳)"
        for inst in d.institutions:
            text = f"• *{esc(inst.name)}* ({esc(inst.label)}) — {link(inst.url, inst.story_title)}"
            if inst.sentence:
                text += f"\n> {esc(inst.sentence)}"
            out.append((heading, text, None))
    return out


def _split_long(text: str, limit: int) -> list[str]:
    """Split at line breaks, then at characters; the pieces joined give `text` back."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def section_texts(d: Digest, limit: int = SECTION_MAX) -> list[tuple[str, list[Key]]]:
    """The mrkdwn bodies, each within `limit`, in digest order, with the items that END in each."""
    if not d.sections and not d.institutions:
        return [("새로 알릴 기사가 없습니다.", [])]
    texts: list[tuple[str, list[Key]]] = []
    current, current_heading, keys = "", None, []
    for heading, block, key in _pieces(d):
        addition = block if heading == current_heading else f"{heading}\n\n{block}"
        candidate = f"{current}\n\n{addition}" if current else addition
        if len(candidate) > limit:
            if current:
                texts.append((current, keys))
            current, keys = f"{heading}\n\n{block}", []
            if len(current) > limit:
                # one story larger than a section: split it at line breaks, never cut it off
                chunks = _split_long(current, limit)
                texts += [(c, []) for c in chunks[:-1]]
                current = chunks[-1]
        else:
            current = candidate
        current_heading = heading
        if key is not None:
            keys.append(key)
    if current:
        texts.append((current, keys))
    return texts


def header_text(d: Digest, index: int = 1, total: int = 1) -> str:
    text = f"newswatch · {d.summary}"
    if total > 1:
        text += f" [{index}/{total}]"
    return text if len(text) <= HEADER_MAX else text[: HEADER_MAX - 1] + "…"


def slack_messages(d: Digest) -> list[tuple[dict, list[Key]]]:
    """(Block Kit payload, keys of the items completed by it), one per Slack message, in order."""
    texts = section_texts(d)
    payloads = []
    for i, (text, keys) in enumerate(texts, 1):
        header = header_text(d, i, len(texts))
        payloads.append((
            {
                "text": f"{header}\n{text}",  # the notification / fallback text
                "blocks": [
                    {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}},
                    {"type": "section", "text": {"type": "mrkdwn", "text": text}},
                ],
            },
            keys,
        ))
    return payloads


def render_slack(d: Digest) -> list[dict]:
    """Block Kit payloads, one per Slack message, in order."""
    return [payload for payload, _ in slack_messages(d)]


def check_payload(payload: dict) -> list[str]:
    """Every documented Slack limit this payload breaks (empty = fine). Also used by the tests."""
    problems = []
    blocks = payload.get("blocks") or []
    for att in payload.get("attachments") or []:
        blocks = blocks + list(att.get("blocks") or [])
    if len(blocks) > BLOCKS_MAX:
        problems.append(f"{len(blocks)} blocks > {BLOCKS_MAX}")
    for b in blocks:
        text = (b.get("text") or {}).get("text", "")
        if b.get("type") == "section" and len(text) > SECTION_MAX:
            problems.append(f"section text {len(text)} > {SECTION_MAX}")
        if b.get("type") == "header" and len(text) > HEADER_MAX:
            problems.append(f"header text {len(text)} > {HEADER_MAX}")
    if len(payload.get("text") or "") > TEXT_MAX:
        problems.append(f"text {len(payload['text'])} > {TEXT_MAX}")
    return problems
