"""Plain text (terminal, .txt file, generic apprise services) and Markdown (Prefect artifact)."""
from __future__ import annotations

import re

from digests.model import Digest, StoryEntry

TEXT_TITLE = "[newswatch]"


def _marked(entry: StoryEntry, left: str, right: str, escape=lambda s: s) -> str:
    return "".join(f"{left}{escape(t)}{right}" if hit else escape(t) for t, hit in entry.segments)


def _others(entry: StoryEntry) -> str:
    names = ", ".join(o.name for o in entry.others)
    return f"+{len(entry.others)}개 매체: {names}" if entry.others else ""


def render_text(d: Digest) -> str:
    lines = [f"{TEXT_TITLE} {d.summary}", f"{d.generated} 기준", ""]
    if not d.sections:
        lines.append("새로 알릴 기사가 없습니다.")
    for section in d.sections:
        lines.append(f"■ {section.title} ({len(section.stories)}건)")
        lines.append("")
        for n, entry in enumerate(section.stories, 1):
            item = entry.item
            lines.append(f"{n}. {item.title}")
            lines.append("   " + " · ".join(x for x in (item.outlet, entry.local_time) if x))
            if entry.segments:
                lines.append("   " + _marked(entry, "*", "*"))
            if entry.others:
                lines.append("   " + _others(entry))
            if entry.why:
                lines.append(f"   왜 알림이 왔나: {entry.why}")
            lines.append(f"   {item.url}")
            lines.append("")
    if d.institutions:
        lines.append(f"■ {d.institutions_heading} ({len(d.institutions)}곳)")
        lines.append("")
        for inst in d.institutions:
            alias = f" ← {inst.surface}" if inst.surface and inst.surface != inst.name else ""
            lines.append(f"- {inst.name} ({inst.label}){alias}")
            if inst.sentence:
                lines.append(f"  “{inst.sentence}”")
            lines.append(f"  {inst.story_title} {inst.url}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def render_markdown(d: Digest) -> str:
    out = [f"# newswatch: {md_escape(d.summary)}", "", f"_{d.generated} 기준_", ""]
    if not d.sections:
        out.append("새로 알릴 기사가 없습니다.")
    for section in d.sections:
        out += [f"## {md_escape(section.title)} ({len(section.stories)}건)", ""]
        for entry in section.stories:
            item = entry.item
            url = item.url.replace(")", "%29").replace(" ", "%20")
            meta = " · ".join(md_escape(x) for x in (item.outlet, entry.local_time) if x)
            out.append(f"- **[{md_escape(item.title)}]({url})** — {meta}")
            if entry.segments:
                out.append(f"  > {_marked(entry, '**', '**', md_escape)}")
            if entry.others:
                out.append(f"  - {md_escape(_others(entry))}")
            if entry.why:
                out.append(f"  - 왜 알림이 왔나: {md_escape(entry.why)}")
        out.append("")
    if d.institutions:
        out += [f"## {d.institutions_heading} ({len(d.institutions)}곳)", ""]
        for inst in d.institutions:
            out.append(f"- **{md_escape(inst.name)}** ({md_escape(inst.label)}) — [{md_escape(inst.story_title)}]({inst.url})")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
