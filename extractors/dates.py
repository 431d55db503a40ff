"""Parsing the date strings Korean feeds and pages actually contain.

feedparser's own parsed dates ignore "KST" (a nine-hour error) and read
`2026.11.20 09:00` as the first of the month, so newswatch parses the raw
strings itself. Every result is timezone-aware: a time without an offset is in
`default_tz` (the feed's zone, Asia/Seoul unless configured otherwise).
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}

# Named zones seen in feeds; anything else unknown is treated as absent (the feed's zone).
_ZONES = {
    "KST": 9 * 60, "JST": 9 * 60, "UTC": 0, "GMT": 0, "UT": 0, "Z": 0,
    "EST": -5 * 60, "EDT": -4 * 60, "CST": -6 * 60, "CDT": -5 * 60,
    "MST": -7 * 60, "MDT": -6 * 60, "PST": -8 * 60, "PDT": -7 * 60,
    "CET": 60, "CEST": 120, "BST": 60, "HKT": 8 * 60, "SGT": 8 * 60,
}

_ZONE = r"(?P<zone>Z|[+-]\d{1,2}(?::?\d{2})?|(?:KST|JST|UTC|GMT|UT|[ECMP][SD]T|CES?T|BST|HKT|SGT)(?:\s*[+-]\d{1,2}(?::?\d{2})?)?)"
_AMPM = r"(?:(?P<ampm>오전|오후|AM|PM|am|pm|a\.m\.|p\.m\.)\s*)"
_TIME = (
    r"(?:T|\s+|\s*[\[(]\s*|\s*,\s*)" + _AMPM + r"?"
    r"(?P<h>\d{1,2})\s*(?::|시)\s*(?P<mi>\d{1,2})\s*(?:분)?\s*(?:(?::\s*)?(?P<s>\d{1,2})(?:\.\d+)?\s*(?:초)?)?"
    r"\s*" + r"(?P<ampm2>오전|오후|AM|PM|am|pm)?" + r"\s*[\])]?\s*" + _ZONE + r"?"
)
# 2026-11-20, 2026.11.20, 2026.11.20., 2026/11/20, 2026년 11월 20일 (optionally followed by a weekday)
_YMD = re.compile(
    r"(?<!\d)(?P<y>\d{4})\s*(?:[-./]|년)\s*(?P<m>\d{1,2})\s*(?:[-./]|월)\s*(?P<d>\d{1,2})(?!\d)(?:\s*일|\.)?"
    r"(?:\s*\(?\s*[월화수목금토일]\s*(?:요일)?\s*\)?)?"
    r"(?:" + _TIME + r")?"
)
# Thu, 28 Jul 2022 4:35:5 GMT+9  /  28 Jul 2022 04:35 +0900
_RFC = re.compile(
    r"(?:[A-Za-z]{3,9},?\s*)?(?P<d>\d{1,2})[\s-]+(?P<mon>[A-Za-z]{3})[a-z]*\.?[\s-]+(?P<y>\d{2,4})"
    r"(?:\s+(?P<h>\d{1,2}):(?P<mi>\d{1,2})(?::(?P<s>\d{1,2}))?(?:\.\d+)?\s*" + _ZONE + r"?)?",
)
# Jul 28, 2022 04:35 PM
_MDY = re.compile(
    r"(?P<mon>[A-Za-z]{3})[a-z]*\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})"
    r"(?:\s+(?:at\s+)?(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm2>AM|PM|am|pm)?\s*" + _ZONE + r"?)?"
)


def _offset_minutes(zone: str) -> int | None:
    """Minutes east of UTC for a zone token such as KST, +0900, +09:00, GMT+9."""
    zone = zone.strip().upper()
    m = re.fullmatch(r"([A-Z]+)?\s*(?:([+-])(\d{1,2})(?::?(\d{2}))?)?", zone)
    if not m:
        return None
    name, sign, hh, mm = m.groups()
    base = 0
    if name:
        if name not in _ZONES:
            return None
        base = _ZONES[name]
    if sign:
        hours = int(hh)
        if len(hh) <= 2 and mm is None and hours > 14:  # "+900" style is not valid here
            return None
        delta = hours * 60 + int(mm or 0)
        base += delta if sign == "+" else -delta
    return base if -14 * 60 <= base <= 14 * 60 else None


def _hour(h: int, ampm: str | None) -> int | None:
    if ampm:
        pm = ampm.lower().startswith("p") or ampm == "오후"
        if not 1 <= h <= 12:
            return h if 13 <= h <= 23 and pm else None  # "오후 13:00" still means 13:00
        h = h % 12 + (12 if pm else 0)
    return h


def _build(y: int, mo: int, d: int, h: int, mi: int, s: int, zone: str | None, default_tz: ZoneInfo) -> datetime | None:
    if y < 100:
        y += 2000 if y < 70 else 1900
    try:
        naive = datetime(y, mo, d, h, mi, min(s, 59))
    except ValueError:
        return None
    if zone:
        off = _offset_minutes(zone)
        if off is not None:
            return naive.replace(tzinfo=timezone(timedelta(minutes=off)))
    return naive.replace(tzinfo=default_tz)


def _from_match(m: re.Match[str], default_tz: ZoneInfo, month: int | None = None) -> datetime | None:
    g = m.groupdict()
    mo = month if month is not None else int(g["m"])
    hour = int(g["h"]) if g.get("h") else 0
    hour = _hour(hour, g.get("ampm") or g.get("ampm2"))
    if hour is None:
        return None
    return _build(int(g["y"]), mo, int(g["d"]), hour, int(g.get("mi") or 0), int(g.get("s") or 0),
                  g.get("zone"), default_tz)


def parse_date(value: str | None, default_tz: ZoneInfo) -> datetime | None:
    """An aware datetime for a date string, or None when none can be read."""
    if not value:
        return None
    text = " ".join(str(value).split())
    if not text:
        return None
    m = _YMD.search(text)
    if m:
        return _from_match(m, default_tz)
    m = _RFC.search(text)
    if m and m.group("mon").lower()[:3] in _MONTHS:
        return _from_match(m, default_tz, _MONTHS[m.group("mon").lower()[:3]])
    m = _MDY.search(text)
    if m and m.group("mon").lower()[:3] in _MONTHS:
        return _from_match(m, default_tz, _MONTHS[m.group("mon").lower()[:3]])
    return None
