"""Polling a batch of feeds: fetch, parse, remember what was seen, keep feed health.

Plain async functions, no Prefect: the flow calls `poll_feeds` once per batch.
One feed's failure never escapes: it becomes a failed `FeedPoll` and a row in
feed health. A failing feed backs off exponentially (with jitter) but never
longer than `health.max_backoff`, so every feed is tried at least that often and
recovers by itself.
"""
from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from extractors.errors import ExtractorError
from extractors.feeds import parse_feed
from extractors.http import Fetcher
from newswatch.config import FeedConfig, HealthSettings, Settings
from newswatch.durations import MAX_BACKOFF_LIMIT, parse_duration
from newswatch.errors import NewswatchError
from newswatch.models import Entry, FeedFailure
from state.feeds import FeedState, PollOutcome

log = logging.getLogger("newswatch.polling")

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"


@dataclass(frozen=True)
class FeedPoll:
    feed: str
    status: str  # ok | not_modified | skipped | failed
    new_entries: tuple[Entry, ...] = ()  # never seen before; stored as pending
    entries_seen: int = 0  # entries in the feed document
    failure: FeedFailure | None = None
    encoding: str | None = None
    warnings: tuple[str, ...] = ()
    next_check_at: datetime | None = None  # when failed or skipped: the next try
    entry_ids: tuple[int, ...] = ()  # state ids of new_entries, same order
    last_error: str | None = None  # when skipped: the failure that set the wait ("dns: cannot resolve …")


def backoff_delay(health: HealthSettings, failures: int, *, retry_after: float | None = None,
                  rng: random.Random | None = None) -> timedelta:
    """Wait after the `failures`-th failure in a row: base × 2^(n-1), jittered, never above max_backoff.

    The config refuses durations it cannot read and a max_backoff over a day; settings built
    around that validation (model_copy) fall back to the defaults rather than raise.
    """
    try:
        base, cap = parse_duration(health.base_backoff), parse_duration(health.max_backoff)
    except (TypeError, ValueError):
        default = HealthSettings()
        base, cap = parse_duration(default.base_backoff), parse_duration(default.max_backoff)
    cap_s = min(cap, MAX_BACKOFF_LIMIT).total_seconds()
    # in float seconds: base × 2^30 overflows timedelta when base is a day
    exp = base.total_seconds() * (2 ** min(max(failures - 1, 0), 30))
    # "Equal jitter": between half and all of the delay, so feeds failing together spread out.
    jittered = exp * (0.5 + 0.5 * (rng or random).random())
    if retry_after is not None:
        jittered = max(jittered, retry_after)  # the server's own wish wins when longer
    return timedelta(seconds=min(jittered, cap_s))


def feed_zone(feed: FeedConfig, settings: Settings) -> ZoneInfo:
    return ZoneInfo(feed.timezone or settings.timezone)


async def poll_feeds(settings: Settings, store, fetcher: Fetcher, feeds: Sequence[FeedConfig], now: datetime, *,
                     on_done: Callable[[FeedPoll], None] | None = None, rng: random.Random | None = None
                     ) -> list[FeedPoll]:
    """Poll every feed concurrently (the fetcher bounds concurrency); never raises for one feed."""
    feeds = [f for f in feeds if f.enabled]
    store.feeds.upsert(feeds)
    states = store.feeds.states([f.name for f in feeds])
    unchanged: list[str] = []  # healthy feeds that answered 304: recorded together at the end
    writer = _WriteBatch(store, now)

    async def one(feed: FeedConfig) -> FeedPoll:
        try:
            result = await _poll_one(settings, store, fetcher, feed, states.get(feed.name), now, rng, unchanged,
                                     writer)
        except NewswatchError as exc:  # the state store failed under this feed
            log.error("feed poll failed: %s", exc, extra={"feed": feed.name, "url": feed.url, "stage": "poll"})
            result = _failed(settings, store, feed, now, exc.kind, exc.message, exc.transient, None, rng)
        except Exception as exc:  # the last line of defence: one feed never fails the batch
            log.exception("feed poll crashed", extra={"feed": feed.name, "url": feed.url, "stage": "poll"})
            result = _failed(settings, store, feed, now, "internal", f"{type(exc).__name__}: {exc}", True, None, rng)
        if on_done is not None:
            on_done(result)
        return result

    results = list(await asyncio.gather(*(one(f) for f in feeds)))
    if unchanged:
        try:
            store.feeds.touch(unchanged, now)
        except NewswatchError as exc:  # only timestamps are lost; the next poll records them
            log.error("cannot record not-modified feeds: %s", exc, extra={"stage": "poll"})
    return results


