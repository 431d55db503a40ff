"""The flows: a poll cycle and a delivery run. Thin: load settings, call tasks, log counts."""
from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.tasks import deliver_task, poll_feeds_task, process_task
from newswatch import cycle
from newswatch.config import load_settings
from newswatch.models import CycleSummary, merge_summaries
from state import Store

FEEDS_PER_TASK = 500  # one task per batch: the fetcher is async inside a task, so more tasks add only orchestration and GIL contention


def _batches(names: list[str], size: int) -> list[list[str]]:
    return [names[i:i + size] for i in range(0, len(names), size)]


def poll_batches(config_path: str | None, names: list[str], now, feeds_per_task: int = FEEDS_PER_TASK,
                 poll=poll_feeds_task) -> list[CycleSummary]:
    """Poll the feeds one batch (one task run) after another, never side by side.

    `fetch.concurrency` and `fetch.per_host` are enforced by the Fetcher of one batch; batches
    running at once on the flow's thread pool would each have their own, so 1,000 feeds would
    have twice the configured requests in flight. One after another, the limits hold for the
    whole cycle, and a batch keeps the fetcher busy on its own.
    """
    return [poll(config_path, batch, now) for batch in _batches(names, max(1, feeds_per_task))]


@flow(name="newswatch-cycle", log_prints=False)
def cycle_flow(config_path: str | None = None, deliver: bool = True,
               feeds_per_task: int = FEEDS_PER_TASK) -> CycleSummary:
    """Poll every enabled feed, process new articles, deliver what is due."""
    settings = load_settings(config_path)
    Store.open(settings.state_url).close()  # applies pending migrations once, before the tasks
    now = cycle.utcnow()
    names = [f.name for f in cycle.enabled_feeds(settings)]
    summaries = poll_batches(config_path, names, now, feeds_per_task)
    summaries.append(process_task(config_path, now))
    if deliver:
        summaries.append(_deliver(config_path))
    summary = merge_summaries(summaries)
    get_run_logger().info(
        "cycle: %d feeds polled, %d new entries, %d articles, %d duplicates, %d queued, %d digests sent, %d feed failures",
        summary.feeds_polled, summary.new_entries, summary.articles_extracted, summary.duplicates_dropped,
        summary.digest_items_queued, summary.digests_sent, len(summary.feed_failures),
    )
    return summary


def _deliver(config_path: str | None) -> CycleSummary:
    summary, report = deliver_task(config_path, cycle.utcnow())
    for sent in report.sent:
        create_markdown_artifact(markdown=sent.markdown, key=_artifact_key(sent.destination),
                                 description=f"digest sent to {sent.destination}")
    return summary


def _artifact_key(destination: str) -> str:
    # artifact keys allow only lowercase letters, digits and dashes
    cleaned = "".join(c if c.isalnum() and c.isascii() else "-" for c in destination.lower()).strip("-")
    return f"digest-{cleaned or 'destination'}"


@flow(name="newswatch-deliver", log_prints=False)
def deliver_flow(config_path: str | None = None) -> CycleSummary:
    """Deliver the digests that are due (scheduled separately from polling)."""
    settings = load_settings(config_path)
    Store.open(settings.state_url).close()
    summary = _deliver(config_path)
    get_run_logger().info("delivery: %d digests sent, %d failures", summary.digests_sent, len(summary.delivery_failures))
    return summary
