"""When an outbox item may go out: schedules, quiet hours, retry backoff.

Everything is computed from the item's creation time and the destination's
current config at delivery time, so changing a schedule applies to items
already waiting. Quiet hours only ever delay.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from newswatch import durations
from newswatch.config import DestinationConfig

# the shared parser; the digest durations it reads are validated as \d+[smhd] by the config
parse_duration = durations.parse_duration


def parse_quiet(spec: str | None) -> tuple[time, time] | None:
    if not spec:
        return None
    a, b = spec.split("-")
    start, end = (time(int(x.split(":")[0]) % 24, int(x.split(":")[1])) for x in (a, b))
    return None if start == end else (start, end)


def in_quiet(local: datetime, quiet: tuple[time, time] | None) -> bool:
    if quiet is None:
        return False
    start, end = quiet
    t = local.timetz().replace(tzinfo=None)
    if start < end:
        return start <= t < end
    return t >= start or t < end  # wraps past midnight


def quiet_end(local: datetime, quiet: tuple[time, time]) -> datetime:
    """The first moment after `local` when the quiet hours are over."""
    end = local.replace(hour=quiet[1].hour, minute=quiet[1].minute, second=0, microsecond=0)
    return end if end > local else end + timedelta(days=1)


def slot_for(created: datetime, dest: DestinationConfig, tz: ZoneInfo) -> datetime:
    """The scheduled moment an item created at `created` is meant to go out."""
    local = created.astimezone(tz)
    if dest.schedule == "immediate":
        slot = local
    elif dest.schedule == "hourly":
        top = local.replace(minute=0, second=0, microsecond=0)
        slot = top if top == local else top + timedelta(hours=1)
    else:
        at = local.replace(hour=dest.at.hour, minute=dest.at.minute, second=0, microsecond=0)
        slot = at if at >= local else at + timedelta(days=1)
    quiet = parse_quiet(dest.quiet_hours)
    if in_quiet(slot, quiet):
        slot = quiet_end(slot, quiet)  # type: ignore[arg-type]
    return slot


def bypasses(priority: str, dest: DestinationConfig) -> bool:
    return priority == "urgent" and dest.urgent_immediately


def is_due(created: datetime, priority: str, dest: DestinationConfig, tz: ZoneInfo, now: datetime) -> bool:
    """True when the item may be sent now (retry backoff is checked by the outbox query)."""
    if bypasses(priority, dest):
        return True
    if in_quiet(now.astimezone(tz), parse_quiet(dest.quiet_hours)):
        return False
    return slot_for(created, dest, tz) <= now


def backoff(attempts: int, base: timedelta, cap: timedelta) -> timedelta:
    """base, 2·base, 4·base … never more than cap (attempts counts failures so far, ≥ 1)."""
    return min(cap, base * (2 ** max(0, min(attempts - 1, 30))))