def _may_fall_silent(settings: Settings, state: FeedState, now: datetime) -> bool:
    """True when this poll could cross the silence threshold, so the full health check must run."""
    if state.alerted_silent or state.last_entry_at is None or not state.mean_interval_seconds:
        return False
    return (now - state.last_entry_at).total_seconds() > settings.health.silence_factor * state.mean_interval_seconds


class _WriteBatch:
    """Collects the feeds parsed within a few milliseconds and records them in one transaction.

    Per-feed transactions cost more than the SQL in them (SQLAlchemy and commit overhead); feeds
    finish in bursts, so batching them keeps state work a small share of a poll. Runs on the event
    loop thread, no locks needed.
    """

    def __init__(self, store, now: datetime, *, delay: float = 0.01, max_items: int = 50):
        self.store, self.now, self.delay, self.max_items = store, now, delay, max_items
        self.items: list[tuple[PollOutcome, asyncio.Future]] = []
        self.handle: asyncio.TimerHandle | None = None

    async def submit(self, outcome: PollOutcome):
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self.items.append((outcome, fut))
        if len(self.items) >= self.max_items:
            self.flush()
        elif self.handle is None:
            self.handle = loop.call_later(self.delay, self.flush)
        return await fut

    def flush(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None
        items, self.items = self.items, []
        if not items:
            return
        try:
            results = self.store.feeds.record_polls([o for o, _ in items], self.now)
        except Exception as exc:  # each waiting feed sees the failure as its own
            for _, fut in items:
                if not fut.done():
                    fut.set_exception(exc)
            return
        for (_, fut), result in zip(items, results):
            if not fut.done():
                fut.set_result(result)


async def _poll_one(settings: Settings, store, fetcher: Fetcher, feed: FeedConfig, state: FeedState | None,
                    now: datetime, rng: random.Random | None, unchanged: list[str], writer: _WriteBatch) -> FeedPoll:
    if state is not None and state.next_check_at is not None and state.next_check_at > now:
        last = f"{state.last_error_kind}: {state.last_error_message}" if state.last_error_kind else None
        return FeedPoll(feed.name, "skipped", next_check_at=state.next_check_at, last_error=last)
    same_url = state is not None and state.url == feed.url
    try:
        fetched = await fetcher.get(feed.url, etag=state.etag if same_url else None,
                                    last_modified=state.last_modified if same_url else None, accept=FEED_ACCEPT)
        if fetched.not_modified:
            new_etag = fetched.headers.get("etag")
            if same_url and state is not None and state.consecutive_failures == 0 and not state.alerted_failing \
                    and (not new_etag or new_etag == state.etag) and not _may_fall_silent(settings, state, now):
                unchanged.append(feed.name)
                return FeedPoll(feed.name, "not_modified", encoding=state.encoding)
            before, after = store.feeds.record_success(feed.name, now, etag=fetched.headers.get("etag"),
                                                       last_modified=fetched.headers.get("last-modified"),
                                                       not_modified=True, before=state if same_url else None)
            _health_notices(settings, store, feed, before, after, now)
            return FeedPoll(feed.name, "not_modified", encoding=before.encoding)
        parsed = parse_feed(fetched.content, feed_name=feed.name, content_type=fetched.headers.get("content-type"),
                            default_tz=feed_zone(feed, settings), now=now, encoding_override=feed.encoding,
                            base_url=fetched.url)
    except ExtractorError as exc:
        return _failed(settings, store, feed, now, exc.kind, exc.message, exc.transient, exc.retry_after, rng)
    new, before, after = await writer.submit(PollOutcome(
        feed.name, parsed.entries, fetched.headers.get("etag"), fetched.headers.get("last-modified"),
        parsed.encoding, state if same_url else None))
    _health_notices(settings, store, feed, before, after, now)
    for w in parsed.warnings:
        log.info("feed warning: %s", w, extra={"feed": feed.name, "url": feed.url, "stage": "poll"})
    return FeedPoll(feed.name, "ok", new_entries=tuple(e for _, e in new), entries_seen=len(parsed.entries),
                    encoding=parsed.encoding, warnings=parsed.warnings, entry_ids=tuple(i for i, _ in new))


def _failed(settings: Settings, store, feed: FeedConfig, now: datetime, kind: str, message: str, transient: bool,
            retry_after: float | None, rng: random.Random | None) -> FeedPoll:
    """Record a failed poll. Never raises: poll_feeds' last line of defence calls it too."""
    failure = FeedFailure(feed=feed.name, url=feed.url, kind=kind, message=message, transient=transient)
    log.warning("feed failed: %s: %s", kind, message, extra={"feed": feed.name, "url": feed.url, "stage": "poll"})
    next_check: datetime | None = None
    try:
        prev = store.feeds.get(feed.name)
        failures = (prev.consecutive_failures if prev else 0) + 1
        # Permanent failures (404, not a feed) back off like the others: a fixed site recovers by itself.
        next_check = now + backoff_delay(settings.health, failures, retry_after=retry_after, rng=rng)
        after = store.feeds.record_failure(feed.name, now, kind=kind, message=message, next_check_at=next_check)
        _failing_notice(settings, store, feed, after, now)
    except NewswatchError as exc:  # the state store itself is down: report, do not raise
        log.error("cannot record feed failure: %s", exc, extra={"feed": feed.name, "stage": "poll"})
        next_check = None
    except Exception:  # a bug here must not take the batch down with this feed
        log.exception("cannot record feed failure", extra={"feed": feed.name, "stage": "poll"})
    return FeedPoll(feed.name, "failed", failure=failure, next_check_at=next_check)


def _failing_notice(settings: Settings, store, feed: FeedConfig, state: FeedState, now: datetime) -> None:
    n = settings.health.alert_after_failures
    if state.consecutive_failures < n or state.alerted_failing:
        return
    since = state.failing_since or now
    store.feeds.add_notice(
        f"feed-failing:{feed.name}:{since.isoformat()}",
        f"Feed {feed.name} is failing",
        f"{feed.name} ({feed.url}) has failed {state.consecutive_failures} times in a row since "
        f"{since.isoformat()}. Last error: {state.last_error_kind}: {state.last_error_message}. "
        f"Next try: {state.next_check_at.isoformat() if state.next_check_at else 'next cycle'}.",
        now,
    )
    store.feeds.set_flags(feed.name, alerted_failing=True)


def _health_notices(settings: Settings, store, feed: FeedConfig, before: FeedState, after: FeedState,
                    now: datetime) -> None:
    """Recovery after an alerted streak; silence far beyond the feed's usual interval."""
    if before.alerted_failing:
        since = before.failing_since or now
        store.feeds.add_notice(
            f"feed-recovered:{feed.name}:{since.isoformat()}",
            f"Feed {feed.name} has recovered",
            f"{feed.name} ({feed.url}) works again after {before.consecutive_failures} failures "
            f"since {since.isoformat()}.",
            now,
        )
    if after.last_entry_at is None or not after.mean_interval_seconds or after.interval_samples < 3:
        return  # too little history to know what "usual" is
    silent = (now - after.last_entry_at).total_seconds()
    limit = settings.health.silence_factor * after.mean_interval_seconds
    if silent > limit and not after.alerted_silent:
        store.feeds.add_notice(
            f"feed-silent:{feed.name}:{after.last_entry_at.isoformat()}",
            f"Feed {feed.name} has gone silent",
            f"{feed.name} ({feed.url}) has had no new item for {silent / 3600:.1f} h; it usually posts every "
            f"{after.mean_interval_seconds / 3600:.1f} h.",
            now,
        )
        store.feeds.set_flags(feed.name, alerted_silent=True)
    elif before.alerted_silent and after.last_entry_at == now:
        store.feeds.add_notice(
            f"feed-active:{feed.name}:{now.isoformat()}",
            f"Feed {feed.name} is posting again",
            f"{feed.name} ({feed.url}) has new items again.",
            now,
        )
