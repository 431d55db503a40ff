"""Durations written in the config: '90s', '15m', '24h', '2d', or a number of seconds.

Kept apart from `newswatch.polling` so the config can validate them at load time
(polling imports the config, not the other way round).
"""
from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$", re.I)
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}

# The longest a failing feed may wait: every feed is retried at least daily (issue 3).
MAX_BACKOFF_LIMIT = timedelta(days=1)


def parse_duration(value: str | float | int) -> timedelta:
    """'15m', '24h', '90s', '2d' or a number of seconds; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 15m, 24h, 2d)")
    if isinstance(value, (int, float)):
        return timedelta(seconds=float(value))
    m = _DURATION.match(value) if isinstance(value, str) else None
    if not m:
        raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 15m, 24h, 2d)")
    return timedelta(seconds=float(m.group(1)) * _UNIT[(m.group(2) or "s").lower()])


def backoff_setting(value: object) -> str:
    """Validate a backoff duration from the config: positive, at most MAX_BACKOFF_LIMIT.

    Numbers (seconds) are accepted and kept as a string; raises ValueError with a message
    meant for the user.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = f"{int(value)}s" if float(value).is_integer() else f"{value}s"
    delay = parse_duration(value)  # type: ignore[arg-type]
    if delay <= timedelta(0):
        raise ValueError(f"{value!r} must be longer than zero")
    if delay > MAX_BACKOFF_LIMIT:
        raise ValueError(f"{value!r} is longer than 1 day; every failing feed must be retried at least daily "
                         "(use at most 24h)")
    return str(value).strip()
