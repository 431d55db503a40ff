"""Schedules, quiet hours and backoff, in Seoul local time."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from digests import schedule
from newswatch.config import DestinationConfig

SEOUL = ZoneInfo("Asia/Seoul")


def kst(h: int, m: int = 0, day: int = 21) -> datetime:
    return datetime(2026, 11, day, h, m, tzinfo=SEOUL)


def dest(**kw) -> DestinationConfig:
    return DestinationConfig(name="team", url="json://127.0.0.1/x", **kw)


def test_daily_waits_for_the_local_time():
    d = dest(schedule="daily", at=time(8, 30))
    created = kst(9, 0)  # after today's digest: goes tomorrow 08:30
    assert schedule.slot_for(created, d, SEOUL) == kst(8, 30, day=22)
    assert not schedule.is_due(created, "normal", d, SEOUL, kst(23, 59))
    assert schedule.is_due(created, "normal", d, SEOUL, kst(8, 30, day=22).astimezone(timezone.utc))


def test_hourly_and_immediate():
    assert schedule.slot_for(kst(10, 5), dest(schedule="hourly"), SEOUL) == kst(11, 0)
    assert schedule.slot_for(kst(10, 0), dest(schedule="hourly"), SEOUL) == kst(10, 0)
    assert schedule.is_due(kst(10, 5), "normal", dest(schedule="immediate"), SEOUL, kst(10, 5))


def test_quiet_hours_delay_never_drop():
    d = dest(schedule="immediate", quiet_hours="22:00-07:00")
    created = kst(23, 10)
    assert not schedule.is_due(created, "normal", d, SEOUL, kst(23, 15))
    assert not schedule.is_due(created, "normal", d, SEOUL, kst(6, 59, day=22))
    assert schedule.is_due(created, "normal", d, SEOUL, kst(7, 0, day=22))
    # still due days later: delayed, not dropped
    assert schedule.is_due(created, "normal", d, SEOUL, kst(12, 0, day=25))


def test_daily_slot_inside_quiet_hours_moves_to_their_end():
    d = dest(schedule="daily", at=time(6, 0), quiet_hours="22:00-07:00")
    assert schedule.slot_for(kst(5, 0), d, SEOUL) == kst(7, 0)


def test_urgent_bypasses_schedule_and_quiet_hours_unless_disabled():
    d = dest(schedule="daily", quiet_hours="22:00-07:00")
    assert schedule.is_due(kst(23, 0), "urgent", d, SEOUL, kst(23, 0))
    d2 = dest(schedule="daily", quiet_hours="22:00-07:00", urgent_immediately=False)
    assert not schedule.is_due(kst(23, 0), "urgent", d2, SEOUL, kst(23, 0))


def test_quiet_hours_not_wrapping_midnight():
    q = schedule.parse_quiet("12:00-13:00")
    assert schedule.in_quiet(kst(12, 30), q) and not schedule.in_quiet(kst(13, 0), q)


def test_backoff_doubles_and_caps():
    base, cap = timedelta(minutes=5), timedelta(hours=6)
    assert [schedule.backoff(n, base, cap) for n in (1, 2, 3)] == [timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=20)]
    assert schedule.backoff(40, base, cap) == cap
    assert schedule.parse_duration("6h") == timedelta(hours=6)
