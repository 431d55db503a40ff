"""Prefect tasks: each opens the settings and the store itself (tasks may run in
another process or on another machine) and returns a small summary of counts."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import datetime
from typing import Iterator, Sequence

from prefect import task
from prefect.cache_policies import NO_CACHE

from flows import runners
from flows.secrets import PrefectSecrets
from newswatch import cycle
from newswatch.config import Settings, load_settings
from newswatch.errors import is_transient
from newswatch.models import CycleSummary
from state import Store

progress_log = logging.getLogger("newswatch.progress")


def retry_transient(task_, task_run, state) -> bool:
    """Retry only what may pass later (timeouts, 5xx, an unreachable database), never a bad config."""
    try:
        state.result()
    except Exception as exc:  # the task's own exception, re-raised by Prefect
        return is_transient(exc)
    return False


def report_progress(stage: str, done: int, total: int) -> None:
    progress_log.info("%s %d/%d", stage, done, total, extra={"stage": stage, "done": done, "total": total})


_RETRIES = dict(retries=2, retry_delay_seconds=[5, 30], retry_jitter_factor=0.5,
                retry_condition_fn=retry_transient, cache_policy=NO_CACHE)


@contextmanager
def _opened(config_path: str | None) -> Iterator[tuple[Settings, Store]]:
    settings = load_settings(config_path)
    store = Store.open(settings.state_url, upgrade=False)  # the flow has applied migrations
    try:
        yield settings, store
    finally:
        store.close()


@task(name="poll-feeds", **_RETRIES)
def poll_feeds_task(config_path: str | None, feed_names: Sequence[str], now: datetime) -> CycleSummary:
    summary = CycleSummary()
    with _opened(config_path) as (settings, store):
        cycle.poll_stage(settings, store, cycle.enabled_feeds(settings, feed_names), now, summary, report_progress)
    return summary


@task(name="process-articles", **_RETRIES)
def process_task(config_path: str | None, now: datetime) -> CycleSummary:
    summary = CycleSummary()
    with _opened(config_path) as (settings, store), runners.extraction_submit(settings) as submit:
        # claim enough entries per round to keep every extraction worker busy
        claim = max(50, runners.workers(settings.extract) * settings.extract.batch_size) if submit else 50
        cycle.process_pending(settings, store, now, summary, progress=report_progress, batch_size=claim,
                              extract_submit=submit)
    return summary


@task(name="deliver-digests", **_RETRIES)
def deliver_task(config_path: str | None, now: datetime):
    summary = CycleSummary()
    with _opened(config_path) as (settings, store):
        report = cycle.deliver_stage(settings, store, now, summary, echo=_echo, secrets=PrefectSecrets())
    return summary, report


def _echo(text: str) -> None:
    logging.getLogger("newswatch.digest").info(text, extra={"stage": "digest", "digest_text": text})
