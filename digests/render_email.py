"""E-mail: a Korean subject with counts, simple responsive HTML, and a plain-text alternative.

The HTML is table-free with inline styles only (many clients drop <style>),
one column with max-width 640px so it reads on phones. Every link is also
shown as text: apprise builds the text/plain part from the HTML, and this keeps
the links in it.
"""
from __future__ import annotations

from html import escape

from digests.model import Digest, StoryEntry
from digests.render_text import render_text

SUBJECT_PREFIX = "[newswatch]"

_BODY = "margin:0;padding:0;background:#f4f5f7;"
_WRAP = "max-width:640px;margin:0 auto;padding:16px;font-family:-apple-system,'Apple SD Gothic Neo','Malgun Gothic','Noto Sans KR','Noto Sans CJK KR',sans-serif;color:#1f2328;font-size:15px;line-height:1.6;"
_CARD = "background:#ffffff;border:1px solid #d8dee4;border-radius:8px;padding:14px 16px;margin:0 0 12px 0;"
_H1 = "font-size:20px;line-height:1.35;margin:0 0 4px 0;"
_H2 = "font-size:17px;margin:20px 0 8px 0;padding-bottom:4px;border-bottom:2px solid #0969da;"
_TITLE = "font-size:16px;font-weight:700;color:#0969da;text-decoration:none;"
_META = "color:#57606a;font-size:13px;margin:2px 0 6px 0;"
_SNIPPET = "margin:6px 0;"
_MARK = "background:#fff1a8;font-weight:700;padding:0 1px;"
_SMALL = "color:#57606a;font-size:13px;margin:4px 0 0 0;"
_URL = "color:#57606a;font-size:12px;word-break:break-all;overflow-wrap:anywhere;"


def subject(d: Digest) -> str:
    return f"{SUBJECT_PREFIX} {d.summary}"


def _story(entry: StoryEntry) -> str:
    item = entry.item
    href = escape(item.url, quote=True)
    meta = " · ".join(escape(x) for x in (item.outlet, entry.local_time) if x)
    parts = [
        f'<div style="{_CARD}">',
        f'<a href="{href}" style="{_TITLE}">{escape(item.title)}</a>',
        f'<div style="{_META}">{meta}</div>' if meta else "",
    ]
    if entry.segments:
        snippet = "".join(f'<b style="{_MARK}">{escape(t)}</b>' if hit else escape(t) for t, hit in entry.segments)
        parts.append(f'<div style="{_SNIPPET}">{snippet}</div>')
    if entry.others:
        names = ", ".join(escape(o.name) for o in entry.others)
        parts.append(f'<div style="{_SMALL}">+{len(entry.others)}개 매체: {names}</div>')
    if entry.why:
        parts.append(f'<div style="{_SMALL}">왜 알림이 왔나: {escape(entry.why)}</div>')
    parts.append(f'<div style="{_SMALL}"><a href="{href}" style="{_URL}">{escape(item.url)}</a></div>')
    parts.append("</div>")
    return "".join(p for p in parts if p)


def render_html(d: Digest) -> str:
    body = [
        f'<div style="{_WRAP}">',
        f'<h1 style="{_H1}">{escape(d.summary)}</h1>',
        f'<div style="{_META}">newswatch · {escape(d.generated)} 기준</div>',
    ]
    if not d.sections:
        body.append(f'<p style="{_SNIPPET}">새로 알릴 기사가 없습니다.</p>')
    for section in d.sections:
        body.append(f'<h2 style="{_H2}">{escape(section.title)} <span style="color:#57606a;font-weight:400;">{len(section.stories)}건</span></h2>')
        body += [_story(e) for e in section.stories]
    if d.institutions:
        body.append(f'<h2 style="{_H2}">{escape(d.institutions_heading)} <span style="color:#57606a;font-weight:400;">{len(d.institutions)}곳</span></h2>')
        for inst in d.institutions:
            event = f" ({escape(inst.label)})"
            alias = f' <span style="{_SMALL}">← {escape(inst.surface)}</span>' if inst.surface and inst.surface != inst.name else ""
            href = escape(inst.url, quote=True)
            body.append(
                f'<div style="{_CARD}"><b>{escape(inst.name)}</b>{event}{alias}'
                + (f'<div style="{_SNIPPET}">“{escape(inst.sentence)}”</div>' if inst.sentence else "")
                + f'<div style="{_SMALL}">기사: <a href="{href}" style="color:#0969da;">{escape(inst.story_title)}</a></div></div>'
            )
    body.append(f'<p style="{_SMALL}">이 메일은 newswatch 감시 규칙에 따라 자동으로 보내졌습니다.</p></div>')
    return (
        '<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(subject(d))}</title></head>"
        f'<body style="{_BODY}">' + "".join(body) + "</body></html>"
    )


def render_email(d: Digest) -> tuple[str, str, str]:
    """(subject, html, text)."""
    return subject(d), render_html(d), render_text(d)
